/**
 * What reading a PDF loads: pdf.js without its rendering dependency. The
 * display layer of pdf.js requires @napi-rs/canvas (a native Skia binary) on
 * import; extraction never renders, so that package must stay unloaded — checked
 * in a fresh process that reads the bundled report.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readDocument } from '../pipeline/extract/pdf.js';

/** A one-page PDF (600×800 pt) whose only content is a form XObject drawing two rules, placed with the form's /Matrix. */
function formPdf(matrix: string): Uint8Array {
  const form = '0 0 0 RG 1 w 10 700 m 200 700 l S 10 600 m 10 700 l S';
  const page = 'q /Fm1 Do Q';
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 600 800] /Resources << /XObject << /Fm1 5 0 R >> >> /Contents 4 0 R >>',
    `<< /Length ${page.length} >>\nstream\n${page}\nendstream`,
    `<< /Type /XObject /Subtype /Form /BBox [0 0 600 800] /Matrix [${matrix}] /Length ${form.length} >>\nstream\n${form}\nendstream`,
  ];
  let out = '%PDF-1.4\n';
  const offsets: number[] = [];
  objects.forEach((o, i) => {
    offsets.push(out.length);
    out += `${i + 1} 0 obj\n${o}\nendobj\n`;
  });
  const xref = out.length;
  out += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n${offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`).join('')}`;
  out += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return new Uint8Array(Buffer.from(out, 'latin1'));
}

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

  it("places ruling lines drawn inside a form XObject by the form's /Matrix", async () => {
    const plain = await readDocument(formPdf('1 0 0 1 0 0'));
    const moved = await readDocument(formPdf('1 0 0 1 100 -50'));
    const h = (d: typeof plain) => d.pages[0]!.rules.find((r) => r.dir === 'h')!;
    const v = (d: typeof plain) => d.pages[0]!.rules.find((r) => r.dir === 'v')!;
    expect(h(plain)).toMatchObject({ at: 100, from: 10, to: 200 });
    expect(v(plain)).toMatchObject({ at: 10, from: 100, to: 200 });
    // Shifted 100 pt right and 50 pt down the page (y grows downwards in our coordinates).
    expect(h(moved)).toMatchObject({ at: 150, from: 110, to: 300 });
    expect(v(moved)).toMatchObject({ at: 110, from: 150, to: 250 });
  });
});

describe('pdf.js code cache (issue 15: cold start)', () => {
  const SCRIPTS = join(ROOT, 'dist', 'pdfjs');
  // A heap limit no other process uses: its own cache files, which the test removes again.
  const FLAGS = ['--max-old-space-size=777'];
  const caches = () => new Set(readdirSync(SCRIPTS).filter((n) => n.endsWith('.v8cache')));
  const readReport = () => {
    const script = `
      import { readFileSync } from 'node:fs';
      const { extractReport } = await import(${JSON.stringify(join(ROOT, 'dist/pipeline/extract/index.js'))});
      const { pdfjsLoadedAs } = await import(${JSON.stringify(join(ROOT, 'dist/pipeline/extract/pdfjs-script.js'))});
      const ex = await extractReport(new Uint8Array(readFileSync(${JSON.stringify(join(ROOT, 'raw/kurume-sousei-h28-progress.pdf'))})), 'h28.pdf');
      console.log(JSON.stringify({ rows: ex.numericTables.reduce((n, t) => n + t.rows.length, 0), kpi: ex.kpiTables.reduce((n, t) => n + t.rows.length, 0), as: pdfjsLoadedAs() }));
    `;
    const res = spawnSync(process.execPath, [...FLAGS, '--input-type=module', '-e', script], { cwd: ROOT, encoding: 'utf8' });
    expect(res.status, res.stderr).toBe(0);
    return JSON.parse(res.stdout.trim().split('\n').at(-1)!) as { rows: number; kpi: number; as: Record<string, string> };
  };

  it('is saved by the first document of a process, used by the next, and rebuilt when V8 rejects it; the rows never change', () => {
    const before = caches();
    let made: string[] = [];
    try {
      const first = readReport();
      made = [...caches()].filter((n) => !before.has(n)).sort();
      expect(first).toEqual({ rows: 35, kpi: 12, as: { pdf: 'compiled', 'pdf.worker': 'compiled' } });
      expect(made.map((n) => n.split('.').slice(0, -2).join('.'))).toEqual(['pdf', 'pdf.worker']);

      expect(readReport()).toEqual({ rows: 35, kpi: 12, as: { pdf: 'cache', 'pdf.worker': 'cache' } });

      // A damaged cache: V8 checks it and compiles the source instead; the process saves a good one.
      for (const n of made) writeFileSync(join(SCRIPTS, n), Buffer.alloc(4096, 7));
      expect(readReport()).toEqual({ rows: 35, kpi: 12, as: { pdf: 'rejected', 'pdf.worker': 'rejected' } });
      for (const n of made) expect(readFileSync(join(SCRIPTS, n)).equals(Buffer.alloc(4096, 7))).toBe(false);
      expect(readReport().as).toEqual({ pdf: 'cache', 'pdf.worker': 'cache' });
    } finally {
      for (const n of made) rmSync(join(SCRIPTS, n), { force: true });
    }
  });
});
