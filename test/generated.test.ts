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

describe('validators precompiled by npm run build', () => {
  it('match the schemas, so runs do not compile them at start-up', async () => {
    const { precompiled, schemaHash } = await import('../pipeline/lib/validator-support.js');
    const { readdirSync } = await import('node:fs');
    const dir = join(ROOT, 'schemas');
    const files = readdirSync(dir).filter((f) => f.endsWith('.schema.json')).sort();
    const records = precompiled<Record<string, (v: unknown) => boolean>>('records', schemaHash(dir, files));
    expect(records).not.toBeNull();
    // The precompiled code validates like the schema says: a KPI row with a count as text is refused.
    expect(records!.kpi_summary!({ record_key: 'x' })).toBe(false);
    const dp = precompiled<(v: unknown) => boolean>('datapackage', schemaHash(dir, ['frictionless-2.0/datapackage.json']));
    expect(dp).not.toBeNull();
    expect(dp!({ resources: [] })).toBe(false);
    expect(dp!({ resources: [{ name: 'x', path: 'x.csv' }] })).toBe(true);
  });
});
