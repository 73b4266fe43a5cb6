/**
 * Inline SVG charts for the dataset page, drawn at publish time: small,
 * deterministic (same rows → same bytes) and escaped (every text from a PDF goes
 * through `html`). No script, no external font: the page's CSS sets the font.
 * They are drawn 360 units wide with text of 13 units or more, so on a 390 px
 * phone (shown ~358 px wide) no text is under 12 px, and the page caps their
 * width on a desktop. Each has a <title> and a <desc> that says in words what
 * it shows, for screen readers (role="img", aria-labelledby).
 *
 * - indicatorChart: one indicator's target and actual by fiscal year, with the
 *   printed progress symbol above each year (and the recomputed one when it differs).
 * - kpiChart: one bar per policy direction, stacked ○ △ × - counts of its KPIs.
 */
import type { KPISummary, NumericTarget } from '../lib/records.gen.js';
import { groupDigits, html, type Raw } from './html.js';

export type ProgressSymbol = '○' | '△' | '×' | '-';

export const SYMBOL_COLOURS: Record<ProgressSymbol, { fill: string; text: string; ja: string; en: string }> = {
  '○': { fill: '#1a7f37', text: '#ffffff', ja: '達成できた', en: 'achieved (100% or more)' },
  '△': { fill: '#e3a008', text: '#1f2328', ja: '概ね達成できた', en: 'mostly achieved (70% to under 100%)' },
  '×': { fill: '#cf222e', text: '#ffffff', ja: '達成できなかった', en: 'not achieved (under 70%)' },
  '-': { fill: '#8c959f', text: '#1f2328', ja: '現時点では判断が困難', en: 'cannot be judged yet' },
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

/** Layout of the charts, in SVG units (the page shows them between 0.99× and 1.5×). */
export const CHART = {
  /** Width of every chart: a 390 px phone shows it at ~358 px. */
  width: 360,
  /** Smallest text size used (units); × 0.99 on a phone stays ≥ 12 px. */
  minFont: 13,
  /** Characters of a policy-direction name per line in the KPI chart. */
  nameChars: 25,
} as const;

const ja = (p: SeriesPoint) => `${p.label}(${p.fiscalYear}年度)`;

/** What the indicator chart shows, in words (its <desc>). */
function indicatorDesc(s: IndicatorSeries): string {
  const parts = s.points.map((p) => {
    const target = p.targetText ?? (p.target !== null ? groupDigits(p.target) : 'なし');
    const actual = p.actualText ?? (p.actual !== null ? groupDigits(p.actual) : 'なし');
    const sym = p.reported ? `、進捗度 ${p.reported}(${SYMBOL_COLOURS[p.reported].ja})` : '';
    const re = p.recomputed && p.reported && p.recomputed !== p.reported ? `、計算し直すと ${p.recomputed}` : '';
    return `${ja(p)}: 目標 ${target}、実績 ${actual}${p.provisional ? '(集計中)' : ''}${sym}${re}`;
  });
  return `${s.name}の年度ごとの目標値と実績値。${s.baselineText ? `基準値 ${s.baselineText}。` : ''}${parts.join('。')}。`;
}

export function indicatorChart(s: IndicatorSeries, id: string): Raw {
  const W = CHART.width, H = 290, L = 54, R = 10, T = 100, B = 40;
  const pw = W - L - R, ph = H - T - B;
  const values = [...s.points.flatMap((p) => [p.target, p.actual]), s.baseline, s.finalTarget].filter((v): v is number => v !== null && Number.isFinite(v));
  const n = Math.max(s.points.length, 1);
  const xs = s.points.map((_, i) => r1(L + ((i + 0.5) * pw) / n));
  const title = `${s.name}: 目標値と実績値 / target vs actual`;
  // 5% headroom so no point sits on the frame. An indicator without numbers still gets its years and symbols.
  const numeric = values.length > 0;
  const vmin = numeric ? Math.min(...values) : 0, vmax = numeric ? Math.max(...values) : 0, pad = (vmax - vmin) * 0.05;
  const ticks = numeric ? niceTicks(vmin - pad, vmax + pad, 4) : [];
  const lo = ticks[0] ?? 0, hi = ticks[ticks.length - 1] ?? 1;
  const y = (v: number) => r1(T + ph - ((v - lo) / (hi - lo)) * ph);
  const { div, unitLabel } = axisScale(ticks, s.unit);
  const grid = ticks.map(
    (t) => html`<line x1="${L}" x2="${W - R}" y1="${y(t)}" y2="${y(t)}" stroke="#d0d7de" stroke-width="1"/><text x="${L - 5}" y="${r1(y(t) + 4)}" text-anchor="end" class="tick">${groupDigits(Number((t / div).toPrecision(12)))}</text>`,
  );
  const xLabels = s.points.map(
    (p, i) => html`<text x="${xs[i]}" y="${H - B + 17}" text-anchor="middle" class="tick">${p.label}</text><text x="${xs[i]}" y="${H - B + 33}" text-anchor="middle" class="tick muted">${p.fiscalYear}</text>`,
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
  // The baseline: a dotted line labelled inside the plot, at its left end (below the line, or above it near the axis).
  const base = s.baseline === null ? '' : html`<line x1="${L}" x2="${W - R}" y1="${y(s.baseline)}" y2="${y(s.baseline)}" stroke="${TARGET}" stroke-width="1" stroke-dasharray="2 3"/><text x="${L + 4}" y="${r1(y(s.baseline) + 15 > T + ph - 2 ? y(s.baseline) - 5 : y(s.baseline) + 15)}" class="tick muted">基準値 ${s.baselineText ?? ''}</text>`;
  const targetMarks = s.points.map((p, i) =>
    p.target === null ? '' : html`<rect x="${r1(xs[i]! - 4)}" y="${r1(y(p.target) - 4)}" width="8" height="8" fill="#ffffff" stroke="${TARGET}" stroke-width="1.5"><title>${p.label} 目標値 target: ${p.targetText ?? groupDigits(p.target)}</title></rect>`,
  );
  const actualMarks = s.points.map((p, i) =>
    p.actual === null
      ? ''
      : html`<circle cx="${xs[i]}" cy="${y(p.actual)}" r="5" fill="${p.provisional ? '#ffffff' : ACTUAL}" stroke="${ACTUAL}" stroke-width="2"><title>${p.label} 実績値 actual: ${p.actualText ?? groupDigits(p.actual)}</title></circle><text x="${xs[i]}" y="${r1(y(p.actual) - 10)}" text-anchor="middle" class="value">${p.actualText ?? groupDigits(p.actual)}</text>`,
  );
  const symbols = s.points.map((p, i) => {
    const sym = p.reported;
    const mismatch = p.recomputed !== null && sym !== null && p.recomputed !== sym;
    const colour = sym ? SYMBOL_COLOURS[sym].fill : TARGET;
    return html`<g><title>${p.label} 進捗度 progress: ${sym ? `${sym} ${SYMBOL_COLOURS[sym].ja}` : '記載なし / not printed'}${p.recomputed ? ` (再計算 recomputed: ${p.recomputed})` : ''}</title><text x="${xs[i]}" y="${T - 28}" text-anchor="middle" class="symbol" fill="${colour}">${symbolText(sym)}</text>${
      mismatch ? html`<text x="${xs[i]}" y="${T - 10}" text-anchor="middle" class="mismatch">計算${p.recomputed}</text>` : ''
    }</g>`;
  });
  const legend = html`<g class="legend"><rect x="4" y="9" width="8" height="8" fill="#ffffff" stroke="${TARGET}" stroke-width="1.5"/><text x="16" y="18">目標値 target</text><circle cx="128" cy="13" r="4.5" fill="${ACTUAL}"/><text x="137" y="18">実績値 actual</text><circle cx="250" cy="13" r="4.5" fill="#ffffff" stroke="${ACTUAL}" stroke-width="2"/><text x="259" y="18">集計中</text><text x="4" y="40" class="muted">記号: 報告書の進捗度 (赤字は計算し直した結果)</text>${
    unitLabel ? html`<text x="${L - 5}" y="${T - 14}" text-anchor="end" class="tick muted">(${unitLabel})</text>` : ''
  }</g>`;
  return html`<svg xmlns="http://www.w3.org/2000/svg" class="chart" id="${id}" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-labelledby="${id}-t ${id}-d"><title id="${id}-t">${title}</title><desc id="${id}-d">${indicatorDesc(s)}</desc>${legend}${grid}${base}${line((p) => p.target).map((pts) => html`<polyline points="${pts}" fill="none" stroke="${TARGET}" stroke-width="1.5" stroke-dasharray="5 3"/>`)}${line((p) => p.actual).map((pts) => html`<polyline points="${pts}" fill="none" stroke="${ACTUAL}" stroke-width="2"/>`)}${targetMarks}${actualMarks}${symbols}${xLabels}<line x1="${L}" x2="${W - R}" y1="${T + ph}" y2="${T + ph}" stroke="#57606a" stroke-width="1"/>${
    numeric ? '' : html`<text x="${r1(L + pw / 2)}" y="${r1(T + ph / 2)}" text-anchor="middle" class="muted">数値の目標値・実績値はありません</text>`
  }</svg>`;
}

const circled = (n: number) => (n >= 1 && n <= 20 ? String.fromCodePoint(0x2460 + n - 1) : `(${n})`);

/** A policy direction's name in lines of at most `CHART.nameChars` characters (two at most; the rest is in the tooltip and the CSV). */
function nameLines(no: number, name: string): string[] {
  const chars = [...`${circled(no)} ${name}`];
  const max = CHART.nameChars;
  if (chars.length <= max) return [chars.join('')];
  const second = chars.slice(max);
  return [chars.slice(0, max).join(''), second.length > max ? `${second.slice(0, max - 1).join('')}…` : second.join('')];
}

const KPI_PARTS: Array<[ProgressSymbol, 'achieved' | 'mostly_achieved' | 'not_achieved' | 'undetermined']> = [['○', 'achieved'], ['△', 'mostly_achieved'], ['×', 'not_achieved'], ['-', 'undetermined']];

/** The counts of a KPI row in words: the undetermined count is named, never written "- 1". */
export function kpiCountsText(r: KPISummary): string {
  return `○${r.achieved} △${r.mostly_achieved} ×${r.not_achieved} 判断困難${r.undetermined}(計${r.kpi_count}件)`;
}

/** Stacked ○ △ × and undetermined counts, one bar per policy direction (rows of one report year). */
export function kpiChart(rows: KPISummary[], id: string, caption: string): Raw {
  const sorted = [...rows].sort((a, b) => a.goal_no - b.goal_no || a.policy_direction_no - b.policy_direction_no);
  const W = CHART.width, L = 4, R = 4, lineH = 18, barH = 22;
  const max = Math.max(1, ...sorted.map((r) => Math.max(r.kpi_count, r.achieved + r.mostly_achieved + r.not_achieved + r.undetermined)));
  const scale = (W - L - R) / max;
  const legend = KPI_PARTS.map(([sym], i) => {
    const x = L + (i % 2) * 180, yy = 6 + Math.floor(i / 2) * 22;
    return html`<rect x="${x}" y="${yy}" width="13" height="13" fill="${SYMBOL_COLOURS[sym].fill}"/><text x="${x + 18}" y="${yy + 12}">${sym === '-' ? '判断困難' : `${sym} ${SYMBOL_COLOURS[sym].ja}`}</text>`;
  });
  let top = 56;
  const bars = sorted.map((r) => {
    const lines = nameLines(r.policy_direction_no, r.policy_direction_name);
    const nameY = top + 13;
    const barY = top + lines.length * lineH + 4;
    let x = L;
    const segs = KPI_PARTS.map(([sym, key]) => {
      const n = r[key];
      if (n <= 0) return '';
      const w = r1(n * scale);
      const label = sym === '-' ? '判断困難' : SYMBOL_COLOURS[sym].ja;
      const seg = html`<rect x="${r1(x)}" y="${barY}" width="${w}" height="${barH}" fill="${SYMBOL_COLOURS[sym].fill}"><title>${circled(r.policy_direction_no)} ${label}: ${n}件</title></rect>${
        w >= 20 ? html`<text x="${r1(x + w / 2)}" y="${barY + 16}" text-anchor="middle" class="seg" fill="${SYMBOL_COLOURS[sym].text}">${n}</text>` : ''
      }`;
      x += n * scale;
      return seg;
    });
    const countsY = barY + barH + 16;
    const g = html`<g><text x="${L}" y="${nameY}" class="label">${lines.map((t, i) => html`<tspan x="${L}" dy="${i === 0 ? 0 : lineH}">${t}</tspan>`)}<title>${r.policy_direction_name}</title></text>${segs}<text x="${L}" y="${countsY}" class="tick">${kpiCountsText(r)}${r.counts_consistent ? '' : ' ⚠ 件数が合いません'}</text><text x="${L}" y="${countsY + lineH}" class="tick muted">見込み A${r.outlook_a} B${r.outlook_b} C${r.outlook_c}</text></g>`;
    top = countsY + lineH + 14;
    return g;
  });
  const desc = sorted.map((r) => `施策の基本的方向${r.policy_direction_no}「${r.policy_direction_name}」: KPI ${r.kpi_count}件のうち 達成 ${r.achieved}件、概ね達成 ${r.mostly_achieved}件、未達成 ${r.not_achieved}件、判断困難 ${r.undetermined}件。見込み A ${r.outlook_a}件、B ${r.outlook_b}件、C ${r.outlook_c}件`).join('。');
  return html`<svg xmlns="http://www.w3.org/2000/svg" class="chart" id="${id}" viewBox="0 0 ${W} ${top}" width="${W}" height="${top}" role="img" aria-labelledby="${id}-t ${id}-d"><title id="${id}-t">${caption}</title><desc id="${id}-d">${desc}。</desc>${legend}${bars}</svg>`;
}
