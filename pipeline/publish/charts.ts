/**
 * Inline SVG charts for the dataset page, drawn at publish time: small,
 * deterministic (same rows → same bytes) and escaped (every text from a PDF goes
 * through `html`). No script, no external font: the page's CSS sets the font.
 *
 * - indicatorChart: one indicator's target and actual by fiscal year, with the
 *   printed progress symbol above each year (and the recomputed one when it differs).
 * - kpiChart: one bar per policy direction, stacked ○ △ × - counts of its KPIs.
 */
import type { KPISummary, NumericTarget } from '../lib/records.gen.js';
import { groupDigits, html, type Raw } from './html.js';

export type ProgressSymbol = '○' | '△' | '×' | '-';

export const SYMBOL_COLOURS: Record<ProgressSymbol, { fill: string; text: string; ja: string; en: string }> = {
  '○': { fill: '#1a7f37', text: '#ffffff', ja: '達成できた', en: 'achieved (100%+)' },
  '△': { fill: '#e3a008', text: '#1f2328', ja: '概ね達成できた', en: 'mostly achieved (70–100%)' },
  '×': { fill: '#cf222e', text: '#ffffff', ja: '達成できなかった', en: 'not achieved (<70%)' },
  '-': { fill: '#8c959f', text: '#1f2328', ja: '判断が困難', en: 'undetermined' },
};

const TARGET = '#57606a';
const ACTUAL = '#0969da';

/** Coordinates are rounded to 0.1 so output is short and stable. */
const r1 = (v: number) => Math.round(v * 10) / 10;

export interface SeriesPoint {
  fiscalYear: number;
  label: string;
  target: number | null;
  targetText: string | null;
  actual: number | null;
  actualText: string | null;
  provisional: boolean;
  reported: ProgressSymbol | null;
  recomputed: ProgressSymbol | null;
}

export interface IndicatorSeries {
  indicatorId: string;
  name: string;
  goalNo: number;
  unit: string | null;
  direction: NumericTarget['direction'];
  baseline: number | null;
  baselineText: string | null;
  finalTarget: number | null;
  finalTargetText: string | null;
  evaluation: string | null;
  /** Report year the values come from (the newest report that has the year). */
  reportYears: number[];
  points: SeriesPoint[];
}

/** One series per indicator; for each fiscal year the row of the newest report wins. */
export function indicatorSeries(rows: NumericTarget[]): IndicatorSeries[] {
  const groups = new Map<string, NumericTarget[]>();
  for (const r of rows) groups.set(r.indicator_id, [...(groups.get(r.indicator_id) ?? []), r]);
  const out: IndicatorSeries[] = [];
  for (const [id, list] of groups) {
    const byYear = new Map<number, NumericTarget>();
    for (const r of list) {
      const cur = byYear.get(r.fiscal_year);
      if (!cur || r.report_fiscal_year > cur.report_fiscal_year) byYear.set(r.fiscal_year, r);
    }
    const chosen = [...byYear.values()].sort((a, b) => a.fiscal_year - b.fiscal_year);
    const newest = [...list].sort((a, b) => b.report_fiscal_year - a.report_fiscal_year || a.fiscal_year - b.fiscal_year)[0]!;
    out.push({
      indicatorId: id,
      name: newest.indicator_name,
      goalNo: newest.goal_no,
      unit: newest.unit,
      direction: newest.direction,
      baseline: newest.baseline_value,
      baselineText: newest.baseline_text,
      finalTarget: newest.final_target_value,
      finalTargetText: newest.final_target_text,
      evaluation: newest.evaluation_reported,
      reportYears: [...new Set(chosen.map((r) => r.report_fiscal_year))].sort((a, b) => a - b),
      points: chosen.map((r) => ({
        fiscalYear: r.fiscal_year,
        label: r.fiscal_year_label,
        target: r.target_value,
        targetText: r.target_text,
        actual: r.actual_value,
        actualText: r.actual_text,
        provisional: r.actual_status === 'provisional',
        reported: r.progress_reported,
        recomputed: r.progress_recomputed,
      })),
    });
  }
  return out.sort((a, b) => a.goalNo - b.goalNo || (a.indicatorId < b.indicatorId ? -1 : a.indicatorId > b.indicatorId ? 1 : 0));
}

/** About `count` round tick values covering [lo, hi]. */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (lo === hi) {
    const pad = Math.abs(lo) * 0.1 || 1;
    lo -= pad;
    hi += pad;
  }
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const norm = raw / mag;
  const step = (norm < 1.5 ? 1 : norm < 3 ? 2 : norm < 7 ? 5 : 10) * mag;
  const start = Math.floor(lo / step) * step;
  const ticks: number[] = [];
  for (let v = start; v < hi + step * 0.999; v += step) ticks.push(Number(v.toPrecision(12)));
  return ticks;
}

/** Axis scale for large counts: 万 (10,000) when the ticks reach 100,000. */
function axisScale(ticks: number[], unit: string | null): { div: number; unitLabel: string } {
  const big = Math.max(...ticks.map(Math.abs)) >= 100_000;
  return big ? { div: 10_000, unitLabel: `万${unit ?? ''}` } : { div: 1, unitLabel: unit ?? '' };
}

function symbolText(s: ProgressSymbol | null): string {
  return s ?? '';
}

export function indicatorChart(s: IndicatorSeries, id: string): Raw {
  const W = 660, H = 270, L = 70, R = 86, T = 78, B = 42;
  const pw = W - L - R, ph = H - T - B;
  const values = [...s.points.flatMap((p) => [p.target, p.actual]), s.baseline, s.finalTarget].filter((v): v is number => v !== null && Number.isFinite(v));
  const n = Math.max(s.points.length, 1);
  const xs = s.points.map((_, i) => r1(L + ((i + 0.5) * pw) / n));
  const title = `${s.name}: 目標値と実績値 / target vs actual`;
  // 5% headroom so no point sits on the frame. An indicator without numbers still gets its years and symbols.
  const numeric = values.length > 0;
  const vmin = numeric ? Math.min(...values) : 0, vmax = numeric ? Math.max(...values) : 0, pad = (vmax - vmin) * 0.05;
  const ticks = numeric ? niceTicks(vmin - pad, vmax + pad) : [];
  const lo = ticks[0] ?? 0, hi = ticks[ticks.length - 1] ?? 1;
  const y = (v: number) => r1(T + ph - ((v - lo) / (hi - lo)) * ph);
  const { div, unitLabel } = axisScale(ticks, s.unit);
  const grid = ticks.map(
    (t) => html`<line x1="${L}" x2="${W - R}" y1="${y(t)}" y2="${y(t)}" stroke="#d0d7de" stroke-width="1"/><text x="${L - 6}" y="${r1(y(t) + 4)}" text-anchor="end" class="tick">${groupDigits(Number((t / div).toPrecision(12)))}</text>`,
  );
  const xLabels = s.points.map(
    (p, i) => html`<text x="${xs[i]}" y="${H - B + 16}" text-anchor="middle" class="tick">${p.label}</text><text x="${xs[i]}" y="${H - B + 30}" text-anchor="middle" class="tick muted">${p.fiscalYear}</text>`,
  );
  const line = (pick: (p: SeriesPoint) => number | null) => {
    // Consecutive known values are joined; a missing value breaks the line.
    const runs: string[][] = [];
    let cur: string[] = [];
    s.points.forEach((p, i) => {
      const v = pick(p);
      if (v === null) {
        if (cur.length) runs.push(cur);
        cur = [];
      } else cur.push(`${xs[i]},${y(v)}`);
    });
    if (cur.length) runs.push(cur);
    return runs.filter((r) => r.length > 1).map((r) => r.join(' '));
  };
  // Reference line labelled in the right margin, clear of the data labels (long printed text is shortened; the caption has it whole).
  const short = (t: string) => ([...t].length > 9 ? `${[...t].slice(0, 8).join('')}…` : t);
  const ref = (v: number | null, label: string, text: string | null, dash: string) =>
    v === null
      ? ''
      : html`<line x1="${L}" x2="${W - R}" y1="${y(v)}" y2="${y(v)}" stroke="${TARGET}" stroke-width="1" stroke-dasharray="${dash}"/><text x="${W - R + 6}" y="${r1(y(v) - 2)}" class="tick muted">${label}<title>${label} ${text ?? ''}</title></text><text x="${W - R + 6}" y="${r1(y(v) + 11)}" class="tick muted">${short(text ?? '')}</text>`;
  const targetMarks = s.points.map((p, i) =>
    p.target === null ? '' : html`<rect x="${r1(xs[i]! - 4)}" y="${r1(y(p.target) - 4)}" width="8" height="8" fill="#ffffff" stroke="${TARGET}" stroke-width="1.5"><title>${p.label} 目標値 target: ${p.targetText ?? groupDigits(p.target)}</title></rect>`,
  );
  const actualMarks = s.points.map((p, i) =>
    p.actual === null
      ? ''
      : html`<circle cx="${xs[i]}" cy="${y(p.actual)}" r="5" fill="${p.provisional ? '#ffffff' : ACTUAL}" stroke="${ACTUAL}" stroke-width="2"><title>${p.label} 実績値 actual: ${p.actualText ?? groupDigits(p.actual)}</title></circle><text x="${xs[i]}" y="${r1(y(p.actual) - 9)}" text-anchor="middle" class="value">${p.actualText ?? groupDigits(p.actual)}</text>`,
  );
  const symbols = s.points.map((p, i) => {
    const sym = p.reported;
    const mismatch = p.recomputed !== null && sym !== null && p.recomputed !== sym;
    const colour = sym ? SYMBOL_COLOURS[sym].fill : TARGET;
    return html`<g><title>${p.label} 進捗度 progress: ${sym ? `${sym} ${SYMBOL_COLOURS[sym].ja}` : '記載なし / not printed'}${p.recomputed ? ` (再計算 recomputed: ${p.recomputed})` : ''}</title><text x="${xs[i]}" y="${T - 22}" text-anchor="middle" class="symbol" fill="${colour}">${symbolText(sym)}</text>${
      mismatch ? html`<text x="${xs[i]}" y="${T - 8}" text-anchor="middle" class="mismatch">再計算 ${p.recomputed}</text>` : ''
    }</g>`;
  });
  const legend = html`<g class="legend"><line x1="${L}" x2="${L + 22}" y1="14" y2="14" stroke="${TARGET}" stroke-width="1.5" stroke-dasharray="5 3"/><rect x="${L + 7}" y="10" width="8" height="8" fill="#ffffff" stroke="${TARGET}" stroke-width="1.5"/><text x="${L + 28}" y="18">目標値 target</text><line x1="${L + 130}" x2="${L + 152}" y1="14" y2="14" stroke="${ACTUAL}" stroke-width="2"/><circle cx="${L + 141}" cy="14" r="4" fill="${ACTUAL}"/><text x="${L + 158}" y="18">実績値 actual</text><circle cx="${L + 265}" cy="14" r="4" fill="#ffffff" stroke="${ACTUAL}" stroke-width="2"/><text x="${L + 274}" y="18">集計中・速報 provisional</text><text x="${L}" y="38" class="muted">進捗度 progress (報告書の記載 / as printed)</text><text x="${L - 6}" y="${T - 14}" text-anchor="end" class="tick muted">${unitLabel ? `(${unitLabel})` : ''}</text></g>`;
  return html`<svg xmlns="http://www.w3.org/2000/svg" class="chart" id="${id}" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-labelledby="${id}-t"><title id="${id}-t">${title}</title>${legend}${grid}${ref(s.baseline, '基準値 baseline', s.baselineText, '2 3')}${line((p) => p.target).map((pts) => html`<polyline points="${pts}" fill="none" stroke="${TARGET}" stroke-width="1.5" stroke-dasharray="5 3"/>`)}${line((p) => p.actual).map((pts) => html`<polyline points="${pts}" fill="none" stroke="${ACTUAL}" stroke-width="2"/>`)}${targetMarks}${actualMarks}${symbols}${xLabels}<line x1="${L}" x2="${W - R}" y1="${T + ph}" y2="${T + ph}" stroke="#57606a" stroke-width="1"/>${
    numeric ? '' : html`<text x="${r1(L + pw / 2)}" y="${r1(T + ph / 2)}" text-anchor="middle" class="muted">数値の目標値・実績値はありません / no numeric target or actual</text>`
  }</svg>`;
}

const circled = (n: number) => (n >= 1 && n <= 20 ? String.fromCodePoint(0x2460 + n - 1) : `(${n})`);

/** Stacked ○ △ × - counts, one bar per policy direction (rows of one report year). */
export function kpiChart(rows: KPISummary[], id: string, caption: string): Raw {
  const sorted = [...rows].sort((a, b) => a.goal_no - b.goal_no || a.policy_direction_no - b.policy_direction_no);
  const W = 640, L = 8, T = 34, rowH = 44, barH = 16;
  const H = T + sorted.length * rowH + 6;
  const max = Math.max(1, ...sorted.map((r) => Math.max(r.kpi_count, r.achieved + r.mostly_achieved + r.not_achieved + r.undetermined)));
  const scale = (W - L - 70) / max;
  const parts: Array<[ProgressSymbol, keyof KPISummary]> = [['○', 'achieved'], ['△', 'mostly_achieved'], ['×', 'not_achieved'], ['-', 'undetermined']];
  const legend = parts.map(([sym], i) => html`<rect x="${L + i * 150}" y="8" width="12" height="12" fill="${SYMBOL_COLOURS[sym].fill}"/><text x="${L + i * 150 + 17}" y="19">${sym} ${SYMBOL_COLOURS[sym].ja}</text>`);
  const bars = sorted.map((r, i) => {
    const top = T + i * rowH;
    let x = L;
    const segs = parts.map(([sym, key]) => {
      const n = r[key] as number;
      if (n <= 0) return '';
      const w = r1(n * scale);
      const seg = html`<rect x="${r1(x)}" y="${top + 18}" width="${w}" height="${barH}" fill="${SYMBOL_COLOURS[sym].fill}"><title>${circled(r.policy_direction_no)} ${sym} ${SYMBOL_COLOURS[sym].ja} / ${SYMBOL_COLOURS[sym].en}: ${n}</title></rect>${
        w >= 26 ? html`<text x="${r1(x + w / 2)}" y="${top + 30}" text-anchor="middle" class="seg" fill="${SYMBOL_COLOURS[sym].text}">${sym} ${n}</text>` : ''
      }`;
      x += n * scale;
      return seg;
    });
    const outlook = `見込み A${r.outlook_a} B${r.outlook_b} C${r.outlook_c}`;
    // Long names are shortened to stay clear of the outlook counts; the full name is in the tooltip and the CSV.
    const name = [...r.policy_direction_name];
    const label = name.length > 36 ? `${name.slice(0, 35).join('')}…` : r.policy_direction_name;
    return html`<g><text x="${L}" y="${top + 13}" class="label">${circled(r.policy_direction_no)} ${label}<title>${r.policy_direction_name}</title></text><text x="${W - 8}" y="${top + 13}" text-anchor="end" class="tick muted">${outlook}</text>${segs}<text x="${r1(x + 6)}" y="${top + 30}" class="tick">${r.kpi_count}件${r.counts_consistent ? '' : ' ⚠ 件数不整合'}</text></g>`;
  });
  return html`<svg xmlns="http://www.w3.org/2000/svg" class="chart" id="${id}" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-labelledby="${id}-t"><title id="${id}-t">${caption}</title>${legend}${bars}</svg>`;
}
