/**
 * Table recovery for the two tables of a progress report:
 *  - the numeric-target table (数値目標 | 基準値→目標値 | 年度 | 目標値 | 実績値 | 進捗度 | 評価),
 *    where the indicator name, baseline→target and grade cells span the year rows;
 *  - the KPI table (施策の基本的方向 | KPI数 | 進捗度 counts | 達成見込み counts).
 *
 * Columns come from the header row (wrapped header cells are merged by x
 * overlap); column edges come from vertical rules when the table has them and
 * from the header positions when it has none. Rows are anchored on the year
 * labels (numeric targets) or circled numbers (KPI); row edges come from
 * horizontal rules when present and from the anchors' midpoints otherwise.
 * Tables continued on the next page (with or without a repeated header) are joined.
 */
import type { Rule } from './pdf.js';
import { midY, type Chunk, type Line, type PageLayout } from './layout.js';
import { leadingCircled } from './text.js';

export type ColumnRole = 'name' | 'baseline' | 'year' | 'target' | 'actual' | 'progress' | 'grade';

export interface HeaderColumn {
  role: ColumnRole | 'other';
  text: string;
  x0: number;
  x1: number;
}

export interface NumericTableRow {
  page: number;
  /** Index of the indicator block within the table (0-based). */
  block: number;
  year: string;
  name: string;
  baseline: string;
  target: string;
  actual: string;
  progress: string;
  grade: string;
  /** Pages the spanning cells (name, baseline, grade) were read from. */
  blockPages: number[];
  /** Structural problems of this row's indicator block (the row is then uncertain). */
  problems: string[];
}

export interface ExtractedNumericTable {
  /** Page of the header row. */
  page: number;
  pages: number[];
  method: 'ruled' | 'aligned';
  header: HeaderColumn[];
  rows: NumericTableRow[];
  /** Structural problems noticed while reading the table. */
  issues: string[];
  /** Page areas the table covers (header included). */
  regions: Region[];
}

export interface Region {
  page: number;
  x0: number;
  x1: number;
  top: number;
  bottom: number;
}

export interface KpiTableRow {
  page: number;
  label: string;
  policyDirectionNo: number;
  kpiCount: string;
  progressPairs: Array<[string, number]>;
  outlookPairs: Array<[string, number]>;
  notes: string[];
}

export interface ExtractedKpiTable {
  page: number;
  pages: number[];
  method: 'ruled' | 'aligned';
  header: string;
  /** Fiscal year label of the progress column header, e.g. H28. */
  progressYearLabel: string | null;
  rows: KpiTableRow[];
  issues: string[];
  regions: Region[];
}

export const YEAR_LABEL_RE = /^(?:H|平成)\s*(\d{1,2}|元)(?:年度?)?$|^(?:R|令和)\s*(\d{1,2}|元)(?:年度?)?$|^(20\d{2})(?:年度?)?$/u;
const LEGEND_RE = /^[○◯△×\-—ABC]\s*[:：]/u;
const PAIR_PROGRESS_RE = /([○△×]|-|—|ー)\s*(\d+)/gu;
const PAIR_OUTLOOK_RE = /([ABC])\s*(\d+)/gu;

function classifyHeader(text: string): ColumnRole | 'other' {
  const t = text.replace(/\s+/gu, '');
  if (/基準/u.test(t)) return 'baseline';
  if (/実績/u.test(t)) return 'actual';
  if (/進捗|達成度|達成状況/u.test(t)) return 'progress';
  if (/評価|見込/u.test(t)) return 'grade';
  if (/^年度$|^年$|^年度/u.test(t) && !/目標/u.test(t)) return 'year';
  if (/数値目標|指標|項目/u.test(t)) return 'name';
  if (/目標/u.test(t)) return 'target';
  return 'other';
}

/** Merge chunks of a header band into columns by horizontal overlap. */
function headerColumns(chunks: Chunk[]): HeaderColumn[] {
  const sorted = [...chunks].sort((a, b) => a.x0 - b.x0);
  const cols: Array<{ chunks: Chunk[]; x0: number; x1: number }> = [];
  for (const c of sorted) {
    const hit = cols.find((col) => Math.min(col.x1, c.x1) - Math.max(col.x0, c.x0) > -c.size * 0.2);
    if (hit) {
      hit.chunks.push(c);
      hit.x0 = Math.min(hit.x0, c.x0);
      hit.x1 = Math.max(hit.x1, c.x1);
    } else cols.push({ chunks: [c], x0: c.x0, x1: c.x1 });
  }
  return cols
    .sort((a, b) => a.x0 - b.x0)
    .map((col) => {
      const text = col.chunks
        .sort((a, b) => midY(a) - midY(b) || a.x0 - b.x0)
        .map((c) => c.text)
        .join(' ');
      return { role: classifyHeader(text), text, x0: col.x0, x1: col.x1 };
    });
}

/** Chunks of the same reading column as `anchor` on a page. */
function sameColumn(layout: PageLayout, anchor: { x0: number; x1: number }): (c: { x0: number; x1: number }) => boolean {
  const ax = (anchor.x0 + anchor.x1) / 2;
  const edges = [-Infinity, ...layout.gutters, Infinity];
  let lo = -Infinity, hi = Infinity;
  for (let i = 0; i < edges.length - 1; i++) if (ax >= edges[i]! && ax < edges[i + 1]!) [lo, hi] = [edges[i]!, edges[i + 1]!];
  return (c) => (c.x0 + c.x1) / 2 >= lo && (c.x0 + c.x1) / 2 < hi;
}

/** Vertical rules crossing the band [top, bottom] within [x0, x1]. */
function verticalRulesIn(rules: Rule[], x0: number, x1: number, top: number, bottom: number): number[] {
  return rules
    .filter((r) => r.dir === 'v' && r.at >= x0 - 2 && r.at <= x1 + 2 && r.from <= top + 2 && r.to >= bottom - 2)
    .map((r) => r.at)
    .sort((a, b) => a - b);
}

/** Horizontal rules at y between a and b that cover x range [x0, x1] at least partly. */
function horizontalRulesBetween(rules: Rule[], a: number, b: number, x0: number, x1: number): Rule[] {
  return rules.filter((r) => r.dir === 'h' && r.at > a && r.at < b && Math.min(r.to, x1) - Math.max(r.from, x0) > 2);
}

interface ColumnEdges {
  roles: Array<ColumnRole | 'other'>;
  edges: number[]; // length roles.length + 1
}

/** Column intervals: from vertical rules when the table has them, else from header positions. */
/**
 * Column intervals: from vertical rules when the table has them; otherwise at
 * the widest empty vertical strip of the body between two header centres
 * (cell values are often right-aligned or centred, so the midpoint between
 * headers can cut through a value); the midpoint only when the body has no gap.
 */
function columnEdges(header: HeaderColumn[], vRules: number[], left: number, right: number, body: Chunk[] = []): { edges: ColumnEdges; ruled: boolean } {
  const roles = header.map((h) => h.role);
  const edges: number[] = [left];
  let ruled = vRules.length >= 2;
  for (let i = 0; i < header.length - 1; i++) {
    const a = header[i]!, b = header[i + 1]!;
    const gapLo = a.x1, gapHi = b.x0;
    const between = vRules.filter((x) => x >= gapLo - 3 && x <= gapHi + 3);
    if (between.length > 0) {
      edges.push(between.reduce((best, x) => (Math.abs(x - (gapLo + gapHi) / 2) < Math.abs(best - (gapLo + gapHi) / 2) ? x : best)));
      continue;
    }
    if (vRules.length >= 2) ruled = false;
    const ca = (a.x0 + a.x1) / 2, cb = (b.x0 + b.x1) / 2;
    const covering = body.filter((c) => c.x1 > ca && c.x0 < cb).map((c) => [Math.max(c.x0, ca), Math.min(c.x1, cb)] as [number, number]).sort((p, q) => p[0] - q[0]);
    let best: [number, number] | null = null;
    let cursor = ca;
    for (const [x0, x1] of [...covering, [cb, cb] as [number, number]]) {
      if (x0 > cursor && (!best || x0 - cursor > best[1] - best[0])) best = [cursor, x0];
      cursor = Math.max(cursor, x1);
    }
    edges.push(best && best[1] - best[0] >= 1 ? (best[0] + best[1]) / 2 : (a.x0 + a.x1 + b.x0 + b.x1) / 4);
  }
  edges.push(right);
  return { edges: { roles, edges }, ruled };
}

function columnOf(c: Chunk, ce: ColumnEdges): number {
  let best = -1, bestOverlap = -Infinity;
  for (let i = 0; i < ce.roles.length; i++) {
    const ov = Math.min(c.x1, ce.edges[i + 1]!) - Math.max(c.x0, ce.edges[i]!);
    if (ov > bestOverlap) {
      bestOverlap = ov;
      best = i;
    }
  }
  return best;
}

/**
 * Column assignment for tables without vertical rules. Chunks on one visual
 * line are matched to columns left to right, at most one chunk per column,
 * minimising how far each chunk sticks out of its column's interval. This keeps
 * a right-aligned value and the centred symbol next to it in their own columns
 * even when one of them crosses the midpoint between the two headers.
 */
export function alignLines(chunks: Chunk[], ce: ColumnEdges): Map<Chunk, number> {
  const out = new Map<Chunk, number>();
  const sorted = [...chunks].sort((a, b) => midY(a) - midY(b) || a.x0 - b.x0);
  const lines: Chunk[][] = [];
  for (const c of sorted) {
    const l = lines.at(-1);
    if (l && Math.abs(midY(l[0]!) - midY(c)) < c.size * 0.45) l.push(c);
    else lines.push([c]);
  }
  const n = ce.roles.length;
  const cost = (c: Chunk, j: number) => Math.max(0, ce.edges[j]! - c.x0) + Math.max(0, c.x1 - ce.edges[j + 1]!);
  for (const line of lines) {
    line.sort((a, b) => a.x0 - b.x0);
    const m = line.length;
    if (m > n) continue; // more pieces than columns: fall back to overlap
    // dp[i][j]: best cost with chunk i in column j (columns strictly increasing).
    const dp: number[][] = line.map(() => new Array<number>(n).fill(Infinity));
    const from: number[][] = line.map(() => new Array<number>(n).fill(-1));
    for (let j = 0; j < n; j++) dp[0]![j] = cost(line[0]!, j);
    for (let i = 1; i < m; i++) {
      for (let j = i; j < n; j++) {
        for (let k = i - 1; k < j; k++) {
          const v = dp[i - 1]![k]! + cost(line[i]!, j);
          if (v < dp[i]![j]!) {
            dp[i]![j] = v;
            from[i]![j] = k;
          }
        }
      }
    }
    let j = dp[m - 1]!.indexOf(Math.min(...dp[m - 1]!));
    for (let i = m - 1; i >= 0 && j >= 0; i--) {
      out.set(line[i]!, j);
      j = from[i]![j]!;
    }
  }
  return out;
}

/** Join chunks of one cell in reading order: lines top to bottom, chunks left to right. */
export function cellText(chunks: Chunk[]): string {
  const sorted = [...chunks].sort((a, b) => a.page - b.page || midY(a) - midY(b) || a.x0 - b.x0);
  const lines: Chunk[][] = [];
  for (const c of sorted) {
    const l = lines.at(-1);
    if (l && l[0]!.page === c.page && Math.abs(midY(l[0]!) - midY(c)) < c.size * 0.45) l.push(c);
    else lines.push([c]);
  }
  return lines.map((l) => l.map((c) => c.text).join(' ')).join('\n');
}

function yearNumber(label: string): number {
  const m = YEAR_LABEL_RE.exec(label.replace(/\s+/gu, ''));
  if (!m) return NaN;
  if (m[3] !== undefined) return Number(m[3]);
  const heisei = m[1] !== undefined;
  const n = (heisei ? m[1] : m[2]) === '元' ? 1 : Number(heisei ? m[1] : m[2]);
  return heisei ? 1988 + n : 2018 + n;
}

interface HeaderHit {
  layout: PageLayout;
  chunks: Chunk[];
  top: number;
  bottom: number;
  inColumn: (c: { x0: number; x1: number }) => boolean;
}

/** A line that starts a data row: a year label or a circled number at its start. */
function isDataLine(chunks: Chunk[]): boolean {
  return chunks.some((c) => YEAR_LABEL_RE.test(c.text.replace(/\s+/gu, '')) || leadingCircled(c.text) !== null);
}

/**
 * Find header bands: the line holding a chunk matching `key`, extended to the
 * lines just above and below it (wrapped header cells) that are not data rows
 * and not separated from it by a horizontal rule spanning the key.
 */
function findHeaders(layouts: PageLayout[], key: RegExp, mustAlso: RegExp[]): HeaderHit[] {
  const hits: HeaderHit[] = [];
  for (const layout of layouts) {
    for (const k of layout.chunks.filter((c) => key.test(c.text))) {
      if (hits.some((h) => h.layout === layout && h.chunks.includes(k))) continue;
      const inColumn = sameColumn(layout, k);
      const col = layout.chunks.filter((c) => inColumn(c));
      // Visual lines of the column around the key.
      const lineOf = (y: number) => col.filter((c) => Math.abs(midY(c) - y) <= c.size * 0.45);
      let band = lineOf(midY(k));
      if (isDataLine(band)) band = band.filter((c) => !YEAR_LABEL_RE.test(c.text.replace(/\s+/gu, '')));
      // Header cells aligned differently (top, middle) still overlap the key vertically.
      const overlapping = col.filter(
        (c) => !band.includes(c) && c.top < k.bottom && c.bottom > k.top && !YEAR_LABEL_RE.test(c.text.replace(/\s+/gu, '')) && leadingCircled(c.text) === null,
      );
      band = [...band, ...overlapping];
      // A horizontal rule between the band and a candidate chunk, across the candidate.
      const ruleBetween = (a: number, c: Chunk) =>
        layout.rules.some((r) => r.dir === 'h' && r.at > Math.min(a, midY(c)) && r.at < Math.max(a, midY(c)) && r.from <= c.x0 + 1 && r.to >= c.x1 - 1);
      for (const dir of [-1, 1]) {
        for (let step = 0; step < 3; step++) {
          const edge = dir < 0 ? Math.min(...band.map((c) => c.top)) : Math.max(...band.map((c) => c.bottom));
          const mids = band.map((c) => midY(c));
          const cand = col
            .filter(
              (c) =>
                !band.includes(c) &&
                (dir < 0
                  ? midY(c) < Math.min(...mids) - c.size * 0.45 && c.bottom > edge - k.size
                  : midY(c) > Math.max(...mids) + c.size * 0.45 && c.top < edge + k.size),
            )
            .sort((a, b) => dir * (midY(a) - midY(b)));
          if (cand.length === 0) break;
          const y0 = midY(cand[0]!);
          const line = col.filter((c) => Math.abs(midY(c) - y0) <= c.size * 0.3);
          if (isDataLine(line)) break;
          // Header cells hold words; a line of symbols or numbers (▼, 16,507人) belongs to the body.
          if (line.some((c) => /^[○△×ABC—-]\s*\d/u.test(c.text.trim())) || line.every((c) => /^[▼▲↓→⇒\s]+$/u.test(c.text) || (/^\d/u.test(c.text.trim()) && !/目標|基準|実績|年度|進捗|評価|見込|KPI/u.test(c.text)))) break;
          // A lone section heading ("KPI", "数値目標") or text wholly beside the band is not a header cell.
          const bx0 = Math.min(...band.map((c) => c.x0));
          if (line.every((c) => c.x1 < bx0 || /^(KPI|数値目標|課題|■?評価のポイント)$/u.test(c.text.trim()))) break;
          const bandEdge = dir < 0 ? Math.min(...mids) : Math.max(...mids);
          const joinable = line.filter((c) => !ruleBetween(bandEdge, c));
          if (joinable.length === 0) break;
          // Only header-like lines: every chunk sits above/below a header chunk, and no long prose.
          if (line.some((c) => c.x1 - c.x0 > k.size * 20)) break;
          band = [...band, ...joinable];
        }
      }
      // A tall header row: cells aligned to its bottom sit between the band and the
      // first data row. Take header words from there (never numbers or symbols).
      const bandTop = Math.min(...band.map((c) => c.top));
      const firstData = col.filter((c) => c.top > bandTop && (YEAR_LABEL_RE.test(c.text.replace(/\s+/gu, '')) || leadingCircled(c.text) !== null)).sort((a, b) => a.top - b.top)[0];
      if (firstData) {
        const late = col.filter(
          (c) =>
            !band.includes(c) &&
            midY(c) > bandTop &&
            c.bottom <= firstData.top + 0.5 &&
            /数値目標|指標|基準|年度|目標|実績|進捗|達成|評価|見込|施策|方向|KPI/u.test(c.text) &&
            !/^\d|^[▼▲↓→⇒]/u.test(c.text.trim()) &&
            !band.some((b) => Math.min(b.x1, c.x1) - Math.max(b.x0, c.x0) > 0 && b.top > c.bottom),
        );
        band = [...band, ...late];
      }
      const left = Math.min(...band.map((c) => c.x0));
      const right = Math.max(...band.map((c) => c.x1));
      band = band.filter((c) => c.x0 >= left - 1 && c.x1 <= right + 1);
      // Header cells read column by column, so words wrapped inside a cell join up ("進" + "捗度").
      const joined = headerColumns(band).map((c) => c.text.replace(/\s+/gu, '')).join('|');
      if (!mustAlso.every((re) => re.test(joined))) continue;
      band.sort((a, b) => a.top - b.top || a.x0 - b.x0);
      hits.push({ layout, chunks: band, top: Math.min(...band.map((c) => c.top)), bottom: Math.max(...band.map((c) => c.bottom)), inColumn });
    }
  }
  return hits;
}

function isStopLine(text: string): boolean {
  const t = text.trim();
  return LEGEND_RE.test(t) || /^(■|【)?\s*(評価のポイント|課題|今後の展開|KPI)\s*】?$/u.test(t) || /^[0-9]\s*(基本目標|平成|令和|数値目標|今後)/u.test(t);
}

interface YearAnchor {
  chunk: Chunk;
  layout: PageLayout;
  year: number;
}

/**
 * Read all numeric-target tables of a document.
 */
export function readNumericTables(layouts: PageLayout[]): ExtractedNumericTable[] {
  const tables: ExtractedNumericTable[] = [];
  const headers = findHeaders(layouts, /実績/u, [/年度|年/u, /目標/u]);
  const consumed = new Set<Chunk>();
  for (const h of headers) {
    if (h.chunks.some((c) => consumed.has(c))) continue;
    let header = headerColumns(h.chunks);
    if (!header.some((c) => c.role === 'year') || !header.some((c) => c.role === 'actual')) continue;
    const issues: string[] = [];
    const rows: NumericTableRow[] = [];
    let method: 'ruled' | 'aligned' = 'aligned';
    const pages: number[] = [];
    const regions: Region[] = [];

    // Walk pages from the header's page while the year rows continue.
    let layout = h.layout;
    let inColumn = h.inColumn;
    let bandTop = h.bottom;
    let block = -1;
    let lastYear = Infinity;
    let pendingBlock: { rows: NumericTableRow[]; chunks: Map<ColumnRole, Chunk[]>; pages: Set<number> } | null = null;
    /** Row band of each row object: page, top, bottom. */
    const bands = new Map<NumericTableRow, Array<[number, number, number]>>();
    /**
     * Text of a spanning cell. When the layout repeats the value on every row
     * (no merged cells: "fill-down"), each row holds the same text: take it once.
     */
    const spanText = (chunks: Chunk[], rowsOfBlock: NumericTableRow[]): string => {
      const perRow = rowsOfBlock.map((r) =>
        cellText(chunks.filter((c) => (bands.get(r) ?? []).some(([page, top, bottom]) => c.page === page && midY(c) >= top && midY(c) < bottom))),
      );
      const filled = perRow.filter((t) => t.trim().length > 0);
      const key = (t: string) => t.replace(/\s+/gu, '');
      if (filled.length >= 2 && filled.every((t) => key(t) === key(filled[0]!))) return filled[0]!;
      return cellText(chunks);
    };
    const flushBlock = () => {
      if (!pendingBlock) return;
      const name = spanText(pendingBlock.chunks.get('name') ?? [], pendingBlock.rows);
      const baseline = spanText(pendingBlock.chunks.get('baseline') ?? [], pendingBlock.rows);
      const grade = spanText(pendingBlock.chunks.get('grade') ?? [], pendingBlock.rows);
      for (const r of pendingBlock.rows) {
        r.name = name;
        r.baseline = baseline;
        r.grade = grade;
        r.blockPages = [...pendingBlock.pages].sort((a, b) => a - b);
      }
      pendingBlock = null;
    };

    /**
     * Move to the next page when the table ran to the bottom of this one: the
     * next page either repeats the header or goes straight on with year rows.
     */
    const advance = (tableBottom: number, stopped: boolean): boolean => {
      const next = layouts.find((l) => l.page === layout.page + 1);
      if (stopped || !next) return false;
      if (layout.lines.some((l) => inColumn(l) && l.top > tableBottom + 2)) return false;
      const rep = findHeaders([next], /実績/u, [/年度|年/u, /目標/u])[0];
      if (rep && rep.top < next.height * 0.4) {
        header = headerColumns(rep.chunks);
        for (const c of rep.chunks) consumed.add(c);
        bandTop = rep.bottom;
        inColumn = rep.inColumn;
      } else {
        const ycol = header.find((c) => c.role === 'year')!;
        const cont = next.chunks.filter(
          (c) => c.top < next.height * 0.35 && YEAR_LABEL_RE.test(c.text.replace(/\s+/gu, '')) && Math.min(c.x1, ycol.x1 + 8) - Math.max(c.x0, ycol.x0 - 8) > 0,
        );
        if (cont.length === 0) return false;
        // No header here: the body starts below whatever precedes the first year label (running headers, a rule).
        const first = cont.sort((a, b) => a.top - b.top)[0]!;
        const above = next.chunks.filter((c) => c.bottom <= first.top + 0.5 && c.top < first.top - first.size * 2);
        bandTop = above.length ? Math.max(...above.map((c) => c.bottom)) : 0;
        const hr = next.rules.filter((r) => r.dir === 'h' && r.at < first.top && r.at > bandTop);
        if (hr.length) bandTop = Math.max(...hr.map((r) => r.at));
        inColumn = sameColumn(next, first);
      }
      layout = next;
      return true;
    };

    for (let guard = 0; guard < 50; guard++) {
      pages.push(layout.page);
      const yearCol = header.find((c) => c.role === 'year')!;
      const tableLeft = Math.min(...header.map((c) => c.x0)) - 40;
      const tableRight = Math.max(...header.map((c) => c.x1)) + 40;
      // Year anchors below the header in the year column.
      const anchors: YearAnchor[] = layout.chunks
        .filter((c) => inColumn(c) && c.top >= bandTop - 1 && YEAR_LABEL_RE.test(c.text.replace(/\s+/gu, '')))
        .filter((c) => Math.min(c.x1, yearCol.x1 + 8) - Math.max(c.x0, yearCol.x0 - 8) > 0)
        .sort((a, b) => midY(a) - midY(b))
        .map((c) => ({ chunk: c, layout, year: yearNumber(c.text) }));
      // Stop where the table ends: a legend / heading line or a large vertical gap.
      const stopLine = layout.lines.find((l) => inColumn(l) && l.top > bandTop && isStopLine(l.text) && l.x0 < yearCol.x0);
      const limit = stopLine ? stopLine.top : Infinity;
      const rowsHere: YearAnchor[] = [];
      for (const a of anchors) {
        if (midY(a.chunk) > limit) break;
        const prev = rowsHere.at(-1);
        if (prev) {
          const pitch = midY(a.chunk) - midY(prev.chunk);
          const typical = rowsHere.length >= 2 ? (midY(prev.chunk) - midY(rowsHere[0]!.chunk)) / (rowsHere.length - 1) : pitch;
          if (pitch > Math.max(typical * 3.5, a.chunk.size * 8)) break;
        }
        rowsHere.push(a);
      }
      if (rowsHere.length === 0) {
        // A header at the foot of a page with its rows on the next one.
        if (rows.length === 0 && advance(bandTop, Boolean(stopLine))) continue;
        break;
      }
      const tableTop = bandTop;
      const lastAnchor = rowsHere.at(-1)!.chunk;
      const avgPitch = rowsHere.length >= 2 ? (midY(lastAnchor) - midY(rowsHere[0]!.chunk)) / (rowsHere.length - 1) : lastAnchor.size * 1.6;
      // Table bottom: first horizontal rule below the last anchor spanning the table, else pitch-based.
      const hBelow = horizontalRulesBetween(layout.rules, midY(lastAnchor), Math.min(limit, midY(lastAnchor) + Math.max(avgPitch * 1.2, lastAnchor.size * 6)), tableLeft, tableRight);
      const vRules = verticalRulesIn(layout.rules, tableLeft, tableRight, midY(rowsHere[0]!.chunk), midY(lastAnchor));
      let tableBottom = hBelow.length ? Math.min(...hBelow.map((r) => r.at)) : Math.min(limit, midY(lastAnchor) + Math.max(avgPitch * 0.75, lastAnchor.size));
      const ce = columnEdges(header, vRules, tableLeft, tableRight);
      if (ce.ruled) method = 'ruled';
      // Row edges.
      const rowEdges: number[] = [tableTop];
      for (let i = 1; i < rowsHere.length; i++) {
        const a = midY(rowsHere[i - 1]!.chunk), b = midY(rowsHere[i]!.chunk);
        const hr = horizontalRulesBetween(layout.rules, a + 1, b - 1, header.find((c) => c.role === 'year')!.x0, header.find((c) => c.role === 'year')!.x1);
        rowEdges.push(hr.length ? hr.reduce((best, r) => (Math.abs(r.at - (a + b) / 2) < Math.abs(best - (a + b) / 2) ? r.at : best), hr[0]!.at) : (a + b) / 2);
      }
      rowEdges.push(tableBottom);
      // A row split by the page break: its tail sits above the first rule of this page's body.
      const prevRow = rows.at(-1);
      if (prevRow) {
        const split = horizontalRulesBetween(layout.rules, tableTop + 1, rowsHere[0]!.chunk.top - 0.5, tableLeft, tableRight);
        if (split.length) rowEdges[0] = Math.max(...split.map((r) => r.at));
      }
      // Body chunks of the table region.
      const body = layout.chunks.filter(
        (c) => inColumn(c) && midY(c) > tableTop && midY(c) < tableBottom && c.x1 > tableLeft && c.x0 < tableRight,
      );
      for (const c of body) consumed.add(c);
      regions.push({ page: layout.page, x0: tableLeft, x1: tableRight, top: Math.min(tableTop, ...(layout === h.layout ? [h.top] : [])) - 1, bottom: tableBottom });
      for (const c of h.chunks) consumed.add(c);
      // Assign rows.
      const perRow: Array<Map<ColumnRole, Chunk[]>> = rowsHere.map(() => new Map());
      const blockStarts: number[] = [];
      for (let i = 0; i < rowsHere.length; i++) {
        const y = rowsHere[i]!.year;
        if (!(y > lastYear)) blockStarts.push(i);
        lastYear = y;
      }
      // The spanning columns are assigned by block bands.
      const blockEdges: Array<[number, number, number]> = []; // [rowIndexStart, top, bottom]
      for (let b = 0; b < blockStarts.length; b++) {
        const s = blockStarts[b]!;
        const e = (blockStarts[b + 1] ?? rowsHere.length) - 1;
        blockEdges.push([s, rowEdges[s]!, rowEdges[e + 1]!]);
      }
      const spanning = new Set<ColumnRole>(['name', 'baseline', 'grade']);
      const spanChunks: Array<{ role: ColumnRole; chunk: Chunk }> = [];
      const colIndex = ce.ruled ? null : alignLines(body, ce.edges);
      for (const c of body) {
        const col = colIndex?.get(c) ?? columnOf(c, ce.edges);
        const role = ce.edges.roles[col];
        if (!role || role === 'other') continue;
        if (spanning.has(role)) {
          spanChunks.push({ role, chunk: c });
          continue;
        }
        const y = midY(c);
        const r = rowEdges.findIndex((edge, k) => k < rowsHere.length && y >= edge && y < rowEdges[k + 1]!);
        if (r < 0) {
          if (prevRow && y < rowEdges[0]! && (role === 'target' || role === 'actual' || role === 'progress')) {
            prevRow[role] = [prevRow[role], c.text].filter(Boolean).join('\n');
            issues.push(`note: page ${layout.page}: the ${prevRow.year} row continues from the previous page`);
          }
          continue;
        }
        const list = perRow[r]!.get(role) ?? [];
        list.push(c);
        perRow[r]!.set(role, list);
      }
      // Rows before the first block start on this page continue the previous page's block.
      const firstStart = blockStarts[0] ?? rowsHere.length;
      const rowObjs: NumericTableRow[] = rowsHere.map((a, i) => {
        const m = perRow[i]!;
        return {
          page: layout.page,
          block: 0,
          year: a.chunk.text.replace(/\s+/gu, ''),
          name: '',
          baseline: '',
          target: cellText((m.get('target') ?? []).filter((c) => c !== a.chunk)),
          actual: cellText(m.get('actual') ?? []),
          progress: cellText(m.get('progress') ?? []),
          grade: '',
          blockPages: [],
          problems: [],
        };
      });
      rowObjs.forEach((r, i) => bands.set(r, [[layout.page, rowEdges[i]!, rowEdges[i + 1]!]]));
      if (prevRow && rowEdges[0]! > tableTop) bands.get(prevRow)?.push([layout.page, tableTop, rowEdges[0]!]);
      const assignSpan = (rowStart: number, rowEnd: number, top: number, bottom: number) => {
        for (const { role, chunk } of spanChunks) {
          const y = midY(chunk);
          if (y >= top && y < bottom && pendingBlock) {
            const list = pendingBlock.chunks.get(role) ?? [];
            list.push(chunk);
            pendingBlock.chunks.set(role, list);
          }
        }
        if (pendingBlock) {
          pendingBlock.pages.add(layout.page);
          for (let i = rowStart; i <= rowEnd; i++) pendingBlock.rows.push(rowObjs[i]!);
        }
      };
      if (firstStart > 0) {
        if (!pendingBlock) {
          issues.push(`page ${layout.page}: year rows before the first indicator start`);
          pendingBlock = { rows: [], chunks: new Map(), pages: new Set() };
          block++;
        }
        assignSpan(0, firstStart - 1, tableTop, rowEdges[firstStart]!);
      }
      for (const [s, top, bottom] of blockEdges) {
        flushBlock();
        block++;
        pendingBlock = { rows: [], chunks: new Map(), pages: new Set() };
        const e = (blockStarts[blockStarts.indexOf(s) + 1] ?? rowsHere.length) - 1;
        assignSpan(s, e, top, bottom);
        for (let i = s; i <= e; i++) rowObjs[i]!.block = block;
      }
      for (let i = 0; i < firstStart; i++) rowObjs[i]!.block = Math.max(block - blockEdges.length, 0);
      rows.push(...rowObjs);

      if (!advance(tableBottom, Boolean(stopLine))) break;
    }
    flushBlock();
    // Structural checks.
    const byBlock = new Map<number, NumericTableRow[]>();
    for (const r of rows) byBlock.set(r.block, [...(byBlock.get(r.block) ?? []), r]);
    const sizes = [...byBlock.values()].map((b) => b.length);
    const expected = Math.max(...sizes, 0);
    for (const [b, rs] of byBlock) {
      const problems: string[] = [];
      if (rs.length !== expected) problems.push(`indicator ${b + 1} has ${rs.length} year rows, others have ${expected}`);
      const ys = rs.map((r) => yearNumber(r.year));
      for (let i = 1; i < ys.length; i++) if (ys[i] !== ys[i - 1]! + 1) problems.push(`indicator ${b + 1}: year ${rs[i]!.year} does not follow ${rs[i - 1]!.year}`);
      if (!rs[0]?.name) problems.push(`indicator ${b + 1}: no indicator name found`);
      for (const r of rs) r.problems.push(...problems);
      issues.push(...problems);
    }
    if (rows.length > 0) tables.push({ page: h.layout.page, pages, method, header, rows, issues: [...new Set(issues)], regions });
  }
  return tables;
}

function pairs(text: string, re: RegExp): Array<[string, number]> {
  const out: Array<[string, number]> = [];
  for (const m of text.matchAll(re)) {
    const sym = m[1] === 'ー' || m[1] === '—' ? '-' : m[1]!;
    out.push([sym, Number(m[2])]);
  }
  return out;
}

/**
 * Partition `lines` (in reading order) into consecutive groups whose sums equal `targets`.
 * Used when a counts column is printed as a separate table whose rows do not line up.
 */
function partitionBySums(lines: Array<Array<[string, number]>>, targets: number[]): number[] | null {
  const assign: number[] = [];
  let li = 0;
  for (let r = 0; r < targets.length; r++) {
    let sum = 0;
    while (li < lines.length && sum < targets[r]!) {
      sum += lines[li]!.reduce((s, p) => s + p[1], 0);
      assign.push(r);
      li++;
    }
    if (sum !== targets[r]) return null;
  }
  return li === lines.length ? assign : null;
}

/** Read all KPI summary tables of a document. */
export function readKpiTables(layouts: PageLayout[]): ExtractedKpiTable[] {
  const out: ExtractedKpiTable[] = [];
  for (const h of findHeaders(layouts, /施策|基本的方向/u, [/KPI/u, /進捗/u])) {
    let layout = h.layout;
    const issues: string[] = [];
    const headerText = h.chunks.map((c) => c.text).join(' ');
    const yearM = /((?:H|平成|R|令和)\s*(?:\d{1,2}|元))\s*年度?\s*の?\s*進捗/u.exec(headerText);
    const regions: Region[] = [];
    const cols = headerColumns(h.chunks);
    const nameHeader = cols.find((c) => /施策|方向/u.test(c.text));
    const kpiHeader = cols.find((c) => /KPI\s*数/u.test(c.text)) ?? cols.find((c) => /KPI/u.test(c.text) && c.x0 > nameHeader!.x1);
    if (!nameHeader || !kpiHeader) continue;
    let left = Math.min(...h.chunks.map((c) => c.x0)) - 40;
    const right = Math.max(...h.chunks.map((c) => c.x1)) + 60;
    let inColumn = h.inColumn;
    // The header row's bottom under the name column (other header cells may be taller).
    let headBottom = Math.max(...h.chunks.filter((c) => c.x1 > nameHeader.x0 - 1 && c.x0 < kpiHeader.x0).map((c) => c.bottom));
    let stop: Line | undefined;
    let limit = 0;
    let outlookHeader: Line | undefined;
    let anchors: Chunk[] = [];
    const findRows = () => {
      // Row anchors: chunks starting with a circled number, left of the KPI count column.
      stop = layout.lines.find((l) => inColumn(l) && l.top > headBottom && (isStopLine(l.text) || /^[○◯]\s*[:：]/u.test(l.text)));
      limit = stop ? stop.top : layout.height;
      // The outlook may be a separate table below the KPI table, with its own header.
      outlookHeader = layout.lines.find(
        (l) => inColumn(l) && l.top > headBottom && l.top < limit && /達成見込|見込み?$|^目標年度/u.test(l.text.replace(/\s+/gu, '')) && !l.chunks.some((c) => h.chunks.includes(c)),
      );
      if (outlookHeader) limit = outlookHeader.top;
      anchors = layout.chunks
        .filter((c) => inColumn(c) && c.top > headBottom - 1 && midY(c) < limit && c.x1 < kpiHeader.x0 + 2 && leadingCircled(c.text) !== null && c.x0 < (nameHeader.x0 + nameHeader.x1) / 2)
        .sort((a, b) => midY(a) - midY(b));
    };
    findRows();
    if (anchors.length === 0 && !stop) {
      // Header at the foot of a page, rows at the top of the next one.
      const next = layouts.find((l) => l.page === layout.page + 1);
      const first = next?.chunks
        .filter((c) => c.top < next.height * 0.35 && leadingCircled(c.text) !== null && c.x0 < (nameHeader.x0 + nameHeader.x1) / 2 && c.x1 < kpiHeader.x0 + 2)
        .sort((a, b) => a.top - b.top)[0];
      if (next && first && !layout.lines.some((l) => h.inColumn(l) && l.top > h.bottom + 2)) {
        layout = next;
        inColumn = sameColumn(next, first);
        const above = next.chunks.filter((c) => c.bottom <= first.top + 0.5 && c.top < first.top - first.size * 2);
        headBottom = above.length ? Math.max(...above.map((c) => c.bottom)) : first.top - 1;
        findRows();
        if (anchors.length) issues.push(`the header is on page ${h.layout.page}, the rows on page ${next.page}`);
      }
    }
    if (anchors.length === 0) continue;
    left = Math.min(left, ...anchors.map((a) => a.x0 - 2));
    const hr = layout.rules.filter((r) => r.dir === 'h' && r.at > headBottom && r.at < limit && Math.min(r.to, right) - Math.max(r.from, left) > 10);
    const method: 'ruled' | 'aligned' = hr.length >= anchors.length ? 'ruled' : 'aligned';
    // Row bands: from each anchor's top (or the rule just above it) to the next anchor's.
    // Without rules, a row's counts may sit above its label (label centred on two count
    // lines): split rows halfway through the gap between one label block and the next.
    const nameBlockBottom = anchors.map((a, i) => {
      const nextTop = anchors[i + 1]?.top ?? limit;
      let bottom = a.bottom;
      const cont = layout.chunks
        .filter((c) => inColumn(c) && c.x1 < kpiHeader.x0 + 2 && c.x0 < (nameHeader.x0 + nameHeader.x1) / 2 && c.top > a.top && c.top < nextTop - 0.5)
        .sort((p, q) => p.top - q.top);
      for (const c of cont) if (c.top - bottom < c.size * 1.0) bottom = Math.max(bottom, c.bottom);
      return bottom;
    });
    const tops = anchors.map((a, i) => {
      const prevBottom = i === 0 ? headBottom : anchors[i - 1]!.bottom;
      const rs = hr.filter((r) => r.at <= a.top + 1 && r.at >= prevBottom - 1);
      if (rs.length) return Math.max(...rs.map((r) => r.at));
      if (method === 'aligned') return i === 0 ? headBottom : (nameBlockBottom[i - 1]! + a.top) / 2;
      return a.top - 1;
    });
    const lastBottomRule = hr.filter((r) => r.at > anchors.at(-1)!.bottom);
    const tableBottom = Math.min(limit, lastBottomRule.length ? Math.max(...lastBottomRule.map((r) => r.at)) + 1 : limit);
    const body = layout.chunks.filter((c) => inColumn(c) && midY(c) > headBottom && midY(c) < tableBottom && c.x1 > left && c.x0 < right && !h.chunks.includes(c));
    const bandOf = (y: number) => {
      for (let i = anchors.length - 1; i >= 0; i--) if (y >= tops[i]! - 0.5) return i;
      return -1;
    };
    // Columns: name | KPI count | progress counts | outlook counts (edges from rules or header).
    const vRules = verticalRulesIn(layout.rules, left, right, anchors[0]!.top, anchors.at(-1)!.bottom);
    const kpiRole = (text: string): HeaderColumn['role'] => {
      const t = text.replace(/\s+/gu, '');
      return /施策|方向/u.test(t) ? 'name' : /KPI/u.test(t) ? 'year' : /進捗/u.test(t) ? 'progress' : /見込|評価/u.test(t) ? 'grade' : 'other';
    };
    const kpiCols: HeaderColumn[] = cols.map((c) => ({ ...c, role: kpiRole(c.text) }));
    const ce = columnEdges(kpiCols, vRules, left, right).edges;
    type KCol = 'name' | 'count' | 'progress' | 'outlook';
    const roleMap: Record<string, KCol> = { name: 'name', year: 'count', progress: 'progress', grade: 'outlook' };
    const cells: Array<Record<KCol, Chunk[]>> = anchors.map(() => ({ name: [], count: [], progress: [], outlook: [] }));
    const colChunks: Record<'progress' | 'outlook', Chunk[]> = { progress: [], outlook: [] };
    for (const c of body) {
      const r = bandOf(midY(c));
      if (r < 0) continue;
      const role = roleMap[ce.roles[columnOf(c, ce)] ?? 'other'];
      if (!role) continue;
      cells[r]![role].push(c);
      if (role === 'progress' || role === 'outlook') colChunks[role].push(c);
    }
    const flat = (cs: Chunk[]) => cellText(cs).replace(/\n/gu, ' ');
    const counts = cells.map((cell) => flat(cell.count));
    const numericCounts = counts.map((c) => (/^\d+$/u.test(c) ? Number(c) : NaN));
    const regroup = (what: 'progress' | 'outlook', re: RegExp): Array<Array<[string, number]>> => {
      const byBand = cells.map((cell) => pairs(flat(cell[what]), re));
      const bandOk = byBand.every((ps, i) => ps.reduce((s, p) => s + p[1], 0) === numericCounts[i]);
      if (bandOk || numericCounts.some((n) => Number.isNaN(n))) return byBand;
      // The column may be a separate table whose rows do not line up: take its visual
      // lines in order and split them so that each row's counts add up to its KPI count.
      const sorted = [...colChunks[what]].sort((a, b) => midY(a) - midY(b) || a.x0 - b.x0);
      const lines: Chunk[][] = [];
      for (const c of sorted) {
        const l = lines.at(-1);
        if (l && Math.abs(midY(l[0]!) - midY(c)) < c.size * 0.45) l.push(c);
        else lines.push([c]);
      }
      const linePairs = lines.map((l) => pairs(flat(l), re));
      const part = partitionBySums(linePairs, numericCounts);
      if (!part) return byBand;
      const byOrder: Array<Array<[string, number]>> = anchors.map(() => []);
      part.forEach((r, i) => byOrder[r]!.push(...linePairs[i]!));
      issues.push(`${what} counts matched to rows by order (their cells do not line up with the rows)`);
      return byOrder;
    };
    const prog = regroup('progress', PAIR_PROGRESS_RE);
    let outl = regroup('outlook', PAIR_OUTLOOK_RE);
    let oh: Line | undefined = outlookHeader;
    let ohLayout = layout;
    let ohColumn = inColumn;
    let ohEnd = stop ? (stop as Line).top : layout.height;
    if (!oh && !stop && outl.every((ps) => ps.length === 0)) {
      // The outlook table may open the next reading column (next column or next page).
      const col = layout.lines.find((l) => inColumn(l))?.column ?? 0;
      const nextCol = layout.lines.some((l) => l.column === col + 1);
      const nl = nextCol ? layout : layouts.find((l) => l.page === layout.page + 1);
      const target = nextCol ? col + 1 : 0;
      const cand = nl?.lines.filter((l) => l.column === target).sort((a, b) => a.top - b.top).slice(0, 3).find((l) => /達成見込|^目標年度/u.test(l.text.replace(/\s+/gu, '')));
      if (nl && cand) {
        oh = cand;
        ohLayout = nl;
        ohColumn = sameColumn(nl, cand);
        const st = nl.lines.find((l) => l.column === target && l.top > cand.bottom && (isStopLine(l.text) || /^[○◯]\s*[:：]/u.test(l.text)));
        ohEnd = st ? st.top : nl.height;
      }
    }
    if (oh && outl.every((ps) => ps.length === 0)) {
      // Separate outlook table: its lines in order, split so that each row adds up to its KPI count.
      const end = ohEnd;
      const ohTop = oh.bottom;
      const lines = ohLayout.lines
        .filter((l) => ohColumn(l) && l.top > ohTop - 1 && l.top < end)
        .map((l) => pairs(l.text, PAIR_OUTLOOK_RE))
        .filter((ps) => ps.length > 0);
      const part = partitionBySums(lines, numericCounts);
      if (part) {
        outl = anchors.map(() => []);
        part.forEach((r, i) => outl[r]!.push(...lines[i]!));
        issues.push('outlook counts read from a separate table below the KPI table and matched to rows by order');
        const ox = ohLayout.lines.filter((l) => ohColumn(l) && l.top >= oh!.top - 1 && l.top < end);
        regions.push({ page: ohLayout.page, x0: Math.min(...ox.map((l) => l.x0)) - 1, x1: Math.max(...ox.map((l) => l.x1)) + 1, top: oh.top - 1, bottom: end });
      } else if (lines.length > 0) issues.push('a separate outlook table was found but its counts do not match the rows; outlook counts left empty');
    }
    const nameChunks = cells.map((c) => c.name);
    const rows: KpiTableRow[] = anchors.map((a, i) => ({
      page: layout.page,
      label: cellText(nameChunks[i]!.length ? nameChunks[i]! : [a]),
      policyDirectionNo: leadingCircled(a.text)!,
      kpiCount: counts[i] ?? '',
      progressPairs: prog[i]!,
      outlookPairs: outl[i]!,
      notes: [],
    }));
    if (layout !== h.layout) regions.push({ page: h.layout.page, x0: left, x1: right, top: h.top - 1, bottom: h.bottom + 1 });
    regions.unshift({ page: layout.page, x0: left, x1: right, top: layout === h.layout ? h.top - 1 : headBottom, bottom: tableBottom });
    out.push({ page: layout.page, pages: [layout.page], method, header: headerText, progressYearLabel: yearM ? yearM[1]!.replace(/\s+/gu, '') : null, rows, issues, regions });
  }
  return out;
}

export type { Line };
