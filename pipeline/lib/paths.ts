import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The project root: the nearest folder above this module holding package.json and schemas/. */
function findRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'schemas'))) return dir;
    dir = dirname(dir);
  }
  throw new Error('sousei-kpi: cannot find the project root (package.json + schemas/)');
}

export const ROOT = findRoot();
export const SCHEMA_DIR = join(ROOT, 'schemas');
export const DEFAULT_RAW_DIR = join(ROOT, 'raw');
export const DEFAULT_OUT_DIR = join(ROOT, 'output');

/**
 * A version `npm run build` wrote into dist/ (extractor-version.json, pipeline-version.json:
 * a sha256), or null when the build did not write it or wrote something else.
 */
export function builtVersion(file: 'extractor-version.json' | 'pipeline-version.json', root = ROOT): string | null {
  try {
    const v = (JSON.parse(readFileSync(join(root, 'dist', file), 'utf8')) as { version?: unknown }).version;
    return typeof v === 'string' && /^[0-9a-f]{64}$/u.test(v) ? v : null;
  } catch {
    return null;
  }
}
