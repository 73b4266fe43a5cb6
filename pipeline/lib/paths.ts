import { existsSync } from 'node:fs';
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
