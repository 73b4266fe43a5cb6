/**
 * What reading a PDF loads: pdf.js without its rendering dependency. The
 * display layer of pdf.js requires @napi-rs/canvas (a native Skia binary) on
 * import; extraction never renders, so that package must stay unloaded — checked
 * in a fresh process that reads the bundled report.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..');

describe('extraction runtime', () => {
  it('reads the bundled report without loading @napi-rs/canvas, and gives the same rows', () => {
    const script = `
      import { createRequire } from 'node:module';
      import { readFileSync } from 'node:fs';
      const { extractReport } = await import(${JSON.stringify(join(ROOT, 'dist/pipeline/extract/index.js'))});
      const data = new Uint8Array(readFileSync(${JSON.stringify(join(ROOT, 'raw/kurume-sousei-h28-progress.pdf'))}));
      const ex = await extractReport(data, 'h28.pdf');
      const loaded = Object.keys(createRequire(import.meta.url).cache).filter((k) => k.includes('@napi-rs'));
      console.log(JSON.stringify({ rows: ex.numericTables.reduce((n, t) => n + t.rows.length, 0), kpi: ex.kpiTables.reduce((n, t) => n + t.rows.length, 0), loaded }));
    `;
    const res = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: ROOT, encoding: 'utf8' });
    expect(res.status, res.stderr).toBe(0);
    const out = JSON.parse(res.stdout.trim().split('\n').at(-1)!) as { rows: number; kpi: number; loaded: string[] };
    expect(out.loaded).toEqual([]);
    expect(out.rows).toBe(35);
    expect(out.kpi).toBe(12);
    // Nothing else on stdout (pdf.js warns there when a polyfill is missing).
    expect(res.stdout.trim().split('\n')).toHaveLength(1);
  });
});
