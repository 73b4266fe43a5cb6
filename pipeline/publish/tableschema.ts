/** Frictionless Table Schemas derived from the record JSON Schemas (one source of truth). */
import { DATASET_SCHEMAS, type DatasetName } from '../lib/records.gen.js';
import { resolveProperty, schemaDoc, type PropertySchema } from '../lib/schemas.js';
import { CODES_FILE, CODES_RESOURCE, usesCodes } from './codes.js';
import type { ColumnType, CsvColumn } from './csv.js';

export interface TableField {
  name: string;
  type: ColumnType;
  title: string;
  description: string;
  'x-title-ja'?: string;
  /** The code table that defines the column's symbols (codes.csv). */
  'x-code-table'?: string;
  constraints?: Record<string, unknown>;
}

export interface ForeignKey {
  fields: string[];
  reference: { resource: string; fields: string[] };
}

export interface TableSchema {
  fields: TableField[];
  primaryKey: string[];
  /** Columns whose symbols are defined in codes.csv refer to it. */
  foreignKeys?: ForeignKey[];
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
    if (usesCodes(p.enum)) f['x-code-table'] = CODES_FILE;
    if (Object.keys(constraints).length) f.constraints = constraints;
    return f;
  });
  const foreignKeys = fields.filter((f) => f['x-code-table']).map((f): ForeignKey => ({ fields: [f.name], reference: { resource: CODES_RESOURCE, fields: ['symbol'] } }));
  return { fields, primaryKey: doc['x-primary-key'] ?? [], ...(foreignKeys.length ? { foreignKeys } : {}), missingValues: [''] };
}

export function csvColumns(dataset: DatasetName): CsvColumn[] {
  return tableSchema(dataset).fields.map((f) => ({ name: f.name, type: f.type }));
}

/** A row's key in messages about it: its record_key, or its table's primary key (findings, whose record_key names the row they are about). */
export function rowKey(dataset: DatasetName, row: Record<string, unknown>): string {
  if (typeof row.record_key === 'string' && dataset !== 'findings') return row.record_key;
  return tableSchema(dataset)
    .primaryKey.map((k) => String(row[k] ?? ''))
    .join('/');
}
