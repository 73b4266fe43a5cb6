/** Data Package v2 descriptor, validated against the official profiles vendored in schemas/frictionless-2.0/. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import { SCHEMA_DIR } from '../lib/paths.js';
import { formatErrors } from '../lib/schemas.js';

let validate: ValidateFunction | null = null;

function profile(): ValidateFunction {
  if (validate) return validate;
  const ajv = new Ajv({ strict: false, allErrors: true, validateSchema: false });
  ajv.addFormat('uri', /^[a-z][a-z0-9+.-]*:[^\s]*$/iu);
  ajv.addFormat('email', /^[^\s@]+@[^\s@]+$/u);
  ajv.addFormat('date-time', /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/u);
  ajv.addFormat('textarea', true);
  const doc = JSON.parse(readFileSync(join(SCHEMA_DIR, 'frictionless-2.0', 'datapackage.json'), 'utf8')) as object;
  validate = ajv.compile(doc);
  return validate;
}

/** Throws when the descriptor does not satisfy the Data Package v2 profile. */
export function assertValidDataPackage(descriptor: unknown): void {
  const v = profile();
  if (!v(descriptor)) throw new Error(`datapackage.json does not satisfy the Data Package v2 profile: ${formatErrors(v.errors)}`);
}
