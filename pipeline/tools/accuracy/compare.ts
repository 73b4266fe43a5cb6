/**
 * Accuracy of one extracted report against its expected values, cell by cell.
 *
 * Numeric cells: target, actual and progress symbol per indicator and fiscal year (values compared in
 * base units). Indicator cells: baseline, final target and grade per indicator (when the expected
 * file gives them). KPI cells: KPI count, the four progress counts and the three outlook counts per
 * policy direction. A cell is matched, missing (nothing extracted), wrong-but-flagged (a different
 * value on a row whose extraction_status is uncertain) or wrong-and-silent (a different value on a row
 * that claims to be ok).
 */
import type { Finding, KPISummary, NumericTarget } from '../../lib/records.gen.js';
import { nameKey } from '../../normalize/indicators.js';

/** Expected values of one indicator (the format of test/fixtures/submitted/expected_h28.json). */
export interface ExpectedIndicator {
  goal_no: number;
  /** The indicator name or a distinctive part of it. */
  key: string;
  unit?: string | null;
  /** Omitted when the expected file does not give it (then it is not compared). */
  baseline?: number | null;
  final_target?: number | null;
  /** Fiscal year → [target, actual, symbol], values in base units. */
  years: Record<string, [number | null, number | null, string | null]>;
  grade?: string | null;
}

export interface ExpectedKpi {
  no: number;
  goal_no: number;
  kpi: number;
  prog: [number, number, number, number];
  outlook: [number, number, number];
}

export interface ExpectedReport {
  report_fiscal_year: number;
  numeric_targets: ExpectedIndicator[];
  kpi_summary: ExpectedKpi[];
}

/** What the pipeline gave for one file (records after normalize + validate), or why it gave nothing. */
export interface Extracted {
  report_fiscal_year: number | null;
  numeric_targets: NumericTarget[];
  kpi_summary: KPISummary[];
  findings: Finding[];
  /** The error that stopped extraction, if any. */
  error: string | null;
}

export interface CellCounts {
  cells: number;
  matched: number;
  missing: number;
  /** Wrong, but the row is marked uncertain. */
  flagged: number;
  /** Wrong on a row marked ok: the worst case. */
  silent: number;
}

export interface Mismatch {
  where: string;
  expected: string;
  got: string;
  kind: 'missing' | 'flagged' | 'silent';
}

export interface FileAccuracy {
  numeric: CellCounts;
  indicator: CellCounts;
  kpi: CellCounts;
  /** Extracted numeric-target rows with no expected indicator/year, or duplicates. */
  spuriousRows: number;
  /** Extracted KPI rows with no expected policy direction, or duplicates. */
  spuriousKpiRows: number;
  /** Expected indicators no extracted row belongs to; named = an error finding mentions them. */
  lost: Array<{ goal_no: number; key: string; named: boolean }>;
  yearOk: boolean;
  error: string | null;
  mismatches: Mismatch[];
}

/** Tolerances of the comparison. */
export const ACCURACY_SETTINGS = {
  /** Relative tolerance when comparing numbers (float noise of 万 multiplication). */
  relativeTolerance: 1e-9,
};

export const emptyCounts = (): CellCounts => ({ cells: 0, matched: 0, missing: 0, flagged: 0, silent: 0 });

export function addCounts(a: CellCounts, b: CellCounts): CellCounts {
  return { cells: a.cells + b.cells, matched: a.matched + b.matched, missing: a.missing + b.missing, flagged: a.flagged + b.flagged, silent: a.silent + b.silent };
}

type Value = number | string | null;

function same(a: Value, b: Value): boolean {
  if (typeof a === 'number' && typeof b === 'number') return Math.abs(a - b) <= ACCURACY_SETTINGS.relativeTolerance * Math.max(1, Math.abs(a));
  return a === b;
}

/** Dashes of any width mean "undetermined". */
const symbol = (s: string | null | undefined): string | null => (s == null || s === '' ? null : /^[—\-–ー―‐－]$/u.test(s) ? '-' : s);

/** A comparison of cells, recording mismatches under a label. */
class Tally {
  readonly counts = emptyCounts();
  constructor(private readonly out: Mismatch[]) {}

  cell(where: string, expected: Value, got: Value | undefined, uncertain: boolean): void {
    this.counts.cells++;
    if (got === undefined || (got === null && expected !== null)) {
      this.counts.missing++;
      this.out.push({ where, expected: String(expected), got: got === undefined ? '(no row)' : 'null', kind: 'missing' });
    } else if (same(expected, got)) this.counts.matched++;
    else {
      const kind = uncertain ? 'flagged' : 'silent';
      this.counts[kind]++;
      this.out.push({ where, expected: String(expected), got: String(got), kind });
    }
  }
}

function groupIndicators(rows: NumericTarget[]): Map<string, NumericTarget[]> {
  const groups = new Map<string, NumericTarget[]>();
  for (const r of rows) {
    const k = `${r.goal_no}|${nameKey(r.indicator_name)}`;
    groups.set(k, [...(groups.get(k) ?? []), r]);
  }
  return groups;
}

/** The extracted indicator an expected one corresponds to: same goal, name containing the key; the fullest wins. */
function findGroup(groups: Map<string, NumericTarget[]>, taken: Set<string>, e: ExpectedIndicator): string | null {
  const key = nameKey(e.key);
  let best: string | null = null;
  for (const [k, rows] of groups) {
    if (taken.has(k) || rows[0]!.goal_no !== e.goal_no || !nameKey(rows[0]!.indicator_name).includes(key)) continue;
    if (best === null || rows.length > groups.get(best)!.length) best = k;
  }
  return best;
}

function compareNumeric(expected: ExpectedReport, got: Extracted, res: FileAccuracy): void {
  const groups = groupIndicators(got.numeric_targets);
  const taken = new Set<string>();
  const num = new Tally(res.mismatches);
  const ind = new Tally(res.mismatches);
  for (const e of expected.numeric_targets) {
    const k = findGroup(groups, taken, e);
    const rows = k ? groups.get(k)! : [];
    if (k) taken.add(k);
    else {
      const needle = nameKey(e.key);
      const named = got.findings.some((f) => f.severity === 'error' && nameKey(`${f.message} ${f.reported ?? ''}`).includes(needle));
      res.lost.push({ goal_no: e.goal_no, key: e.key, named });
    }
    const first = rows[0];
    const firstUncertain = rows.some((r) => r.extraction_status === 'uncertain');
    const at = `goal ${e.goal_no} ${e.key}`;
    if (e.baseline !== undefined) ind.cell(`${at} baseline`, e.baseline, first ? first.baseline_value : undefined, firstUncertain);
    if (e.final_target !== undefined) ind.cell(`${at} final target`, e.final_target, first ? first.final_target_value : undefined, firstUncertain);
    if (e.grade !== undefined) ind.cell(`${at} grade`, e.grade, first ? first.evaluation_reported : undefined, firstUncertain);
    const used = new Set<NumericTarget>();
    for (const [fy, [t, a, s]] of Object.entries(e.years)) {
      const row = rows.find((r) => String(r.fiscal_year) === fy && !used.has(r));
      if (row) used.add(row);
      const unc = row?.extraction_status === 'uncertain';
      num.cell(`${at} ${fy} target`, t, row ? row.target_value : undefined, unc);
      num.cell(`${at} ${fy} actual`, a, row ? row.actual_value : undefined, unc);
      num.cell(`${at} ${fy} symbol`, symbol(s), row ? symbol(row.progress_reported) : undefined, unc);
    }
    res.spuriousRows += rows.length - used.size;
  }
  for (const [k, rows] of groups) if (!taken.has(k)) res.spuriousRows += rows.length;
  res.numeric = num.counts;
  res.indicator = ind.counts;
}

function compareKpi(expected: ExpectedReport, got: Extracted, res: FileAccuracy): void {
  const tally = new Tally(res.mismatches);
  const used = new Set<KPISummary>();
  for (const e of expected.kpi_summary) {
    const row = got.kpi_summary.find((r) => r.policy_direction_no === e.no && !used.has(r));
    if (row) used.add(row);
    const unc = row?.extraction_status === 'uncertain';
    const at = `KPI ${e.no} (goal ${e.goal_no})`;
    const vals: Array<[string, number, keyof KPISummary]> = [
      ['count', e.kpi, 'kpi_count'], ['○', e.prog[0], 'achieved'], ['△', e.prog[1], 'mostly_achieved'], ['×', e.prog[2], 'not_achieved'], ['-', e.prog[3], 'undetermined'],
      ['A', e.outlook[0], 'outlook_a'], ['B', e.outlook[1], 'outlook_b'], ['C', e.outlook[2], 'outlook_c'],
    ];
    for (const [label, want, field] of vals) tally.cell(`${at} ${label}`, want, row ? (row[field] as number) : undefined, unc);
  }
  res.spuriousKpiRows = got.kpi_summary.length - used.size;
  res.kpi = tally.counts;
}

/** Compare one file's extraction with its expected values. */
export function compareReport(expected: ExpectedReport, got: Extracted): FileAccuracy {
  const res: FileAccuracy = {
    numeric: emptyCounts(), indicator: emptyCounts(), kpi: emptyCounts(),
    spuriousRows: 0, spuriousKpiRows: 0, lost: [], yearOk: got.report_fiscal_year === expected.report_fiscal_year, error: got.error, mismatches: [],
  };
  compareNumeric(expected, got, res);
  compareKpi(expected, got, res);
  return res;
}

/** True when every cell matched, nothing is spurious, nothing lost and the report year is right. */
export function isExact(a: FileAccuracy): boolean {
  const full = (c: CellCounts) => c.matched === c.cells;
  return a.error === null && a.yearOk && full(a.numeric) && full(a.indicator) && full(a.kpi) && a.spuriousRows === 0 && a.spuriousKpiRows === 0 && a.lost.length === 0;
}
