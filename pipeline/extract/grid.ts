/**
 * Stage 3b — generic table structure, knowing nothing of 数値目標 or KPI:
 * a header band's leaves and the body below them become columns (boundaries
 * from vertical edges, else from the widest empty strip of the body between
 * two header cells), the body runs down the page to the first line that is not
 * table (a heading or legend, prose across columns, a long gap, another table's
 * header) and on over page breaks, with or without a repeated header.
 * The result is a list of segments, one per page, each with its columns and
 * the words that fall in them.
 */
import { columnEdgesIn, type Edge } from './edges.js';
import { isHeaderLine, linesIn, type HeaderBand, type HeaderCell, type PageInput } from './header.js';
import { TABLE_SETTINGS } from './settings.js';
import { isStopLine, opensOtherTable } from './vocabulary.js';
import { cx, cy, lineText, tightPhrases, toLines, type Word } from './words.js';

export interface Column {
  x0: number;
  x1: number;
  /** Header text of the leaf over this column ('' when the column has none of its own). */
  header: string;
  /** Header text of the spanning cell above the leaf, '' when none. */
  parent: string;
  /** Horizontal centre of the header leaf (NaN when the column has no header of its own). */
  hx: number;
  /** True when a vertical edge bounds the column on each side that has a neighbour. */
  ruled: boolean;
}

export interface Segment {
  page: number;
  /** Top of the body (below the header, or the top of a continuation). */
  top: number;
  bottom: number;
  left: number;
  right: number;
  columns: Column[];
  /** Body words, in columns. */
  words: Array<Word & { col: number }>;
  /** Words of the region that no column could take (straddling two columns). */
  stray: Word[];
  edges: Edge[];
  /** Header band on this page (null for a headerless continuation). */
  header: HeaderBand | null;
  /** The header leaves the columns were built from (the last header seen, for a continuation). */
  leaves: HeaderCell[];
  /** Why the segment ends: a stop line, a gap, the page end, another table. */
  end: 'stop' | 'gap' | 'page' | 'table' | 'prose';
}

/** Widest strip of [a, b] that no word covers; null when there is none wider than `min`. */
export function widestGap(words: Word[], a: number, b: number, min: number): [number, number] | null {
  const spans = words.filter((w) => w.x1 > a && w.x0 < b).map((w) => [Math.max(w.x0, a), Math.min(w.x1, b)] as [number, number]).sort((p, q) => p[0] - q[0]);
  let best: [number, number] | null = null;
  let cursor = a;
  for (const [x0, x1] of [...spans, [b, b] as [number, number]]) {
    if (x0 - cursor > min && (!best || x0 - cursor > best[1] - best[0])) best = [cursor, x0];
    cursor = Math.max(cursor, x1);
  }
  return best;
}

/** Column boundaries between header leaves: an edge between them, else the widest empty strip of the body, else the middle. */
export function columnsFor(leaves: HeaderCell[], allBody: Word[], edges: Edge[], left: number, right: number, top: number, bottom: number): Column[] {
  const vEdges = columnEdgesIn(edges, left, right, top, bottom, TABLE_SETTINGS.colEdgeCover);
  // Text running under two header centres or more is no cell's (prose under a table): no evidence for a boundary.
  const centres = leaves.map(cx);
  const body = allBody.filter((w) => centres.filter((c) => w.x0 < c && w.x1 > c).length < 2);
  const bounds: number[] = [left];
  const ruled: boolean[] = [];
  for (let i = 0; i + 1 < leaves.length; i++) {
    const a = leaves[i]!, b = leaves[i + 1]!;
    const ca = cx(a), cb = cx(b);
    const mid = a.x1 <= b.x0 ? (a.x1 + b.x0) / 2 : (ca + cb) / 2;
    const between = vEdges.filter((x) => x > ca && x < cb);
    if (between.length) {
      bounds.push(between.reduce((best, x) => (Math.abs(x - mid) < Math.abs(best - mid) ? x : best)));
      ruled.push(true);
      continue;
    }
    const inner = body.filter((w) => !(w.x0 < ca && w.x1 > cb));
    const gap = widestGap(inner, ca, cb, 0.5);
    bounds.push(gap ? (gap[0] + gap[1]) / 2 : mid);
    ruled.push(false);
  }
  bounds.push(right);
  const cols = leaves.map((l, i) => ({ x0: bounds[i]!, x1: bounds[i + 1]!, header: l.text, parent: l.parent?.text ?? '', hx: cx(l), ruled: (i === 0 || ruled[i - 1]!) && (i === leaves.length - 1 || ruled[i]!) }));
  return splitHeaderless(cols, body, vEdges);
}

/**
 * A column whose body falls apart in two along a full-height edge or empty strip
 * beside its header (a row-label column with a blank header) is two columns;
 * the new one gets no header of its own.
 */
function splitHeaderless(cols: Column[], body: Word[], vEdges: number[]): Column[] {
  const out: Column[] = [];
  const lines = toLines(body);
  for (const c of cols) {
    const inside = body.filter((w) => cx(w) > c.x0 && cx(w) < c.x1);
    const size = inside[0]?.size ?? 10;
    const edge = vEdges.find((x) => x > c.x0 + size && x < c.x1 - size);
    let cut: number | null = edge ?? null;
    if (cut === null && !c.ruled) {
      const gap = widestGap(inside, c.x0, c.x1, size * 1.0);
      if (gap && gap[0] > c.x0 + 0.5 && gap[1] < c.x1 - 0.5) {
        const at = (gap[0] + gap[1]) / 2;
        const share = (side: (w: Word) => boolean) => lines.filter((l) => l.some((w) => cx(w) > c.x0 && cx(w) < c.x1 && side(w))).length / Math.max(lines.length, 1);
        if (share((w) => cx(w) < at) >= 0.3 && share((w) => cx(w) > at) >= 0.3) cut = at;
      }
    }
    const left = inside.filter((w) => cut !== null && cx(w) < cut);
    if (cut === null || left.length === 0 || left.length === inside.length) {
      out.push(c);
      continue;
    }
    // The header stays with the side it stands over; the other side has none of its own and falls under it.
    const headerLeft = c.hx < cut;
    const inherited = c.header || c.parent;
    out.push({ ...c, x1: cut, header: headerLeft ? c.header : '', parent: headerLeft ? c.parent : inherited, hx: headerLeft ? c.hx : NaN }, { ...c, x0: cut, header: headerLeft ? '' : c.header, parent: headerLeft ? inherited : c.parent, hx: headerLeft ? NaN : c.hx });
  }
  return out;
}

/** Column index of a word (by its centre), or -1 when it straddles two columns. */
export function columnOf(w: Word, cols: Column[]): number {
  const i = cols.findIndex((c) => cx(w) >= c.x0 && cx(w) < c.x1);
  if (i < 0) return -1;
  const c = cols[i]!;
  const width = w.x1 - w.x0;
  const out = Math.max(0, c.x0 - w.x0) + Math.max(0, w.x1 - c.x1);
  return out > width * TABLE_SETTINGS.straddleShare * 2 && w.x0 < c.x0 && w.x1 > c.x1 ? -1 : i;
}

/** A line that is prose, not table: a word that runs across two or more column boundaries. */
function isProse(line: Word[], cols: Column[]): boolean {
  // Pieces of one sentence: one run's words, or runs drawn edge to edge (glyph-by-glyph fonts); cells side by side keep a gap.
  return tightPhrases(line, TABLE_SETTINGS.proseJoinEm).some((w) => cols.filter((c, i) => i > 0 && w.x0 < c.x0 - w.size * 0.5 && w.x1 > c.x0 + w.size * 0.5).length >= 2);
}

interface BodyScan {
  lines: Word[][];
  end: Segment['end'];
}

/** Lines of the body from `top` down to the first line that is not table. */
function scanBody(p: PageInput, band: HeaderBand | null, left: number, right: number, top: number, stopAt: number, cols: Column[] | null): BodyScan {
  // Below the header (a header word hanging lower than the first row's top does not hide that row).
  const header = new Set(band?.words ?? []);
  const keep = (w: Word) => !header.has(w) && (band ? cy(w) > band.top + (band.bottom - band.top) / 2 : w.top >= top - 0.5) && w.bottom <= stopAt + 0.5;
  // Lines kept whole stay the same arrays (their texts are remembered).
  const lines = linesIn(p, left, right)
    .map((l) => {
      const kept = l.filter(keep);
      return kept.length === l.length ? l : kept;
    })
    .filter((l) => l.length > 0);
  const out: Word[][] = [];
  let prevBottom = top;
  const pitches: number[] = [];
  for (const line of lines) {
    const size = Math.max(...line.map((w) => w.size));
    const lineTop = Math.min(...line.map((w) => w.top));
    const typical = pitches.length ? [...pitches].sort((a, b) => a - b)[Math.floor(pitches.length / 2)]! : size * 2;
    if (isStopLine(lineText(line)) || opensOtherTable(lineText(line)) || (out.length > 0 && isHeaderLine(line))) return { lines: out, end: 'stop' };
    // A long gap ends the table, unless what follows it is more rows of the same columns (a tall row, a spacer
    // before a page break, a row-spanning cell centred lower down): all its lines fit, and one spans two columns.
    const fits = (l: Word[]) => cols !== null && !isProse(l, cols) && !isStopLine(lineText(l)) && l.every((w) => columnOf(w, cols) >= 0);
    const rowsFollow = () => {
      const block = lines.slice(lines.indexOf(line), lines.indexOf(line) + 4);
      return block.every(fits) && block.some((l) => new Set(l.map((w) => columnOf(w, cols!))).size >= 2);
    };
    if (out.length > 0 && lineTop - prevBottom > Math.max(typical * TABLE_SETTINGS.maxRowGapPitches, size * TABLE_SETTINGS.minEndGap) && !rowsFollow()) {
      const rest = lines.slice(lines.indexOf(line));
      return { lines: out, end: rest.every((l) => l.every((w) => w.top > p.height * 0.9)) ? 'page' : 'gap' };
    }
    if (cols && isProse(line, cols)) return { lines: out, end: 'prose' };
    if (out.length) pitches.push(lineTop - Math.min(...out.at(-1)!.map((w) => w.top)));
    out.push(line);
    prevBottom = Math.max(...line.map((w) => w.bottom));
  }
  return { lines: out, end: stopAt < p.height - 1 ? 'table' : 'page' };
}

/** One segment: body lines, columns (computed twice: from the raw body, then from the body cut at prose). */
function buildSegment(p: PageInput, band: HeaderBand | null, leaves: HeaderCell[], left: number, right: number, top: number, stopAt: number): Segment | null {
  let scan = scanBody(p, band, left, right, top, stopAt, null);
  if (scan.lines.length === 0) return null;
  const bottomOf = (ls: Word[][]) => Math.max(...ls.flat().map((w) => w.bottom));
  let cols = columnsFor(leaves, scan.lines.flat(), p.edges, left, right, top, bottomOf(scan.lines));
  // Second pass with the columns: prose ends the body, a tall row does not.
  const second = scanBody(p, band, left, right, top, stopAt, cols);
  if (second.lines.length === 0) return null;
  if (second.lines.length !== scan.lines.length) cols = columnsFor(leaves, second.lines.flat(), p.edges, left, right, top, bottomOf(second.lines));
  scan = second;
  return placeWords({ page: p.page, top, bottom: bottomOf(scan.lines), left, right, columns: cols, words: [], stray: [], edges: p.edges, header: band, leaves, end: scan.end }, scan.lines.flat());
}

/** Put each word of a segment in its column, or among the stray words when it straddles two. */
function placeWords(seg: Segment, words: Word[]): Segment {
  const placed: Segment['words'] = [];
  const stray: Word[] = [];
  for (const w of words) {
    const col = columnOf(w, seg.columns);
    if (col < 0) stray.push(w);
    else placed.push({ ...w, col });
  }
  return { ...seg, words: placed, stray };
}

/** Same header geometry (one template): leaves with the same texts at the same places. */
function templateKey(leaves: HeaderCell[]): string {
  return leaves.map((l) => `${l.text.replace(/\s+/gu, '')}@${Math.round(cx(l) / 4)}`).join('|');
}

/**
 * Column boundaries decided once per table template: every segment whose header
 * has the same cells at the same places pools its body words, so a boundary
 * rests on all the values of the report, not on one page's few (a column of
 * dashes alone cannot tell where a right-aligned column ends).
 */
export function refineColumns(segments: Segment[]): Segment[] {
  const pools = new Map<string, Word[]>();
  for (const s of segments) {
    const k = templateKey(s.leaves);
    pools.set(k, [...(pools.get(k) ?? []), ...s.words]);
  }
  return segments.map((s) => {
    const pooled = pools.get(templateKey(s.leaves))!;
    const own: Word[] = [...s.words, ...s.stray].map(({ text, x0, x1, top, bottom, size, page, run }) => ({ text, x0, x1, top, bottom, size, page, run }));
    const columns = columnsFor(s.leaves, pooled, s.edges, s.left, s.right, s.top, s.bottom);
    return placeWords({ ...s, columns }, own);
  });
}

/**
 * The table's own left and right edges: the outer vertical edges that run down
 * beside its header, when it is drawn with them; else its reading column.
 */
export function tableBounds(band: HeaderBand, edges: Edge[]): [number, number] {
  const leaves = band.leaves;
  const spans = (e: Edge) => e.dir === 'v' && e.from <= band.top + 2 && e.to >= band.bottom - 2;
  const lefts = edges.filter((e) => spans(e) && e.at >= band.colLeft && e.at < Math.min(...leaves.map((l) => l.x0))).map((e) => e.at);
  const rights = edges.filter((e) => spans(e) && e.at <= band.colRight && e.at > Math.max(...leaves.map((l) => l.x1))).map((e) => e.at);
  return [lefts.length ? Math.min(...lefts) - 1 : band.colLeft, rights.length ? Math.max(...rights) + 1 : band.colRight];
}

/** Where the next table (any header band) starts below `top` on the page and column, else the page bottom. */
function nextTableTop(bands: HeaderBand[], page: number, left: number, top: number, height: number): number {
  const below = bands.filter((b) => b.page === page && b.colLeft === left && b.top > top + 1).map((b) => b.top);
  return below.length ? Math.min(...below) : height;
}

/**
 * Trace a table from its header band over as many pages as it runs.
 * `kindBands` are the header bands of this table kind (a repeated header on a
 * continuation page is one of them); `allBands` are every table's bands.
 */
export function traceTable(start: HeaderBand, pages: PageInput[], kindBands: HeaderBand[], allBands: HeaderBand[]): { segments: Segment[]; usedBands: HeaderBand[] } {
  const segments: Segment[] = [];
  const used = [start];
  let page = pages.find((p) => p.page === start.page)!;
  let leaves = start.leaves;
  const [l0, r0] = tableBounds(start, page.edges);
  let seg = buildSegment(page, start, leaves, l0, r0, start.bottom + 0.5, nextTableTop(allBands, page.page, start.colLeft, start.bottom, page.height));
  // A header at the foot of a page with its rows on the next: an empty segment that runs to the page end.
  let prevCols: Column[] | null = null;
  if (!seg && start.bottom > page.height * (1 - TABLE_SETTINGS.continuationTopShare)) prevCols = columnsFor(leaves, [], page.edges, start.colLeft, start.colRight, start.bottom, page.height);
  while (seg || prevCols) {
    if (seg) segments.push(seg);
    if (seg && seg.end !== 'page') break;
    const next = pages.find((p) => p.page === page.page + 1);
    if (!next) break;
    // The table goes on at the top of the next page's first reading column (or the next column of this page).
    const repeated = kindBands.find((b) => b.page === next.page && b.top < next.height * TABLE_SETTINGS.continuationTopShare && !allBands.some((o) => o.page === next.page && o.top < b.top && o.colLeft === b.colLeft));
    page = next;
    if (repeated) {
      used.push(repeated);
      leaves = repeated.leaves;
      const [l1, r1] = tableBounds(repeated, next.edges);
      seg = buildSegment(next, repeated, leaves, l1, r1, repeated.bottom + 0.5, nextTableTop(allBands, next.page, repeated.colLeft, repeated.bottom, next.height));
      continue;
    }
    // The table goes on at the same width (a page of the same format); a reading column narrower than it does not cut it.
    const { left, right } = segments.at(-1) ?? { left: l0, right: r0 };
    const firstTop = continuationTop(next, left, right, seg ? seg.columns : prevCols!);
    prevCols = null;
    if (firstTop === null) break;
    seg = buildSegment(next, null, leaves, left, right, firstTop, nextTableTop(allBands, next.page, left, firstTop - 1, next.height));
  }
  return { segments, usedBands: used };
}

/** Top of a headerless continuation: the first line near the page top that fits the previous columns (running headers do not). */
function continuationTop(p: PageInput, left: number, right: number, cols: Column[]): number | null {
  const lines = linesIn(p, left, right).filter((l) => Math.min(...l.map((w) => w.top)) < p.height * TABLE_SETTINGS.continuationTopShare);
  for (const line of lines) {
    // Another table's header (a separate 達成見込み table) is not this table going on.
    if (isStopLine(lineText(line)) || opensOtherTable(lineText(line)) || isHeaderLine(line)) return null;
    if (isProse(line, cols)) continue;
    // A running header: one short line far right or far left, alone above a gap, is skipped when it straddles nothing but sits above every column but one.
    const used = new Set(line.map((w) => columnOf(w, cols)).filter((c) => c >= 0));
    if (line.length === 1 && used.size === 1 && line[0]!.x1 - line[0]!.x0 > (cols.at(-1)!.x1 - cols[0]!.x0) * 0.4) continue;
    return Math.min(...line.map((w) => w.top)) - 0.5;
  }
  return null;
}

