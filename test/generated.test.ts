/** Generated artefacts must match the schemas they come from (one source of truth). */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..');

describe('files generated from schemas/', () => {
  it.each([
    ['pipeline/lib/records.gen.ts', 'pipeline/tools/gen-types.mjs'],
    ['README.md dataset tables', 'pipeline/tools/readme-datasets.mjs'],
  ])('%s is up to date', (_what, tool) => {
    const res = spawnSync(process.execPath, [join(ROOT, tool), '--check'], { cwd: ROOT, encoding: 'utf8' });
    expect(res.stderr).toBe('');
    expect(res.status).toBe(0);
  });
});
