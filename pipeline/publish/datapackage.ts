/** Data Package v2 descriptor, validated against the official profiles vendored in schemas/frictionless-2.0/. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ValidateFunction } from 'ajv';
import { ajv07 } from '../lib/lazy.js';
import { SCHEMA_DIR } from '../lib/paths.js';
import { formatErrors } from '../lib/schemas.js';
import { DATAPACKAGE_FORMATS, precompiled, schemaHash } from '../lib/validator-support.js';

let validate: ValidateFunction | null = null;

function profile(): ValidateFunction {
  if (validate) return validate;
  const dir = join(SCHEMA_DIR, 'frictionless-2.0');
  validate = precompiled<ValidateFunction>('datapackage', schemaHash(SCHEMA_DIR, ['frictionless-2.0/datapackage.json']));
  if (validate) return validate;
  const ajv = new (ajv07().Ajv)({ strict: false, allErrors: true, validateSchema: false });
  for (const [k, v] of Object.entries(DATAPACKAGE_FORMATS)) ajv.addFormat(k, v);
  validate = ajv.compile(JSON.parse(readFileSync(join(dir, 'datapackage.json'), 'utf8')) as object);
  return validate;
}

/** Throws when the descriptor does not satisfy the Data Package v2 profile. */
export function assertValidDataPackage(descriptor: unknown): void {
  const v = profile();
  if (!v(descriptor)) throw new Error(`datapackage.json does not satisfy the Data Package v2 profile: ${formatErrors(v.errors)}`);
}
