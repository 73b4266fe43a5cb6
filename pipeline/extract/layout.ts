/**
 * Layout analysis on one page: text runs → chunks (runs that touch on one
 * baseline, so words pdf.js split mid-word are whole again) → lines, and the
 * page's column structure for reading order.
 */
import { mergeEdges, pageEdges, type Edge } from './edges.js';
import type { RawPage, Rule, TextRun } from './pdf.js';
import { pageWords, type Box, type Word } from './words.js';
import { isCjk } from './text.js';

export type { Box };

export interface Chunk extends Box {
  text: string;
  size: number;
  page: number;
}

export interface Line extends Box {
  text: string;
  chunks: Chunk[];
  size: number;
  page: number;
  /** Reading-order column index on the page (0 = left). */
  column: number;
}

export interface PageLayout {
  page: number;
  width: number;
  height: number;
  chunks: Chunk[];
  lines: Line[];
  rules: Rule[];
  /** x coordinates splitting the page into reading columns (empty for one column). */
  gutters: number[];
  /** Text runs split at white space: the atoms of table reading. */
  words: Word[];
  /** Cell-boundary edges: rules and the sides of filled rectangles. */
  edges: Edge[];
}

export const midY = (b: Box) => (b.top + b.bottom) / 2;
export const midX = (b: Box) => (b.x0 + b.x1) / 2;

function joinText(a: string, b: string, gap: number, size: number): string {
  const last = a.at(-1) ?? '';
  const first = b[0] ?? '';
  if (/\s$/u.test(a) || /^\s/u.test(b)) return a + b;
  const needsSpace = gap > size * 0.2 && !(isCjk(last) && isCjk(first));
  return needsSpace || gap > size * 0.9 ? `${a} ${b}` : a + b;
}

/** Merge runs that sit on one baseline and touch (gap below 0.4 em) into chunks. */
export function buildChunks(runs: TextRun[], page: number, rules: Rule[] = []): Chunk[] {
  const vRules = rules.filter((r) => r.dir === 'v');
  const ruleBetween = (a: number, b: number, top: number, bottom: number) =>
    vRules.some((r) => r.at > a - 0.5 && r.at < b + 0.5 && r.from < bottom && r.to > top);
  const sorted = [...runs].sort((a, b) => a.bottom - b.bottom || a.x0 - b.x0);
  // Group by baseline first.
  const rows: TextRun[][] = [];
  for (const r of sorted) {
    const row = rows.at(-1);
    const ref = row?.[0];
    if (row && ref && Math.abs(ref.bottom - r.bottom) <= Math.min(ref.size, r.size) * 0.3) row.push(r);
    else rows.push([r]);
  }
  const chunks: Chunk[] = [];
  for (const row of rows) {
    row.sort((a, b) => a.x0 - b.x0);
    let cur: Chunk | null = null;
    for (const r of row) {
      const size = r.size;
      if (
        cur &&
        r.x0 - cur.x1 < Math.max(cur.size, size) * 0.4 &&
        r.x0 - cur.x1 > -Math.max(cur.size, size) * 0.6 &&
        !ruleBetween(Math.min(cur.x1, r.x0), Math.max(cur.x1, r.x0), r.top, r.bottom)
      ) {
        cur.text = joinText(cur.text, r.text, r.x0 - cur.x1, size);
        cur.x1 = Math.max(cur.x1, r.x1);
        cur.top = Math.min(cur.top, r.top);
        cur.bottom = Math.max(cur.bottom, r.bottom);
        cur.size = Math.max(cur.size, size);
      } else {
        if (cur) chunks.push(cur);
        cur = { text: r.text, x0: r.x0, x1: r.x1, top: r.top, bottom: r.bottom, size, page };
      }
    }
    if (cur) chunks.push(cur);
  }
  for (const c of chunks) c.text = c.text.replace(/\s+/gu, ' ').trim();
  return chunks.filter((c) => c.text.length > 0);
}

/**
 * Find vertical gutters: x positions no chunk crosses, with substantial text on
 * both sides over a good part of the page height (two-column layouts).
 */
export function findGutters(chunks: Chunk[], width: number): number[] {
  if (chunks.length < 10) return [];
  const narrow = chunks.filter((c) => c.x1 - c.x0 < width * 0.45);
  const lo = width * 0.25;
  const hi = width * 0.75;
  const step = 2;
  const free: boolean[] = [];
  // A gutter may be crossed by a page number or a footer, not by body text.
  const tolerance = Math.max(1, Math.floor(chunks.length * 0.01));
  for (let x = lo; x <= hi; x += step) free.push(narrow.filter((c) => c.x0 < x && c.x1 > x).length <= tolerance);
  let best: [number, number] | null = null;
  let start = -1;
  for (let i = 0; i <= free.length; i++) {
    if (i < free.length && free[i]) {
      if (start < 0) start = i;
    } else if (start >= 0) {
      const a = lo + start * step;
      const b = lo + (i - 1) * step;
      if (!best || b - a > best[1] - best[0]) best = [a, b];
      start = -1;
    }
  }
  if (!best || best[1] - best[0] < 10) return [];
  const g = (best[0] + best[1]) / 2;
  const left = narrow.filter((c) => c.x1 <= g);
  const right = narrow.filter((c) => c.x0 >= g);
  const span = (cs: Chunk[]) => (cs.length ? Math.max(...cs.map((c) => c.bottom)) - Math.min(...cs.map((c) => c.top)) : 0);
  const allSpan = span(narrow) || 1;
  if (left.length < 5 || right.length < 5 || span(left) < allSpan * 0.4 || span(right) < allSpan * 0.4) return [];
  // Chunks crossing the gutter must be rare (page headers and footers only).
  const crossing = chunks.filter((c) => c.x0 < g && c.x1 > g).length;
  if (crossing > chunks.length * 0.05) return [];
  return [g];
}

/** Group chunks into lines within each column, in reading order. */
export function buildLines(chunks: Chunk[], gutters: number[], page: number): Line[] {
  const colOf = (c: Chunk) => {
    let col = 0;
    for (const g of gutters) if (midX(c) > g) col++;
    return col;
  };
  const byCol = new Map<number, Chunk[]>();
  for (const c of chunks) {
    const k = colOf(c);
    const list = byCol.get(k) ?? [];
    list.push(c);
    byCol.set(k, list);
  }
  const lines: Line[] = [];
  for (const col of [...byCol.keys()].sort((a, b) => a - b)) {
    const cs = byCol.get(col)!.sort((a, b) => midY(a) - midY(b) || a.x0 - b.x0);
    const group: Chunk[][] = [];
    for (const c of cs) {
      const g = group.at(-1);
      const ref = g?.[0];
      if (g && ref && Math.abs(midY(ref) - midY(c)) <= Math.min(ref.size, c.size) * 0.45) g.push(c);
      else group.push([c]);
    }
    for (const g of group) {
      g.sort((a, b) => a.x0 - b.x0);
      let text = g[0]!.text;
      for (let i = 1; i < g.length; i++) text = joinText(text, g[i]!.text, g[i]!.x0 - g[i - 1]!.x1, g[i]!.size);
      lines.push({
        text,
        chunks: g,
        x0: Math.min(...g.map((c) => c.x0)),
        x1: Math.max(...g.map((c) => c.x1)),
        top: Math.min(...g.map((c) => c.top)),
        bottom: Math.max(...g.map((c) => c.bottom)),
        size: Math.max(...g.map((c) => c.size)),
        page,
        column: col,
      });
    }
  }
  return lines;
}

/** Merge collinear, overlapping or touching rules (Word draws each cell edge separately); tighter than the table engine's edges. */
export function mergeRules(rules: Rule[]): Rule[] {
  return mergeEdges(rules, 1.5, 2);
}

/**
 * A gutter is false when a table header row runs across it: a table spans the
 * page there, whatever empty strip its columns leave.
 */
function crossedByTableHeader(chunks: Chunk[], gutter: number): boolean {
  const rows: Chunk[][] = [];
  for (const c of [...chunks].sort((a, b) => midY(a) - midY(b))) {
    const r = rows.at(-1);
    if (r && Math.abs(midY(r[0]!) - midY(c)) <= c.size * 0.45) r.push(c);
    else rows.push([c]);
  }
  const HEADER_CELL = /^(数値目標|指標名?|基準値.*|年度|目標値?|実績値?|進捗度?|評価|施策の基本的方向|KPI数?)$/u;
  return rows.some((r) => {
    const cells = r.filter((c) => HEADER_CELL.test(c.text.replace(/\s+/gu, '')));
    const text = cells.map((c) => c.text).join('');
    const header = (/実績/u.test(text) && /年度|目標/u.test(text)) || (/KPI/u.test(text) && /施策|方向/u.test(text));
    return header && cells.length >= 3 && cells.some((c) => c.x1 <= gutter) && cells.some((c) => c.x0 >= gutter);
  });
}

export function layoutPage(raw: RawPage): PageLayout {
  const rules = mergeRules(raw.rules);
  const chunks = buildChunks(raw.runs, raw.page, rules);
  const gutters = findGutters(chunks, raw.width).filter((g) => !crossedByTableHeader(chunks, g));
  const lines = buildLines(chunks, gutters, raw.page);
  const words = pageWords(raw.runs, raw.page);
  const edges = pageEdges(raw.rules, raw.fills ?? [], raw.width, raw.height);
  return { page: raw.page, width: raw.width, height: raw.height, chunks, lines, rules, gutters, words, edges };
}
