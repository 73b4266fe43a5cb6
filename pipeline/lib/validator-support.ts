/** Shared by the build-time validator generator (pipeline/tools/gen-validators.mjs) and the run-time loaders. */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { ROOT } from './paths.js';

/** sha256 over the names and contents of schema files (relative to dir), in the given order. */
export function schemaHash(dir: string, files: string[]): string {
  const h = createHash('sha256');
  for (const f of files) h.update(`${f}\n`).update(readFileSync(join(dir, f)));
  return h.digest('hex');
}

/** The string formats the Data Package profile uses, checked loosely by regular expression. */
export const DATAPACKAGE_FORMATS: Record<string, RegExp | true> = {
  uri: /^[a-z][a-z0-9+.-]*:[^\s]*$/iu,
  email: /^[^\s@]+@[^\s@]+$/u,
  'date-time': /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/u,
  textarea: true,
};

const require = createRequire(import.meta.url);

/**
 * A validator module precompiled by `npm run build` (dist/validators/NAME.cjs),
 * or null when it is missing or was made from other schema files than `hash`.
 */
export function precompiled<T>(name: string, hash: string): T | null {
  const file = join(ROOT, 'dist', 'validators', `${name}.cjs`);
  if (!existsSync(file)) return null;
  const mod = require(file) as T & { __hash?: string };
  return mod.__hash === hash ? mod : null;
}
