/**
 * The FY2016 (H28) Kurume report, end to end through the real CLI: every
 * numeric-target row and every KPI row compared with the values printed in the
 * report (ground truth: ../shared/seeds/000_fe8b3e81216dca63.txt), and the findings.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Papa from 'papaparse';
import { beforeAll, describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..');
const CLI = join(ROOT, 'dist/pipeline/cli/main.js');

type Row = Record<string, string>;
let out: string;
let numeric: Row[];
let kpi: Row[];
let findings: Row[];

function readCsv(file: string): Row[] {
  const text = readFileSync(file, 'utf8');
  expect(text.charCodeAt(0)).toBe(0xfeff); // UTF-8 BOM for Excel
  const parsed = Papa.parse<Row>(text.slice(1), { header: true, skipEmptyLines: true });
  expect(parsed.errors).toEqual([]);
  return parsed.data;
}

beforeAll(() => {
  out = mkdtempSync(join(tmpdir(), 'sousei-h28-'));
  execFileSync(process.execPath, [CLI, 'run', '--out', out, '--quiet'], { cwd: ROOT });
  const latest = realpathSync(join(out, 'latest'));
  numeric = readCsv(join(latest, 'numeric_targets.csv'));
  kpi = readCsv(join(latest, 'kpi_summary.csv'));
  findings = readCsv(join(latest, 'findings.csv'));
});

// indicator id suffix, label, target, comparator, actual, status, progress printed, grade, progress recomputed, page
const NUMERIC: Array<[string, string, string, string, string, string, string, string, string, string]> = [
  ['G1-new-employment', 'H27', '16507', 'ge', '16639', 'final', '○', 'A', '○', '1'],
  ['G1-new-employment', 'H28', '16507', 'ge', '17375', 'final', '○', 'A', '○', '1'],
  ['G1-new-employment', 'H29', '16507', 'ge', '', 'missing', '', 'A', '', '1'],
  ['G1-new-employment', 'H30', '16507', 'ge', '', 'missing', '', 'A', '', '1'],
  ['G1-new-employment', 'H31', '16507', 'ge', '', 'missing', '', 'A', '', '1'],
  ['G1-graduate-local-employment', 'H27', '13', '', '12.9', 'final', '△', 'B', '△', '1'],
  ['G1-graduate-local-employment', 'H28', '14', '', '11.2', 'final', '×', 'B', '×', '1'],
  ['G1-graduate-local-employment', 'H29', '15', '', '', 'missing', '', 'B', '', '1'],
  ['G1-graduate-local-employment', 'H30', '16', '', '', 'missing', '', 'B', '', '1'],
  ['G1-graduate-local-employment', 'H31', '17', '', '', 'missing', '', 'B', '', '1'],
  ['G2-net-outflow-metro', 'H27', '550', '', '547', 'final', '○', 'A', '○', '2'],
  ['G2-net-outflow-metro', 'H28', '550', '', '467', 'final', '○', 'A', '○', '2'],
  ['G2-net-outflow-metro', 'H29', '550', '', '', 'missing', '', 'A', '', '2'],
  ['G2-net-outflow-metro', 'H30', '550', '', '', 'missing', '', 'A', '', '2'],
  ['G2-net-outflow-metro', 'H31', '550', '', '', 'missing', '', 'A', '', '2'],
  ['G2-tourists', 'H27', '5300000', '', '5250000', 'provisional', '△', 'A', '×', '2'],
  ['G2-tourists', 'H28', '6000000', '', '', 'missing', '', 'A', '-', '2'],
  ['G2-tourists', 'H29', '6500000', '', '', 'missing', '', 'A', '', '2'],
  ['G2-tourists', 'H30', '6800000', '', '', 'missing', '', 'A', '', '2'],
  ['G2-tourists', 'H31', '7000000', '', '', 'missing', '', 'A', '', '2'],
  ['G3-childrearing-friendly', 'H27', '72', '', '78.7', 'final', '○', 'A', '○', '3'],
  ['G3-childrearing-friendly', 'H28', '73', '', '78.1', 'final', '○', 'A', '○', '3'],
  ['G3-childrearing-friendly', 'H29', '75', '', '', 'missing', '', 'A', '', '3'],
  ['G3-childrearing-friendly', 'H30', '78', '', '', 'missing', '', 'A', '', '3'],
  ['G3-childrearing-friendly', 'H31', '80', '', '', 'missing', '', 'A', '', '3'],
  ['G4-want-to-stay', 'H27', '76', '', '73', 'final', '×', 'B', '×', '4'],
  ['G4-want-to-stay', 'H28', '77', '', '76.4', 'final', '×', 'B', '×', '4'],
  ['G4-want-to-stay', 'H29', '78', '', '', 'missing', '', 'B', '', '4'],
  ['G4-want-to-stay', 'H30', '79', '', '', 'missing', '', 'B', '', '4'],
  ['G4-want-to-stay', 'H31', '80', '', '', 'missing', '', 'B', '', '4'],
  ['G5-daytime-population', 'H27', '', '', '', 'missing', '-', '', '-', '5'],
  ['G5-daytime-population', 'H28', '', '', '', 'missing', '-', '', '-', '5'],
  ['G5-daytime-population', 'H29', '', '', '', 'missing', '-', '', '', '5'],
  ['G5-daytime-population', 'H30', '', '', '', 'missing', '-', '', '', '5'],
  ['G5-daytime-population', 'H31', '', '', '', 'missing', '-', '', '', '5'],
];

// policy direction, goal, KPI count, ○ △ × -, A B C
const KPI: Array<[number, number, number, number, number, number, number, number, number, number]> = [
  [1, 1, 12, 8, 1, 2, 1, 9, 3, 0],
  [2, 1, 3, 2, 0, 0, 1, 2, 1, 0],
  [3, 1, 4, 1, 1, 0, 2, 3, 1, 0],
  [4, 1, 2, 2, 0, 0, 0, 2, 0, 0],
  [5, 2, 2, 1, 1, 0, 0, 2, 0, 0],
  [6, 2, 1, 1, 0, 0, 0, 1, 0, 0],
  [7, 2, 10, 4, 1, 1, 4, 10, 0, 0],
  [8, 3, 4, 1, 0, 2, 1, 1, 3, 0],
  [9, 3, 11, 4, 0, 1, 6, 8, 3, 0],
  [10, 4, 13, 4, 2, 3, 4, 5, 8, 0],
  [11, 4, 4, 2, 0, 1, 1, 2, 2, 0],
  [12, 5, 1, 0, 0, 0, 1, 0, 1, 0],
];

describe('H28 report: numeric targets', () => {
  it('has exactly 7 indicators × 5 fiscal years', () => {
    expect(numeric).toHaveLength(35);
    expect(new Set(numeric.map((r) => r.indicator_id)).size).toBe(7);
  });

  it.each(NUMERIC)('%s %s matches the report', (id, label, target, cmp, actual, status, progress, grade, recomputed, page) => {
    const row = numeric.find((r) => r.indicator_id === `402036-${id}` && r.fiscal_year_label === label);
    expect(row, `${id} ${label}`).toBeDefined();
    expect({
      target: row!.target_value,
      cmp: row!.target_comparator,
      actual: row!.actual_value,
      status: row!.actual_status,
      progress: row!.progress_reported,
      grade: row!.evaluation_reported,
      recomputed: row!.progress_recomputed,
      page: row!.source_page,
    }).toEqual({ target, cmp, actual, status, progress, grade, recomputed, page });
    const fy = Number(label.slice(1)) + 1988;
    expect(row!.fiscal_year).toBe(String(fy));
    expect(row!.municipality_code).toBe('402036');
    expect(row!.report_fiscal_year).toBe('2016');
    expect(row!.source_file).toBe('kurume-sousei-h28-progress.pdf');
  });

  it('reads baselines and final targets with units in base units', () => {
    const pick = (id: string) => numeric.find((r) => r.indicator_id === `402036-${id}`)!;
    expect([pick('G1-new-employment').baseline_value, pick('G1-new-employment').final_target_value, pick('G1-new-employment').final_target_text]).toEqual(['16507', '', '基準年を毎年上回る']);
    expect([pick('G1-graduate-local-employment').baseline_value, pick('G1-graduate-local-employment').final_target_value, pick('G1-graduate-local-employment').unit]).toEqual(['12', '17', '%']);
    expect([pick('G2-net-outflow-metro').baseline_value, pick('G2-net-outflow-metro').final_target_value, pick('G2-net-outflow-metro').direction]).toEqual(['650', '550', 'lower_is_better']);
    expect([pick('G2-tourists').baseline_value, pick('G2-tourists').final_target_value, pick('G2-tourists').unit]).toEqual(['5150000', '7000000', '人']);
    expect([pick('G5-daytime-population').baseline_value, pick('G5-daytime-population').final_target_text]).toEqual(['', '基準値滞在人口を維持']);
  });

  it('names indicators as printed, wraps and stray spaces removed', () => {
    const names = [...new Set(numeric.map((r) => r.indicator_name))].sort();
    expect(names).toEqual(
      ['基準年を上回る年間新規雇用者数を毎年創出する', '市内の大学等の新卒者の市内企業への就職率', '大都市圏への転出超過数', '年間観光客数', '子育てしやすいと思ふ市民の割合', '住み続けたいと思う市民の割合', '久留米市の滞在人口'].sort(),
    );
  });
});

describe('H28 report: KPI summary', () => {
  it.each(KPI)('policy direction %i', (pd, goal, count, a, m, n, u, oa, ob, oc) => {
    const row = kpi.find((r) => r.policy_direction_no === String(pd));
    expect(row).toBeDefined();
    expect([row!.goal_no, row!.kpi_count, row!.achieved, row!.mostly_achieved, row!.not_achieved, row!.undetermined, row!.outlook_a, row!.outlook_b, row!.outlook_c, row!.counts_consistent].map(String)).toEqual(
      [goal, count, a, m, n, u, oa, ob, oc, 'true'].map(String),
    );
  });

  it('has 12 rows', () => expect(kpi).toHaveLength(12));
});

describe('H28 report: findings', () => {
  it('infers the baseline-relative method from the printed symbols', () => {
    const f = findings.find((r) => r.rule === 'progress_method_inferred');
    expect(f?.recomputed).toBe('baseline_relative');
    expect(f?.message).toContain('8 of 9');
  });

  it('reports the one printed symbol that disagrees with its recomputation', () => {
    const mismatches = findings.filter((r) => r.rule === 'progress_symbol_mismatch');
    expect(mismatches.map((r) => [r.record_key, r.reported, r.recomputed])).toEqual([['402036/2016/402036-G2-tourists/2015', '△', '×']]);
    expect(mismatches[0]!.message).toContain('provisional');
  });

  it('notes the KPI name that differs between the goal list and the KPI table, and the outlook table matched by order', () => {
    expect(findings.filter((r) => r.rule === 'policy_direction_name_differs').map((r) => r.record_key)).toEqual(['402036/2016/kpi/12']);
    expect(findings.some((r) => r.rule === 'table_layout' && r.source_page === '2')).toBe(true);
  });

  it('has no warnings about extraction or counts', () => {
    const bad = findings.filter((r) => ['extraction_uncertain', 'kpi_progress_sum', 'kpi_outlook_sum', 'schema_invalid', 'table_structure', 'unknown_indicator'].includes(r.rule));
    expect(bad).toEqual([]);
  });
});
