/**
 * The cumulative view across reports: each later report repeats the earlier
 * years' rows, sometimes revised. numeric_targets_current keeps one row per
 * (municipality, indicator, fiscal year) from the latest report that gives an
 * actual for that year; revisions lists every value that changed from one
 * report to the next, with the report that said it.
 */
import type { NumericTarget, NumericTargetCurrent, Revision } from '../lib/records.gen.js';

const COMPARED = ['indicator_name', 'target_value', 'target_comparator', 'actual_value', 'actual_status', 'progress_reported', 'evaluation_reported'] as const satisfies ReadonlyArray<keyof NumericTarget & Revision['field']>;

const asText = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));

export function cumulative(rows: NumericTarget[]): { current: NumericTargetCurrent[]; revisions: Revision[] } {
  const groups = new Map<string, NumericTarget[]>();
  for (const r of rows) {
    const k = `${r.municipality_code}|${r.indicator_id}|${r.fiscal_year}`;
    const g = groups.get(k);
    if (g) g.push(r);
    else groups.set(k, [r]);
  }
  const current: NumericTargetCurrent[] = [];
  const revisions: Revision[] = [];
  for (const g of groups.values()) {
    g.sort((a, b) => a.report_fiscal_year - b.report_fiscal_year);
    let revised = false;
    for (let i = 1; i < g.length; i++) {
      const prev = g[i - 1]!, cur = g[i]!;
      for (const f of COMPARED) {
        if (asText(prev[f]) === asText(cur[f])) continue;
        revised = true;
        revisions.push({
          municipality_code: cur.municipality_code,
          indicator_id: cur.indicator_id,
          indicator_name: cur.indicator_name,
          fiscal_year: cur.fiscal_year,
          fiscal_year_label: cur.fiscal_year_label,
          field: f,
          previous_report_fiscal_year: prev.report_fiscal_year,
          previous_value: asText(prev[f]),
          report_fiscal_year: cur.report_fiscal_year,
          value: asText(cur[f]),
          source_file: cur.source_file,
          source_page: cur.source_page,
        });
      }
    }
    const withActual = g.filter((r) => r.actual_status !== 'missing');
    const pick = (withActual.length ? withActual : g).at(-1)!;
    current.push({
      record_key: `${pick.municipality_code}/current/${pick.indicator_id}/${pick.fiscal_year}`,
      municipality_code: pick.municipality_code,
      municipality_name: pick.municipality_name,
      goal_no: pick.goal_no,
      indicator_id: pick.indicator_id,
      indicator_name: g.at(-1)!.indicator_name,
      unit: pick.unit,
      direction: pick.direction,
      baseline_value: pick.baseline_value,
      final_target_value: pick.final_target_value,
      fiscal_year: pick.fiscal_year,
      fiscal_year_label: g.at(-1)!.fiscal_year_label,
      target_text: pick.target_text,
      target_value: pick.target_value,
      target_comparator: pick.target_comparator,
      actual_text: pick.actual_text,
      actual_value: pick.actual_value,
      actual_status: pick.actual_status,
      progress_reported: pick.progress_reported,
      evaluation_reported: pick.evaluation_reported,
      progress_method: pick.progress_method,
      progress_ratio: pick.progress_ratio,
      progress_recomputed: pick.progress_recomputed,
      progress_consistent: pick.progress_consistent,
      report_fiscal_year: pick.report_fiscal_year,
      reports_count: g.length,
      revised,
      extraction_status: pick.extraction_status,
      extraction_note: pick.extraction_note,
      source_file: pick.source_file,
      source_page: pick.source_page,
    });
  }
  return { current, revisions };
}
