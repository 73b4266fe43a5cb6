/**
 * Stage 2 — normalize: extracted tables and sections → records of the
 * published datasets, each checked against its JSON Schema with ajv.
 * A record that fails its schema becomes a finding (never silently dropped).
 */
import type { ExtractedReport } from '../extract/index.js';
import { compact, squash } from '../extract/text.js';
import type { DatasetName, DatasetRecords, Finding, Goal, IndicatorRegistry, KPISummary, NumericTarget, PolicyDirection, TextItem } from '../lib/records.gen.js';
import { datasetValidator, formatErrors } from '../lib/schemas.js';
import { lostItems } from './accounting.js';
import { IndicatorIndex } from './indicators.js';
import { canonicalUnit, eraLabel, parseFiscalYear, parseGrade, parseProgressSymbol, parseQuantity, splitBaselineCell, type Quantity } from './parse.js';

export { parseQuantity, parseFiscalYear, eraLabel } from './parse.js';
export { IndicatorIndex, nameKey } from './indicators.js';

export interface ReportMeta {
  file: string;
  municipality_code: string;
  municipality_name: string;
  /** Western fiscal year of the report; null = read it from the report. */
  report_fiscal_year: number | null;
}

export type Datasets = { [D in DatasetName]: Array<DatasetRecords[D]> };

export interface NormalizedReport {
  meta: ReportMeta & { report_fiscal_year: number; report_fiscal_year_label: string };
  /** Per-report datasets (the cumulative ones are built across reports when publishing). */
  datasets: Omit<Datasets, 'findings' | 'numeric_targets_current' | 'revisions'>;
  findings: Finding[];
  /** Legend lines as printed, for the validate stage. */
  legend: string[];
}

export class ReportStructureError extends Error {
  constructor(
    message: string,
    readonly hint: string,
  ) {
    super(message);
    this.name = 'ReportStructureError';
  }
}

function mostCommon<T>(values: T[]): T | null {
  const m = new Map<T, number>();
  for (const v of values) m.set(v, (m.get(v) ?? 0) + 1);
  let best: T | null = null;
  let n = 0;
  for (const [v, c] of m) if (c > n) [best, n] = [v, c];
  return best;
}

export function normalizeReport(ex: ExtractedReport, meta: ReportMeta, registry: IndicatorRegistry): NormalizedReport {
  const findings: Finding[] = [];
  const code = meta.municipality_code;
  // Report year: registry first, else the report's own headings.
  const printed = ex.yearLabels.map((l) => parseFiscalYear(l)).filter((y) => y !== null);
  const kpiYear = ex.kpiTables.map((t) => (t.progressYearLabel ? parseFiscalYear(t.progressYearLabel) : null)).find((y) => y !== null) ?? null;
  const detected = printed[0] ?? kpiYear;
  const reportYear = meta.report_fiscal_year ?? detected?.fiscalYear ?? null;
  if (reportYear === null) {
    throw new ReportStructureError('the report fiscal year is not in the registry and could not be read from the report', 'give it with --year (e.g. --year 2016) or add the report to raw/sources.json');
  }
  const yearLabel = detected && detected.fiscalYear === reportYear ? detected.label : eraLabel(reportYear);
  const finding = (f: Omit<Finding, 'municipality_code' | 'report_fiscal_year' | 'source_file'>): void => {
    findings.push({ municipality_code: code, report_fiscal_year: reportYear, source_file: meta.file, ...f });
  };
  if (detected && meta.report_fiscal_year !== null && detected.fiscalYear !== meta.report_fiscal_year) {
    finding({ dataset: 'report', record_key: meta.file, rule: 'report_year_mismatch', severity: 'warning', message: `the registry says FY${meta.report_fiscal_year} but the report's headings say ${detected.label} (FY${detected.fiscalYear})`, reported: detected.label, recomputed: String(meta.report_fiscal_year), source_page: null });
  }
  for (const note of ex.notes) finding({ dataset: 'report', record_key: meta.file, rule: 'goal_number_inferred', severity: 'warning', message: note, reported: null, recomputed: null, source_page: null });

  const index = new IndicatorIndex(registry);
  // The plan's fiscal years: the year span most indicators of the report have.
  const spans = ex.numericTables.flatMap((t) => {
    const byBlock = new Map<number, string[]>();
    for (const r of t.rows) byBlock.set(r.block, [...(byBlock.get(r.block) ?? []), String(parseFiscalYear(r.year)?.fiscalYear ?? r.year)]);
    return [...byBlock.values()].map((ys) => ys.join(','));
  });
  const planSpan = mostCommon(spans);
  const base = { municipality_code: code, report_fiscal_year: reportYear };

  // ---- numeric targets ----
  const numeric: NumericTarget[] = [];
  const indicatorsPerGoal = new Map<number, number>();
  for (const table of ex.numericTables) {
    const goalNo = table.goalNo ?? 0;
    for (const issue of table.issues) {
      const note = issue.startsWith('note: ');
      finding({ dataset: 'numeric_targets', record_key: `${meta.file}#page${table.page}`, rule: note ? 'table_layout' : 'table_structure', severity: note ? 'info' : 'warning', message: `numeric-target table of goal ${goalNo} (page ${table.page}): ${issue.replace(/^note: /u, '')}`, reported: null, recomputed: null, source_page: table.page });
    }
    const blocks = new Map<number, typeof table.rows>();
    for (const r of table.rows) blocks.set(r.block, [...(blocks.get(r.block) ?? []), r]);
    indicatorsPerGoal.set(goalNo, (indicatorsPerGoal.get(goalNo) ?? 0) + blocks.size);
    for (const rows of blocks.values()) {
      const first = rows[0]!;
      const name = compact(first.name);
      if (!name) continue;
      const targets = rows.map((r) => parseQuantity(r.target));
      const actuals = rows.map((r) => parseQuantity(r.actual));
      const unit = mostCommon(targets.map((q) => q.unit).filter((u): u is string => u !== null)) ?? mostCommon(actuals.map((q) => q.unit).filter((u): u is string => u !== null));
      const cell = splitBaselineCell(first.baseline);
      const baseline = parseQuantity(cell.baseline, unit);
      const final = parseQuantity(cell.final, unit);
      const match = index.match(code, goalNo, name);
      if (!match.known) {
        finding({ dataset: 'numeric_targets', record_key: match.id, rule: 'unknown_indicator', severity: 'warning', message: `indicator "${name}" (goal ${goalNo}) is not in raw/indicators.json; given the new id ${match.id}. Add it (or a name variant) to the registry to keep ids stable across years.`, reported: name, recomputed: null, source_page: first.page });
      }
      const cmp = mostCommon(targets.map((q) => q.comparator).filter((c) => c !== null));
      let direction: NumericTarget['direction'] = 'unknown';
      if (baseline.value !== null && final.value !== null && baseline.value !== final.value) direction = final.value > baseline.value ? 'higher_is_better' : 'lower_is_better';
      else if (cmp === 'ge' || cmp === 'gt') direction = 'higher_is_better';
      else if (cmp === 'le' || cmp === 'lt') direction = 'lower_is_better';
      else {
        const tv = targets.map((q) => q.value).filter((v): v is number => v !== null);
        if (tv.length >= 2 && tv.at(-1)! !== tv[0]!) direction = tv.at(-1)! > tv[0]! ? 'higher_is_better' : 'lower_is_better';
      }
      const grade = parseGrade(first.grade);
      const span = rows.map((r) => String(parseFiscalYear(r.year)?.fiscalYear ?? r.year)).join(',');
      const structural = [...first.problems];
      if (planSpan && spans.length > 1 && span !== planSpan) structural.push(`its years (${span}) differ from the plan years of the other indicators (${planSpan})`);
      rows.forEach((r, i) => {
        const fy = parseFiscalYear(r.year);
        if (!fy) {
          finding({ dataset: 'numeric_targets', record_key: `${match.id}/${r.year}`, rule: 'unreadable_year', severity: 'error', message: `year label "${r.year}" cannot be read`, reported: r.year, recomputed: null, source_page: r.page });
          return;
        }
        const t = targets[i]!;
        const a = actuals[i]!;
        const prog = parseProgressSymbol(r.progress);
        const doubts: string[] = [];
        for (const [what, q] of [['target', t], ['actual', a], ['baseline', baseline], ['final target', final]] as Array<[string, Quantity]>) {
          if (q.doubt) doubts.push(`${what}: ${q.doubt}`);
          if (q.value !== null && unit && q.unit && canonicalUnit(q.unit) !== unit) doubts.push(`${what} unit ${q.unit} differs from the indicator unit ${unit}`);
        }
        if (prog.doubt) doubts.push(prog.doubt);
        // The report's own shape: a year with an actual has its progress symbol; a baseline cell holds a final target.
        if (a.value !== null && prog.symbol === null && !prog.doubt) doubts.push('no progress symbol was read for a year that has an actual');
        if (cell.baseline !== null && cell.final === null) doubts.push('the baseline → final target cell holds no final target');
        for (const p of structural) doubts.push(`table structure: ${p}`);
        if (grade.doubt) doubts.push(grade.doubt);
        const rec: NumericTarget = {
          record_key: `${code}/${reportYear}/${match.id}/${fy.fiscalYear}`,
          ...base,
          municipality_name: meta.municipality_name,
          goal_no: goalNo,
          indicator_id: match.id,
          indicator_name: name,
          unit,
          direction,
          baseline_text: baseline.text,
          baseline_value: baseline.value,
          final_target_text: final.text,
          final_target_value: final.value,
          fiscal_year: fy.fiscalYear,
          fiscal_year_label: fy.label,
          target_text: t.text,
          target_value: t.value,
          target_comparator: t.comparator,
          actual_text: a.text,
          actual_value: a.value,
          actual_status: a.status,
          progress_reported: prog.symbol,
          evaluation_reported: grade.grade,
          progress_method: null,
          progress_ratio: null,
          progress_recomputed: null,
          progress_consistent: null,
          extraction_status: doubts.length ? 'uncertain' : 'ok',
          extraction_note: doubts.length ? doubts.join('; ') : null,
          source_file: meta.file,
          source_sha256: ex.sha256,
          source_page: r.page,
        };
        if (doubts.length) {
          finding({ dataset: 'numeric_targets', record_key: rec.record_key, rule: 'extraction_uncertain', severity: 'warning', message: doubts.join('; '), reported: null, recomputed: null, source_page: r.page });
        }
        numeric.push(rec);
      });
    }
  }
  // Duplicate keys (the same indicator twice in one report) would make rows ambiguous.
  const seen = new Set<string>();
  for (const r of numeric) {
    if (seen.has(r.record_key)) finding({ dataset: 'numeric_targets', record_key: r.record_key, rule: 'duplicate_row', severity: 'error', message: 'the same indicator and year appear twice in the report', reported: null, recomputed: null, source_page: r.source_page });
    seen.add(r.record_key);
  }

  // ---- KPI summary ----
  const kpi: KPISummary[] = [];
  for (const table of ex.kpiTables) {
    const goalNo = table.goalNo ?? 0;
    for (const issue of table.issues) {
      finding({ dataset: 'kpi_summary', record_key: `${meta.file}#page${table.page}`, rule: 'table_layout', severity: 'info', message: `KPI table of goal ${goalNo} (page ${table.page}): ${issue}`, reported: null, recomputed: null, source_page: table.page });
    }
    for (const r of table.rows) {
      const count = /^\d+$/u.test(r.kpiCount.trim()) ? Number(r.kpiCount.trim()) : null;
      const sum = (pairs: Array<[string, number]>, sym: string) => pairs.filter((p) => p[0] === sym).reduce((s, p) => s + p[1], 0);
      const doubts: string[] = [];
      for (const n of r.notes) doubts.push(`table structure: ${n}`);
      const rec: KPISummary = {
        record_key: `${code}/${reportYear}/kpi/${r.policyDirectionNo}`,
        ...base,
        goal_no: goalNo,
        policy_direction_no: r.policyDirectionNo,
        policy_direction_name: compact(r.label.replace(/^[\s]*[\u2460-\u2473\u3251-\u325F]/u, '')),
        kpi_count: count ?? 0,
        achieved: sum(r.progressPairs, '○'),
        mostly_achieved: sum(r.progressPairs, '△'),
        not_achieved: sum(r.progressPairs, '×'),
        undetermined: sum(r.progressPairs, '-'),
        outlook_a: sum(r.outlookPairs, 'A'),
        outlook_b: sum(r.outlookPairs, 'B'),
        outlook_c: sum(r.outlookPairs, 'C'),
        counts_consistent: false,
        extraction_status: doubts.length ? 'uncertain' : 'ok',
        extraction_note: doubts.length ? doubts.join('; ') : null,
        source_file: meta.file,
        source_page: r.page,
      };
      kpi.push(rec);
    }
  }

  // ---- goals, policy directions, text ----
  const goals: Goal[] = [];
  const directions: PolicyDirection[] = [];
  for (const g of ex.goals) {
    goals.push({
      ...base,
      municipality_name: meta.municipality_name,
      report_fiscal_year_label: yearLabel,
      goal_no: g.goalNo,
      goal_title: g.title,
      numeric_target_statement: g.numericTargetStatement.join(' / '),
      policy_direction_count: g.policyDirections.length,
      indicator_count: indicatorsPerGoal.get(g.goalNo) ?? 0,
      source_file: meta.file,
      source_page: g.page,
    });
    for (const d of g.policyDirections) directions.push({ ...base, goal_no: g.goalNo, policy_direction_no: d.no, policy_direction_name: d.name, source_file: meta.file, source_page: d.page });
  }
  const texts: TextItem[] = [];
  const counters = new Map<string, number>();
  for (const t of ex.texts) {
    if (t.goalNo === null) continue;
    const k = `${t.goalNo}|${t.section}`;
    const n = (counters.get(k) ?? 0) + 1;
    counters.set(k, n);
    texts.push({ ...base, goal_no: t.goalNo, section: t.section, item_no: n, policy_direction_no: t.policyDirectionNo, text: squash(t.text), source_file: meta.file, source_page: t.page });
  }

  // Accounting: every indicator and policy direction the goals list must have come out of a table.
  const namesByGoal = new Map<number, string[]>();
  for (const r of numeric) if (!(namesByGoal.get(r.goal_no) ?? []).includes(r.indicator_name)) namesByGoal.set(r.goal_no, [...(namesByGoal.get(r.goal_no) ?? []), r.indicator_name]);
  for (const lost of lostItems(ex.goals, namesByGoal, new Set(kpi.map((k) => k.policy_direction_no)))) {
    finding({ dataset: lost.rule === 'indicator_not_read' ? 'numeric_targets' : 'kpi_summary', record_key: `${meta.file}#goal${lost.goalNo}`, rule: lost.rule, severity: 'error', message: lost.message, reported: lost.listed, recomputed: null, source_page: lost.page });
  }

  const datasets = {
    goals: checkAll('goals', goals, findings, base, meta.file),
    policy_directions: checkAll('policy_directions', directions, findings, base, meta.file),
    numeric_targets: checkAll('numeric_targets', numeric, findings, base, meta.file),
    kpi_summary: checkAll('kpi_summary', kpi, findings, base, meta.file),
    text_items: checkAll('text_items', texts, findings, base, meta.file),
  };
  return { meta: { ...meta, report_fiscal_year: reportYear, report_fiscal_year_label: yearLabel }, datasets, findings, legend: ex.legend };
}

/** Validate records against their dataset schema; failures become error findings. */
export function checkAll<D extends Exclude<DatasetName, 'findings' | 'numeric_targets_current' | 'revisions'>>(
  dataset: D,
  records: Array<DatasetRecords[D]>,
  findings: Finding[],
  base: { municipality_code: string; report_fiscal_year: number },
  file: string,
): Array<DatasetRecords[D]> {
  const validate = datasetValidator(dataset);
  const ok: Array<DatasetRecords[D]> = [];
  for (const r of records) {
    if (validate(r)) ok.push(r);
    else {
      const rec = r as unknown as Record<string, unknown>;
      const key = typeof rec.record_key === 'string' ? rec.record_key : `${dataset}#${records.indexOf(r) + 1}`;
      findings.push({
        ...base,
        dataset,
        record_key: key,
        rule: 'schema_invalid',
        severity: 'error',
        message: `record not published: it does not match schemas/${dataset}: ${formatErrors((validate as unknown as { errors: Parameters<typeof formatErrors>[0] }).errors)}`,
        reported: JSON.stringify(r).slice(0, 500),
        recomputed: null,
        source_file: file,
        source_page: typeof rec.source_page === 'number' ? rec.source_page : null,
      });
    }
  }
  return ok;
}
