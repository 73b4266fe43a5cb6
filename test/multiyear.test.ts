/**
 * Several reports in one run: the real H28 report plus the two synthetic
 * later-year reports (H30, R1). Stable indicator ids across years, the
 * cumulative current dataset and the revisions dataset, and a correction of
 * the open-data team flowing through to the CSV.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Papa from 'papaparse';
import { beforeAll, describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..');
const CLI = join(ROOT, 'dist/pipeline/cli/main.js');
type Row = Record<string, string>;
const csv = (dir: string, name: string): Row[] => Papa.parse<Row>(readFileSync(join(dir, name), 'utf8').replace(/^\uFEFF/u, ''), { header: true, skipEmptyLines: true }).data;
const sha = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');

function makeRaw(corrections: string): string {
  const raw = mkdtempSync(join(tmpdir(), 'sousei-raw-'));
  const files: Array<[string, string, number, boolean]> = [
    [join(ROOT, 'raw', 'kurume-sousei-h28-progress.pdf'), 'kurume-sousei-h28-progress.pdf', 2016, false],
    [join(ROOT, 'test', 'fixtures', 'pdf', 'synthetic-h30-report.pdf'), 'synthetic-h30-report.pdf', 2018, true],
    [join(ROOT, 'test', 'fixtures', 'pdf', 'synthetic-r1-report.pdf'), 'synthetic-r1-report.pdf', 2019, true],
  ];
  for (const [src, name] of files) copyFileSync(src, join(raw, name));
  copyFileSync(join(ROOT, 'raw', 'indicators.json'), join(raw, 'indicators.json'));
  const reports = files.map(([src, name, year, synthetic]) => ({
    id: `kurume-fy${year}`,
    file: name,
    municipality_code: '402036',
    municipality_name: '福岡県久留米市',
    report_fiscal_year: year,
    sha256: sha(src),
    ...(synthetic ? { synthetic: true } : {}),
  }));
  writeFileSync(join(raw, 'sources.json'), JSON.stringify({ reports }, null, 2));
  writeFileSync(join(raw, 'corrections.csv'), corrections);
  return raw;
}

const CORRECTIONS = [
  'record_key,field,corrected_value,reason,author,date',
  '402036/2018/402036-G2-tourists/2018,actual_value,5980000,"Final figure published in the 2019 tourism statistics (was 集計中)",open-data team,2026-10-01',
  '402036/2015/402036-G9-nothing/2015,actual_value,1,Stale correction for a report that is not published,open-data team,2026-10-02',
].join('\n');

describe('three reports in one run', () => {
  let out: string;
  let numeric: Row[];
  let current: Row[];
  let revisions: Row[];
  let findings: Row[];
  beforeAll(() => {
    const raw = makeRaw(CORRECTIONS);
    out = mkdtempSync(join(tmpdir(), 'sousei-out-'));
    execFileSync(process.execPath, [CLI, 'run', '--raw', raw, '--out', out, '--quiet'], { cwd: ROOT });
    const latest = realpathSync(join(out, 'latest'));
    numeric = csv(latest, 'numeric_targets.csv');
    current = csv(latest, 'numeric_targets_current.csv');
    revisions = csv(latest, 'revisions.csv');
    findings = csv(latest, 'findings.csv');
  });

  it('publishes every report with the same 7 indicator ids', () => {
    expect(numeric).toHaveLength(105);
    for (const year of ['2016', '2018', '2019']) {
      const ids = new Set(numeric.filter((r) => r.report_fiscal_year === year).map((r) => r.indicator_id));
      expect([...ids].sort()).toEqual([
        '402036-G1-graduate-local-employment',
        '402036-G1-new-employment',
        '402036-G2-net-outflow-metro',
        '402036-G2-tourists',
        '402036-G3-childrearing-friendly',
        '402036-G4-want-to-stay',
        '402036-G5-daytime-population',
      ]);
    }
    expect(findings.filter((f) => f.rule === 'unknown_indicator')).toEqual([]);
  });

  it('labels the final year R1 in the 令和 report and keeps 2019 as the Western year', () => {
    const r1 = numeric.filter((r) => r.report_fiscal_year === '2019' && r.fiscal_year === '2019');
    expect(new Set(r1.map((r) => r.fiscal_year_label))).toEqual(new Set(['R1']));
    const h28 = numeric.filter((r) => r.report_fiscal_year === '2016' && r.fiscal_year === '2019');
    expect(new Set(h28.map((r) => r.fiscal_year_label))).toEqual(new Set(['H31']));
  });

  it('keeps one current row per indicator and year, from the latest report that gives an actual', () => {
    expect(current).toHaveLength(35);
    const get = (id: string, fy: string) => current.find((r) => r.indicator_id === `402036-${id}` && r.fiscal_year === fy)!;
    expect([get('G1-new-employment', '2017').actual_value, get('G1-new-employment', '2018').actual_value]).toEqual(['17861', '17527']);
    expect([get('G1-graduate-local-employment', '2017').actual_value, get('G1-graduate-local-employment', '2018').actual_value]).toEqual(['9.6', '10.8']);
    const t2015 = get('G2-tourists', '2015');
    expect([t2015.actual_value, t2015.actual_status, t2015.report_fiscal_year, t2015.reports_count, t2015.revised]).toEqual(['5250000', 'final', '2019', '3', 'true']);
    expect(get('G2-tourists', '2019').fiscal_year_label).toBe('R1');
  });

  it('records which report said what', () => {
    const status2015 = revisions.filter((r) => r.indicator_id === '402036-G2-tourists' && r.fiscal_year === '2015' && r.field === 'actual_status');
    expect(status2015.map((r) => [r.previous_report_fiscal_year, r.previous_value, r.report_fiscal_year, r.value])).toEqual([['2016', 'provisional', '2018', 'final']]);
    const renamed = revisions.filter((r) => r.indicator_id === '402036-G3-childrearing-friendly' && r.field === 'indicator_name' && r.fiscal_year === '2015');
    expect(renamed.map((r) => [r.previous_value, r.value])).toEqual([['子育てしやすいと思ふ市民の割合', '子育てしやすいと思う市民の割合']]);
  });

  it('applies a correction, visible in the CSV, and reports one that no longer matches', () => {
    const row = numeric.find((r) => r.record_key === '402036/2018/402036-G2-tourists/2018')!;
    expect([row.actual_value, row.extraction_status]).toEqual(['5980000', 'corrected']);
    expect(row.extraction_note).toContain('Final figure published in the 2019 tourism statistics');
    expect(row.extraction_note).toContain('open-data team on 2026-10-01');
    // The progress symbol is recomputed from the corrected value.
    expect(row.progress_ratio).not.toBe('');
    expect(findings.filter((f) => f.rule === 'correction_applied').map((f) => f.record_key)).toEqual(['402036/2018/402036-G2-tourists/2018']);
    expect(findings.filter((f) => f.rule === 'correction_unmatched').map((f) => [f.record_key, f.severity])).toEqual([['402036/2015/402036-G9-nothing/2015', 'warning']]);
  });
});

describe('bad corrections.csv', () => {
  it('fails with the file, the line and the problem, and publishes nothing', () => {
    const raw = makeRaw('record_key,field,corrected_value,reason,author,date\n402036/2016/x/2015,actual_value,1,why,me,01/10/2026\n');
    const out = mkdtempSync(join(tmpdir(), 'sousei-out-'));
    const res = spawnSync(process.execPath, [CLI, 'run', '--raw', raw, '--out', out, '--quiet'], { cwd: ROOT, encoding: 'utf8' });
    expect(res.status).toBe(1);
    expect(res.stderr).toContain('corrections.csv: line 2, column 6 (date): date "01/10/2026" is not YYYY-MM-DD — write the date as e.g. 2026-10-01');
    expect(() => realpathSync(join(out, 'latest'))).toThrow();
  });

  it('refuses a correction of a value that breaks the schema: the run stops and publishes nothing', () => {
    const raw = makeRaw('record_key,field,corrected_value,reason,author,date\n402036/2016/kpi/1,achieved,many,typo,me,2026-10-01\n');
    const out = mkdtempSync(join(tmpdir(), 'sousei-out-'));
    const res = spawnSync(process.execPath, [CLI, 'run', '--raw', raw, '--out', out, '--quiet'], { cwd: ROOT, encoding: 'utf8' });
    expect(res.status).toBe(1);
    expect(res.stderr).toContain('corrections.csv: line 2, column 3 (corrected_value): "many" is not a number in the column\'s unit');
    expect(() => realpathSync(join(out, 'latest'))).toThrow();
  });
});
