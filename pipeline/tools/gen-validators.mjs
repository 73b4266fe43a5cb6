#!/usr/bin/env node
// Precompiles the ajv validators at build time (ajv "standalone" code) into
// dist/validators/, so a run does not spend start-up time compiling schemas.
// Each module carries the sha256 of the schemas it was made from; at run time
// pipeline/lib/schemas.ts and publish/datapackage.ts use it only when the hash
// still matches the files in schemas/, and compile at run time otherwise.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { Ajv } from 'ajv';
import standaloneCode from 'ajv/dist/standalone/index.js';
// Runs after tsc: shares the hash and formats with the run-time loaders.
import { DATAPACKAGE_FORMATS, schemaHash as hash } from '../../dist/pipeline/lib/validator-support.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const schemaDir = join(root, 'schemas');
const out = join(root, 'dist', 'validators');
mkdirSync(out, { recursive: true });

const X_KEYWORDS = ['x-title-ja', 'x-dataset', 'x-primary-key', 'x-unit-column', 'x-record'];
const files = readdirSync(schemaDir).filter((f) => f.endsWith('.schema.json')).sort();

// Record schemas (draft 2020-12).
const records = new Ajv2020({ allErrors: true, strict: true, allowUnionTypes: true, code: { source: true } });
for (const k of X_KEYWORDS) records.addKeyword(k);
const exportsMap = {};
for (const f of files) {
  records.addSchema(JSON.parse(readFileSync(join(schemaDir, f), 'utf8')), f);
  exportsMap[f.replace(/\.schema\.json$/, '').replace(/[^A-Za-z0-9]/g, '_').replace(/^_/, 'u_')] = f;
}
const recordsHash = hash(schemaDir, files);
writeFileSync(join(out, 'records.cjs'), `${standaloneCode(records, exportsMap)}\nexports.__schemas = ${JSON.stringify(exportsMap)};\nexports.__hash = ${JSON.stringify(recordsHash)};\n`);

// Data Package v2 profile (draft-07). The few formats it uses are regular
// expressions, which standalone code inlines.
const dpFile = join(schemaDir, 'frictionless-2.0', 'datapackage.json');
const dp = new Ajv({ strict: false, allErrors: true, validateSchema: false, code: { source: true } });
for (const [k, v] of Object.entries(DATAPACKAGE_FORMATS)) dp.addFormat(k, v);
const validate = dp.compile(JSON.parse(readFileSync(dpFile, 'utf8')));
writeFileSync(join(out, 'datapackage.cjs'), `${standaloneCode(dp, validate)}\nmodule.exports.__hash = ${JSON.stringify(hash(schemaDir, ['frictionless-2.0/datapackage.json']))};\n`);
