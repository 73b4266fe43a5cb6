/**
 * JSON Schemas of schemas/ loaded once and compiled with ajv (draft 2020-12).
 * Custom annotation keywords (x-…) carry titles in Japanese, units and dataset
 * names for the Table Schemas and the data dictionary.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ErrorObject, ValidateFunction } from 'ajv/dist/2020.js';
import { ajv2020 } from './lazy.js';
import { DATASET_SCHEMAS, type DatasetName, type DatasetRecords } from './records.gen.js';
import { SCHEMA_DIR } from './paths.js';
import { precompiled, schemaHash } from './validator-support.js';

export interface PropertySchema {
  type?: string | string[];
  enum?: unknown[];
  title?: string;
  description?: string;
  pattern?: string;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  'x-title-ja'?: string;
  'x-unit-column'?: string;
  $ref?: string;
}

export interface RecordSchema {
  $id: string;
  title: string;
  description?: string;
  'x-title-ja'?: string;
  'x-dataset'?: string;
  'x-primary-key'?: string[];
  properties: Record<string, PropertySchema>;
  required?: string[];
}

const X_KEYWORDS = ['x-title-ja', 'x-dataset', 'x-primary-key', 'x-unit-column', 'x-record'];

let cache: { docs: Map<string, RecordSchema>; files: string[] } | null = null;
let compiled: ((file: string) => ValidateFunction | undefined) | null = null;

function load() {
  if (cache) return cache;
  const docs = new Map<string, RecordSchema>();
  const files = readdirSync(SCHEMA_DIR).filter((n) => n.endsWith('.schema.json')).sort();
  for (const f of files) docs.set(f, JSON.parse(readFileSync(join(SCHEMA_DIR, f), 'utf8')) as RecordSchema);
  cache = { docs, files };
  return cache;
}

/** Validators: precompiled at build time when they match schemas/, else compiled now. */
function validators(): (file: string) => ValidateFunction | undefined {
  if (compiled) return compiled;
  const { docs, files } = load();
  const pre = precompiled<Record<string, ValidateFunction> & { __schemas: Record<string, string> }>('records', schemaHash(SCHEMA_DIR, files));
  if (pre) {
    const byFile = new Map(Object.entries(pre.__schemas).map(([name, file]) => [file, pre[name]!]));
    compiled = (file) => byFile.get(file);
    return compiled;
  }
  const ajv = new (ajv2020().Ajv2020)({ allErrors: true, strict: true, allowUnionTypes: true });
  for (const k of X_KEYWORDS) ajv.addKeyword(k);
  for (const [f, doc] of docs) ajv.addSchema(doc as object, f);
  compiled = (file) => ajv.getSchema(file);
  return compiled;
}

/** Load the record validators now (run.ts does while the first PDF is being read), instead of at the first record. */
export function prepareValidators(): void {
  validators();
}

export function schemaDoc(file: string): RecordSchema {
  const doc = load().docs.get(file);
  if (!doc) throw new Error(`unknown schema ${file}`);
  return doc;
}

/** Resolve a property's $ref into the shared definitions. */
export function resolveProperty(prop: PropertySchema): PropertySchema {
  if (!prop.$ref) return prop;
  const [file, pointer] = prop.$ref.split('#');
  let cur: unknown = schemaDoc(file!);
  for (const part of (pointer ?? '').split('/').filter(Boolean)) cur = (cur as Record<string, unknown>)[part];
  return { ...(cur as PropertySchema) };
}

export function validator(file: string): ValidateFunction {
  const v = validators()(file);
  if (!v) throw new Error(`unknown schema ${file}`);
  return v;
}

export function datasetValidator<D extends DatasetName>(dataset: D): (rec: unknown) => rec is DatasetRecords[D] {
  return validator(DATASET_SCHEMAS[dataset]) as unknown as (rec: unknown) => rec is DatasetRecords[D];
}

export function formatErrors(errors: ErrorObject[] | null | undefined): string {
  return (errors ?? []).map((e) => `${e.instancePath || '(record)'} ${e.message ?? 'is invalid'}`).join('; ');
}

/** Column order of a dataset = property order of its schema. */
export function datasetColumns(dataset: DatasetName): string[] {
  return Object.keys(schemaDoc(DATASET_SCHEMAS[dataset]).properties);
}
