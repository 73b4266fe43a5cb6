/**
 * Stage 4a — rows from a key column. A table's logical rows are anchored on
 * the cells of one column (a year label, a row label, a circled number); each
 * anchor owns the band from the boundary above it to the boundary below it.
 * A boundary is a horizontal edge between two anchors when there is one, else
 * the middle of the space between them. Words above the first anchor of a
 * continuation page belong to the row the previous page ended with.
 */
import { rowEdgesBetween } from './edges.js';
import type { Segment } from './grid.js';
import { TABLE_SETTINGS } from './settings.js';
import { cellText, cy, lineText, toLines, type Word } from './words.js';

export interface Anchor {
  seg: number;
  page: number;
  /** Text of the anchor's line in the key column. */
  text: string;
  top: number;
  bottom: number;
}

export interface Band {
  seg: number;
  page: number;
  top: number;
  bottom: number;
}

/**
 * Lines of a key column gathered into its cells' texts: a line joins the one
 * above when they are close, no rule parts them, and they are not two labels
 * (平成 / 27 / 年度 wrapped in a narrow column is one label; H27 over H28 is two).
 */
function keyCells(seg: Segment, k: number, test: (text: string) => boolean): Word[][][] {
  const groups: Word[][][] = [];
  const joined = (g: Word[][]) => g.map(lineText).join('');
  for (const line of toLines(seg.words.filter((w) => w.col === k))) {
    const g = groups.at(-1);
    const last = g?.at(-1);
    const top = Math.min(...line.map((w) => w.top));
    const close = last && top - Math.max(...last.map((w) => w.bottom)) < line[0]!.size * TABLE_SETTINGS.paragraphGap;
    const ruled = last && rowEdgesBetween(seg.edges, Math.max(...last.map((w) => w.bottom)) - 0.5, top + 0.5, seg.columns[k]!.x0, seg.columns[k]!.x1).length > 0;
    if (g && close && !ruled && !(test(joined(g)) && test(lineText(line)))) g.push(line);
    else groups.push([line]);
  }
  return groups;
}

/** Cells of the key column whose text passes `test`, in reading order over all segments. */
export function findAnchors(segments: Segment[], keyCol: (seg: Segment) => number, test: (text: string) => boolean): Anchor[] {
  const out: Anchor[] = [];
  const cells = segments.map((seg) => (keyCol(seg) < 0 ? [] : keyCells(seg, keyCol(seg), test)));
  segments.forEach((seg, s) => {
    cells[s]!.forEach((cell, i) => {
      let text = cell.map(lineText).join('');
      // A label cut by a page break (平成3 / 1年度) is whole with the first piece of the next page.
      const next = cells[s + 1]?.[0];
      if (!test(text) && i === cells[s]!.length - 1 && next && test(text + next.map(lineText).join(''))) text += next.map(lineText).join('');
      const words = cell.flat();
      if (test(text)) out.push({ seg: s, page: seg.page, text, top: Math.min(...words.map((w) => w.top)), bottom: Math.max(...words.map((w) => w.bottom)) });
    });
  });
  return out;
}

/** The band of each anchor. `x0`/`x1` is the key column, across which a row edge must run. */
export function anchorBands(segments: Segment[], anchors: Anchor[], keyCol: (seg: Segment) => number): Band[] {
  return anchors.map((a, i) => {
    const seg = segments[a.seg]!;
    const col = seg.columns[keyCol(seg)] ?? { x0: seg.left, x1: seg.right };
    const prev = anchors[i - 1];
    const next = anchors[i + 1];
    const boundary = (upper: Anchor, lower: Anchor) => {
      const edges = rowEdgesBetween(seg.edges, upper.bottom - 0.5, lower.top + 0.5, col.x0, col.x1);
      const mid = (upper.bottom + lower.top) / 2;
      return edges.length ? edges.reduce((b, y) => (Math.abs(y - mid) < Math.abs(b - mid) ? y : b)) : mid;
    };
    // The first row of a continuation page starts at the last rule above it: what sits higher is the tail of the row the page break cut.
    const firstTop = () => {
      if (!prev) return seg.top - 0.5;
      const edges = rowEdgesBetween(seg.edges, seg.top, a.top + 0.5, col.x0, col.x1);
      return edges.length ? edges.at(-1)! : seg.top - 0.5;
    };
    const top = prev && prev.seg === a.seg ? boundary(prev, a) : firstTop();
    const bottom = next && next.seg === a.seg ? boundary(a, next) : seg.bottom + 0.5;
    return { seg: a.seg, page: a.page, top, bottom };
  });
}

/** Index of the band a word of segment `s` falls in; words above a segment's first band go to the band before it (a row cut by a page break). */
const BAND_OF = new WeakMap<Band[], Map<Word, number>>();

export function bandOf(bands: Band[], s: number, w: Word): number {
  let memo = BAND_OF.get(bands);
  if (!memo) BAND_OF.set(bands, (memo = new Map()));
  let i = memo.get(w);
  if (i === undefined) memo.set(w, (i = findBand(bands, s, w)));
  return i;
}

function findBand(bands: Band[], s: number, w: Word): number {
  const y = cy(w);
  const i = bands.findIndex((b) => b.seg === s && y >= b.top && y < b.bottom);
  if (i >= 0) return i;
  const first = bands.findIndex((b) => b.seg === s);
  if (first > 0 && y < bands[first]!.top) return first - 1;
  if (first === 0 && y < bands[0]!.top) return 0;
  // Below the last band of the segment: the last band.
  for (let k = bands.length - 1; k >= 0; k--) if (bands[k]!.seg === s) return k;
  return -1;
}

/**
 * A line that cannot stand as a value on its own: the tail of a value wrapped
 * in its cell (上, 以上, 人/年, (集計中) after a number on the line before).
 */
export function isFragment(line: string): boolean {
  const t = line.replace(/\s+/gu, '');
  if (t === '' || /\d/u.test(t) || [...t].length > TABLE_SETTINGS.maxFragmentChars) return false;
  return !/^[-—―ー－‐−○〇△×]$|^(集計中|調査中|未定|なし|―|—)$/u.test(t);
}

/**
 * Hand a value cell's leading fragment line to the cell above when it sits
 * right under that cell's last line (top-aligned cells whose wrapped line
 * crossed into the next row's band).
 */
export function repairFragments(cells: Word[][]): Word[][] {
  const out = cells.map((c) => [...c]);
  for (let i = 1; i < out.length; i++) {
    const lines = toLines(out[i]!);
    const first = lines[0];
    const above = out[i - 1]!;
    // Only the tail of a number wraps this way (16,507人以 / 上); a text value above keeps its own lines.
    if (!first || above.length === 0 || !isFragment(lineText(first)) || !/\d/u.test(cellText(above))) continue;
    const aboveBottom = Math.max(...above.map((w) => w.bottom));
    const size = first[0]!.size;
    if (first[0]!.page !== above[0]!.page || Math.min(...first.map((w) => w.top)) - aboveBottom > size * TABLE_SETTINGS.paragraphGap) continue;
    out[i - 1] = [...above, ...first];
    out[i] = out[i]!.filter((w) => !first.includes(w));
  }
  return out;
}

/** The key column of each segment: among the columns `candidates` gives, the one with the most anchor lines. */
export function keyColumn(candidates: (seg: Segment) => number[], test: (text: string) => boolean): (seg: Segment) => number {
  const memo = new Map<Segment, number>();
  return (seg) => {
    if (!memo.has(seg)) {
      const hits = candidates(seg).map((k) => ({ k, n: toLines(seg.words.filter((w) => w.col === k)).filter((l) => test(lineText(l))).length }));
      hits.sort((a, b) => b.n - a.n);
      memo.set(seg, hits[0] && hits[0].n > 0 ? hits[0].k : (hits[0]?.k ?? -1));
    }
    return memo.get(seg)!;
  };
}
