/** Frictionless Table Schemas derived from the record JSON Schemas (one source of truth). */
import { DATASET_SCHEMAS, type DatasetName } from '../lib/records.gen.js';
import { resolveProperty, schemaDoc, type PropertySchema } from '../lib/schemas.js';
import type { ColumnType, CsvColumn } from './csv.js';

export interface TableField {
  name: string;
  type: ColumnType;
  title: string;
  description: string;
  'x-title-ja'?: string;
  constraints?: Record<string, unknown>;
}

export interface TableSchema {
  fields: TableField[];
  primaryKey: string[];
  missingValues: string[];
}

function fieldType(p: PropertySchema): ColumnType {
  const types = (Array.isArray(p.type) ? p.type : [p.type]).filter((t) => t !== 'null');
  if (types.includes('integer')) return 'integer';
  if (types.includes('number')) return 'number';
  if (types.includes('boolean')) return 'boolean';
  return 'string';
}

export function tableSchema(dataset: DatasetName): TableSchema {
  const doc = schemaDoc(DATASET_SCHEMAS[dataset]);
  const required = new Set(doc.required ?? []);
  const fields = Object.entries(doc.properties).map(([name, raw]): TableField => {
    const p = resolveProperty(raw);
    const nullable = Array.isArray(p.type) ? p.type.includes('null') : false;
    const constraints: Record<string, unknown> = {};
    if (required.has(name) && !nullable) constraints.required = true;
    if (p.enum) constraints.enum = p.enum.filter((v) => v !== null).map((v) => (typeof v === 'boolean' ? String(v) : v));
    if (p.pattern) constraints.pattern = p.pattern;
    if (p.minimum !== undefined) constraints.minimum = p.minimum;
    if (p.maximum !== undefined) constraints.maximum = p.maximum;
    const f: TableField = { name, type: fieldType(p), title: p.title ?? name, description: p.description ?? '' };
    if (p['x-title-ja']) f['x-title-ja'] = p['x-title-ja'];
    if (Object.keys(constraints).length) f.constraints = constraints;
    return f;
  });
  return { fields, primaryKey: doc['x-primary-key'] ?? [], missingValues: [''] };
}

export function csvColumns(dataset: DatasetName): CsvColumn[] {
  return tableSchema(dataset).fields.map((f) => ({ name: f.name, type: f.type }));
}
