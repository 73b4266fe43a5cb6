/**
 * Stage 3 — validate: recompute every progress symbol from target and actual
 * with the report's own legend thresholds, by two methods, infer which method
 * the report follows, and record every disagreement as a finding. Check that
 * KPI symbol and outlook counts add up. Findings never stop publishing.
 */
import type { Finding, KPISummary, NumericTarget } from '../lib/records.gen.js';
import type { NormalizedReport } from '../normalize/index.js';

export type Symbol = '○' | '△' | '×';
export type Method = 'attainment' | 'baseline_relative';

export interface Thresholds {
  /** Percent at or above which progress is ○ (default 100). */
  achieved: number;
  /** Percent at or above which progress is △ (default 70). */
  mostly: number;
  /** Whether the thresholds were read from the report's legend. */
  fromLegend: boolean;
}

export interface ValidationSummary {
  method: Method;
  agreement: Record<Method, { agree: number; compared: number }>;
  thresholds: Thresholds;
}

/** Read the thresholds from legend lines such as "△:概ね達成できた(70-100%未満)". */
export function legendThresholds(legend: string[]): Thresholds {
  const text = legend.join(' ');
  const ach = /○\s*[:：][^○△×]*?(\d+(?:\.\d+)?)\s*%\s*以上/u.exec(text);
  const mostly = /△\s*[:：][^○△×]*?(\d+(?:\.\d+)?)\s*%?\s*[-~〜–]\s*(\d+(?:\.\d+)?)\s*%/u.exec(text) ?? /×\s*[:：][^○△×]*?(\d+(?:\.\d+)?)\s*%\s*未満/u.exec(text);
  return {
    achieved: ach ? Number(ach[1]) : 100,
    mostly: mostly ? Number(mostly[1]) : 70,
    fromLegend: Boolean(ach && mostly),
  };
}

export function symbolFor(ratio: number, t: Thresholds): Symbol {
  if (ratio >= t.achieved) return '○';
  if (ratio >= t.mostly) return '△';
  return '×';
}

const round1 = (n: number) => Math.round(n * 10) / 10;

/** Attainment: actual ÷ target (target ÷ actual where lower is better), in percent. */
export function attainment(r: Pick<NumericTarget, 'target_value' | 'actual_value' | 'direction'>): number | null {
  const { target_value: t, actual_value: a } = r;
  // Without a direction (no baseline, no comparator, flat targets) "better" is unknown.
  if (t === null || a === null || r.direction === 'unknown') return null;
  if (r.direction === 'lower_is_better') {
    if (a <= 0) return t >= a ? Infinity : null;
    return (t / a) * 100;
  }
  if (t === 0) return a >= 0 ? Infinity : null;
  return (a / t) * 100;
}

/** Baseline-relative: (actual − baseline) ÷ (target − baseline), in percent; null when target = baseline. */
export function baselineRelative(r: Pick<NumericTarget, 'target_value' | 'actual_value' | 'baseline_value'>): number | null {
  const { target_value: t, actual_value: a, baseline_value: b } = r;
  if (t === null || a === null || b === null || t === b) return null;
  return ((a - b) / (t - b)) * 100;
}

const fmt = (n: number | null) => (n === null ? 'n/a' : Number.isFinite(n) ? `${round1(n)}%` : '∞');

export function validateReport(rep: NormalizedReport): { report: NormalizedReport; summary: ValidationSummary } {
  const findings: Finding[] = [...rep.findings];
  const { municipality_code, report_fiscal_year, file } = rep.meta;
  const add = (f: Omit<Finding, 'municipality_code' | 'report_fiscal_year' | 'source_file'>) =>
    findings.push({ municipality_code, report_fiscal_year, source_file: file, ...f });
  const thresholds = legendThresholds(rep.legend);
  if (!thresholds.fromLegend) {
    add({ dataset: 'report', record_key: file, rule: 'legend_not_found', severity: 'info', message: `the progress legend was not found in the report; using ○ ≥ ${thresholds.achieved}%, △ ≥ ${thresholds.mostly}%`, reported: null, recomputed: null, source_page: null });
  }

  // Which method does the report follow? Count agreements with the printed symbols.
  const methods: Record<Method, (r: NumericTarget) => number | null> = { attainment, baseline_relative: baselineRelative };
  const agreement: ValidationSummary['agreement'] = { attainment: { agree: 0, compared: 0 }, baseline_relative: { agree: 0, compared: 0 } };
  for (const r of rep.datasets.numeric_targets) {
    if (r.progress_reported === null || r.progress_reported === '-') continue;
    for (const m of Object.keys(methods) as Method[]) {
      const ratio = methods[m](r);
      if (ratio === null) continue;
      agreement[m].compared++;
      if (symbolFor(ratio, thresholds) === r.progress_reported) agreement[m].agree++;
    }
  }
  const a = agreement.attainment, b = agreement.baseline_relative;
  const rate = (x: { agree: number; compared: number }) => (x.compared ? x.agree / x.compared : 0);
  const method: Method = b.agree > a.agree || (b.agree === a.agree && rate(b) > rate(a)) ? 'baseline_relative' : 'attainment';
  const other: Method = method === 'attainment' ? 'baseline_relative' : 'attainment';
  add({
    dataset: 'numeric_targets',
    record_key: file,
    rule: 'progress_method_inferred',
    severity: 'info',
    message: `progress symbols follow ${method === 'attainment' ? 'attainment (actual ÷ target)' : 'baseline-relative progress ((actual − baseline) ÷ (target − baseline))'}: ${agreement[method].agree} of ${agreement[method].compared} printed symbols agree, against ${agreement[other].agree} of ${agreement[other].compared} for ${other.replace('_', '-')}`,
    reported: null,
    recomputed: method,
    source_page: null,
  });

  const numeric: NumericTarget[] = rep.datasets.numeric_targets.map((r) => {
    let used: Method | null = null;
    let ratio = methods[method](r);
    if (ratio !== null) used = method;
    else {
      ratio = methods[other](r);
      if (ratio !== null) used = other;
    }
    let recomputed: NumericTarget['progress_recomputed'] = null;
    if (ratio !== null) recomputed = symbolFor(ratio, thresholds);
    else if (r.fiscal_year <= report_fiscal_year) recomputed = '-';
    const out: NumericTarget = {
      ...r,
      progress_method: used,
      progress_ratio: ratio === null || !Number.isFinite(ratio) ? null : round1(ratio),
      progress_recomputed: recomputed,
      progress_consistent: r.progress_reported !== null && recomputed !== null ? r.progress_reported === recomputed : null,
    };
    const where = { dataset: 'numeric_targets', record_key: r.record_key, source_page: r.source_page } as const;
    if (out.progress_consistent === false) {
      const alt = methods[other](r);
      const provisional = r.actual_status === 'provisional' ? ' The actual is provisional (集計中).' : '';
      add({
        ...where,
        rule: 'progress_symbol_mismatch',
        severity: 'warning',
        message: `${r.indicator_name} ${r.fiscal_year_label}: printed ${r.progress_reported}, but actual ${r.actual_text} against target ${r.target_text}${used === 'baseline_relative' ? ` from baseline ${r.baseline_text}` : ''} gives ${fmt(ratio)} by ${used?.replace('_', '-')} (${recomputed}); ${other.replace('_', '-')} gives ${fmt(alt)}${alt === null ? '' : ` (${symbolFor(alt, thresholds)})`}.${provisional}`,
        reported: r.progress_reported,
        recomputed,
      });
    } else if (r.progress_reported === null && recomputed !== null && recomputed !== '-') {
      add({ ...where, rule: 'progress_symbol_missing', severity: 'warning', message: `${r.indicator_name} ${r.fiscal_year_label}: an actual is printed but no progress symbol`, reported: null, recomputed });
    } else if (r.progress_reported !== null && r.progress_reported !== '-' && r.fiscal_year > report_fiscal_year) {
      add({ ...where, rule: 'progress_for_future_year', severity: 'warning', message: `${r.indicator_name} ${r.fiscal_year_label}: a progress symbol is printed for a year after the report year`, reported: r.progress_reported, recomputed: null });
    }
    if (r.actual_value !== null && r.target_value === null && r.target_text !== null && r.fiscal_year <= report_fiscal_year) {
      add({ ...where, rule: 'target_not_numeric', severity: 'info', message: `${r.indicator_name} ${r.fiscal_year_label}: the target "${r.target_text}" is not a number, so progress cannot be recomputed`, reported: r.progress_reported, recomputed: null });
    }
    return out;
  });

  const kpi: KPISummary[] = rep.datasets.kpi_summary.map((r) => {
    const prog = r.achieved + r.mostly_achieved + r.not_achieved + r.undetermined;
    const outl = r.outlook_a + r.outlook_b + r.outlook_c;
    const where = { dataset: 'kpi_summary', record_key: r.record_key, source_page: r.source_page } as const;
    if (prog !== r.kpi_count) add({ ...where, rule: 'kpi_progress_sum', severity: 'warning', message: `policy direction ${r.policy_direction_no}: progress counts ○${r.achieved} △${r.mostly_achieved} ×${r.not_achieved} -${r.undetermined} add up to ${prog}, not the KPI count ${r.kpi_count}`, reported: String(r.kpi_count), recomputed: String(prog) });
    if (outl !== r.kpi_count) add({ ...where, rule: 'kpi_outlook_sum', severity: 'warning', message: `policy direction ${r.policy_direction_no}: outlook counts A${r.outlook_a} B${r.outlook_b} C${r.outlook_c} add up to ${outl}, not the KPI count ${r.kpi_count}`, reported: String(r.kpi_count), recomputed: String(outl) });
    return { ...r, counts_consistent: prog === r.kpi_count && outl === r.kpi_count };
  });

  // Policy directions listed for a goal but absent from its KPI table, and names that differ.
  const kpiByNo = new Map(kpi.map((k) => [k.policy_direction_no, k]));
  for (const d of rep.datasets.policy_directions) {
    const k = kpiByNo.get(d.policy_direction_no);
    if (!k) add({ dataset: 'kpi_summary', record_key: `${municipality_code}/${report_fiscal_year}/kpi/${d.policy_direction_no}`, rule: 'kpi_row_missing', severity: 'warning', message: `policy direction ${d.policy_direction_no} (${d.policy_direction_name}) has no row in the KPI table`, reported: null, recomputed: null, source_page: d.source_page });
    else if (k.policy_direction_name !== d.policy_direction_name) add({ dataset: 'kpi_summary', record_key: k.record_key, rule: 'policy_direction_name_differs', severity: 'info', message: `policy direction ${d.policy_direction_no} is named "${d.policy_direction_name}" in the goal's list but "${k.policy_direction_name}" in the KPI table`, reported: k.policy_direction_name, recomputed: d.policy_direction_name, source_page: k.source_page });
  }

  return {
    report: { ...rep, datasets: { ...rep.datasets, numeric_targets: numeric, kpi_summary: kpi }, findings },
    summary: { method, agreement, thresholds },
  };
}
