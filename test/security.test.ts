/**
 * What published files can do to their readers, and what a PDF can do to us:
 * - CSV cells a spreadsheet would run (= + - @ tab CR) are neutralised (OWASP:
 *   leading apostrophe) in text columns only, so negative numbers stay numbers;
 *   unit tests and end to end through a PDF whose table cells are formulas;
 * - the dataset page shows HTML from a PDF as text;
 * - nothing in a PDF chooses an output path (its Title is a "../../" path here);
 *   registry entries with directories are refused;
 * - pdf.js is a version outside the known advisories and is loaded with the
 *   options for untrusted input.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve, sep } from 'node:path';
import Papa from 'papaparse';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadOptions } from '../pipeline/extract/pdf.js';
import { validator } from '../pipeline/lib/schemas.js';
import { cellValue, neutraliseCell, toCsv } from '../pipeline/publish/csv.js';

const ROOT = join(import.meta.dirname, '..');
const CLI = join(ROOT, 'dist/pipeline/cli/main.js');
const FORMULA_PDF = join(ROOT, 'test/fixtures/bad/formula-injection.pdf');
const FORMULA_START = /^[=+\-@\t\r]/u;

type Row = Record<string, string>;
const parseCsv = (text: string): Row[] => Papa.parse<Row>(text.replace(/^\uFEFF/u, ''), { header: true, skipEmptyLines: true }).data;

describe('CSV cells a spreadsheet would evaluate', () => {
  it('are prefixed with an apostrophe when they start with = + - @ tab or CR', () => {
    for (const s of ['=1+1', '=HYPERLINK("http://x","y")', '+SUM(A1)', '-2+3', '@SUM(1,1)', '\t=1', '\r=1', '-', '--', '=']) {
      expect(neutraliseCell(s)).toBe(s === '-' ? '-' : `'${s}`);
    }
    for (const s of ['16,507人', '基準年を毎年上回る', ' =1', 'a=1', '', '○', '▲5', "'=1"]) expect(neutraliseCell(s)).toBe(s);
  });

  it('leave numbers in numeric columns alone, negative ones included, but not text in them', () => {
    expect(cellValue(-600, 'integer')).toBe('-600');
    expect(cellValue(-3.25, 'number')).toBe('-3.25');
    expect(cellValue(-1e-7, 'number')).toBe('-0.0000001');
    expect(cellValue('-600', 'integer')).toBe("'-600");
    expect(cellValue('=1+1', 'number')).toBe("'=1+1");
    expect(cellValue('-600人', 'string')).toBe("'-600人");
    expect(cellValue(null, 'string')).toBe('');
  });

  it('survive CSV quoting: a reader gets the neutralised text back, line breaks and quotes included', () => {
    const csv = toCsv(
      [
        { name: 'name', type: 'string' },
        { name: 'value', type: 'number' },
      ],
      [
        { name: '=cmd|"/C calc"!A0\r\n2行目', value: -1.5 },
        { name: '\t@x', value: 0 },
        { name: '-', value: null },
      ],
    ).toString('utf8');
    expect(parseCsv(csv)).toEqual([
      { name: '\'=cmd|"/C calc"!A0\r\n2行目', value: '-1.5' },
      { name: "'\t@x", value: '0' },
      { name: '-', value: '' },
    ]);
  });
});

describe('a report PDF whose table cells are formulas and HTML', () => {
  let release: string;
  let out: string;
  beforeAll(() => {
    out = join(mkdtempSync(join(tmpdir(), 'sousei-sec-')), 'out');
    const r = spawnSync(
      process.execPath,
      [CLI, 'run', FORMULA_PDF, '--out', out, '--municipality-code', '402036', '--municipality-name', '福岡県久留米市', '--year', '2016', '--sjis', '--quiet'],
      { cwd: ROOT, encoding: 'utf8' },
    );
    expect(r.status, r.stderr).toBe(0);
    release = join(out, readlinkSync(join(out, 'latest')));
  });

  it('publishes the formulas as inert text in the CSV and unchanged in the JSON', () => {
    const rows = parseCsv(readFileSync(join(release, 'numeric_targets.csv'), 'utf8'));
    const names = [...new Set(rows.map((r) => r.indicator_name))];
    expect(names).toHaveLength(5);
    expect(names).toContain('\'=HYPERLINK("http://evil.example/","詳細")');
    expect(names.filter((n) => /^'[=+\-@]/u.test(n!))).toHaveLength(4);
    expect(names.some((n) => n!.startsWith('</script><script>alert("x")</script>'))).toBe(true);
    const json = JSON.parse(readFileSync(join(release, 'numeric_targets.json'), 'utf8')) as Array<Record<string, unknown>>;
    expect(json.map((r) => r.indicator_name)).toContain('=HYPERLINK("http://evil.example/","詳細")');
    // Negative numbers: numeric columns keep them, the printed text beside them is neutralised.
    const h27 = rows.find((r) => r.indicator_name!.includes('社会増減') && r.fiscal_year === '2015')!;
    expect(h27.target_value).toBe('-600');
    expect(h27.actual_value).toBe('-320');
    expect(h27.baseline_value).toBe('-800');
    expect(h27.target_text).toBe("'-600人");
  });

  it('leaves no evaluable cell in any text column of any CSV, Shift_JIS copies included', () => {
    const pkg = JSON.parse(readFileSync(join(release, 'datapackage.json'), 'utf8')) as { resources: Array<{ path: string; schema: { fields: Array<{ name: string; type: string }> } }> };
    const types = new Map(pkg.resources.map((r) => [r.path, new Map(r.schema.fields.map((f) => [f.name, f.type]))]));
    const csvs = readdirSync(release, { recursive: true, encoding: 'utf8' }).filter((n) => n.endsWith('.csv'));
    expect(csvs).toContain(join('sjis', 'numeric_targets.csv'));
    let checked = 0;
    for (const name of csvs) {
      const bytes = readFileSync(join(release, name));
      const text = name.startsWith(`sjis${sep}`) ? new TextDecoder('shift_jis').decode(bytes) : bytes.toString('utf8');
      const fieldTypes = types.get(name.replace(`sjis${sep}`, '')) ?? new Map<string, string>();
      for (const row of parseCsv(text)) {
        for (const [col, v] of Object.entries(row)) {
          const type = fieldTypes.get(col) ?? 'string';
          if (type === 'string' && v !== '-') expect(v, `${name} ${col}`).not.toMatch(FORMULA_START);
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(1000);
  });

  it('shows HTML from the PDF as text on the dataset page', () => {
    const page = readFileSync(join(release, 'index.html'), 'utf8');
    expect(page).toContain('&lt;/script&gt;&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;');
    expect(page).not.toContain('<script>alert(');
    // The one script element is the schema.org JSON-LD (data, never run), and no "<" inside it can end it early.
    expect(page.match(/<script\b[^>]*>/giu)).toEqual(['<script type="application/ld+json">']);
    const ld = /<script type="application\/ld\+json">([^]*?)<\/script>/u.exec(page)![1]!;
    expect(ld).not.toContain('<');
    expect(JSON.parse(ld)['@type']).toBe('Dataset');
  });

  it('never uses text from the PDF as a path: its Title "../../…" is only data', () => {
    const pkg = readFileSync(join(release, 'datapackage.json'), 'utf8');
    expect(pkg).toContain('../../../../tmp/sousei-kpi-title-path/evil');
    expect(existsSync('/tmp/sousei-kpi-title-path')).toBe(false);
    const files = readdirSync(release, { recursive: true, encoding: 'utf8' });
    // sources/ holds the copy of the report PDF under its own file name (raw/publication.json copy_source_pdfs).
    for (const f of files) expect(f).toMatch(/^(sjis(\/[a-z_]+\.csv)?|sources(\/[a-z0-9_-]+\.pdf)?|[a-z_-]+\.(csv|json|jsonld|html)|CHANGELOG\.md)$/u);
    const manifest = JSON.parse(readFileSync(join(release, 'manifest.json'), 'utf8')) as { files: Array<{ path: string }> };
    for (const f of manifest.files) expect(resolve(release, f.path).startsWith(release + sep)).toBe(true);
    expect(readdirSync(out).sort()).toEqual(['.cache', 'latest', 'releases', 'runs']); // .cache: the extraction cache
    expect(readdirSync(join(out, 'runs'))).toEqual([]); // the run lock, released
  });
});

describe('registry file names', () => {
  const v = validator('sources.schema.json');
  const entry = (file: string) => ({ reports: [{ id: 'x', file, municipality_code: '402036', municipality_name: '福岡県久留米市', report_fiscal_year: 2016, sha256: '0'.repeat(64) }] });

  it('refuses directories and parent references', () => {
    for (const f of ['../x.pdf', '../../etc/passwd.pdf', 'sub/x.pdf', 'sub\\x.pdf', '..\\x.pdf', '/abs/x.pdf', 'C:\\x.pdf', 'x.pdf/']) expect(v(entry(f)), f).toBe(false);
  });

  it('accepts plain names, which always stay inside raw/', () => {
    const raw = resolve('/srv/raw');
    for (const f of ['kurume-sousei-h28-progress.pdf', '..pdf', '久留米 H28.pdf']) {
      expect(v(entry(f)), f).toBe(true);
      expect(resolve(raw, f).startsWith(raw + sep)).toBe(true);
    }
  });
});

describe('pdf.js', () => {
  const version = (createRequire(import.meta.url)('pdfjs-dist/package.json') as { version: string }).version;
  const num = (v: string) => v.split('.').map(Number).reduce((n, x) => n * 10_000 + x, 0);

  it(`(${version}) is outside the known arbitrary-code-execution advisories`, () => {
    // CVE-2024-4367 / GHSA-wgrm-67xf-hhpq: fixed in 4.2.67.
    expect(num(version)).toBeGreaterThanOrEqual(num('4.2.67'));
    // GHSA-hq66-cqwq-w95j / CVE-2026-16633: affected from 5.6.83, fixed in 6.2.108 (which needs Node >= 22.13).
    expect(num(version) < num('5.6.83') || num(version) >= num('6.2.108')).toBe(true);
  });

  it('is loaded with the options for untrusted input', () => {
    const o = loadOptions(new Uint8Array(0));
    expect(o).toMatchObject({ isEvalSupported: false, enableXfa: false, useSystemFonts: false, maxImageSize: 0 });
    const dir = resolve(ROOT, 'node_modules/pdfjs-dist');
    for (const url of [o.cMapUrl, o.standardFontDataUrl, o.wasmUrl]) expect(resolve(url).startsWith(dir + sep)).toBe(true);
    expect(Object.keys(o)).not.toContain('url');
  });
});
