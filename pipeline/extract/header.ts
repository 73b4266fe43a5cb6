/**
 * Stage 3a — where a table starts: header bands. A header band is the line
 * holding the vocabulary's key word (実績, KPI) grown by the wrapped or stacked
 * header lines just above and below it, and its header cells: words of one
 * line joined into phrases, phrases of stacked lines joined when they overlap,
 * and a cell spanning two or more cells below it (H28年度の進捗状況 over
 * ○ △ × -) kept as their parent. The leaves, left to right, are the columns.
 */
import type { Edge } from './edges.js';
import { TABLE_SETTINGS } from './settings.js';
import { leadingCircled } from './text.js';
import { isHeading, isStopLine, OUTLOOK_SYMBOLS, PROGRESS_GLYPHS, rowLabelOf } from './vocabulary.js';
import { bbox, cx, cy, lineText, tightPhrases, toLines, type Word } from './words.js';

export const YEAR_LABEL_RE = /^(?:H|平成)\s*(\d{1,2}|元)(?:年度?)?$|^(?:R|令和)\s*(\d{1,2}|元)(?:年度?)?$|^(20\d{2})(?:年度?)?$/u;
/** A year label at the start of a text (the label may be followed by more text in the same cell). */
export const YEAR_LABEL_START_RE = /^(?:(?:H|平成)\s*(?:\d{1,2}|元)|(?:R|令和)\s*(?:\d{1,2}|元)|20\d{2})(?:年度|年)?/u;

/** A fiscal-year label of a plausible plan year (H3 is the wrapped end of "H31", not 1991). */
export function isYearLabel(text: string): boolean {
  const y = yearNumber(text);
  return y >= TABLE_SETTINGS.firstPlanYear && y <= TABLE_SETTINGS.lastPlanYear;
}

/** Western fiscal year of a label (H27 → 2015, 令和元年度 → 2019, 2015年度 → 2015), NaN if it is none. */
export function yearNumber(label: string): number {
  const m = YEAR_LABEL_RE.exec(label.replace(/\s+/gu, ''));
  if (!m) return NaN;
  if (m[3] !== undefined) return Number(m[3]);
  const heisei = m[1] !== undefined;
  const n = (heisei ? m[1] : m[2]) === '元' ? 1 : Number(heisei ? m[1] : m[2]);
  return heisei ? 1988 + n : 2018 + n;
}

export interface HeaderCell {
  text: string;
  x0: number;
  x1: number;
  top: number;
  bottom: number;
  /** The spanning cell above this one, if any. */
  parent: HeaderCell | null;
}

export interface HeaderBand {
  page: number;
  top: number;
  bottom: number;
  /** Horizontal extent of the reading column the table sits in. */
  colLeft: number;
  colRight: number;
  words: Word[];
  /** Leaf cells, left to right. */
  leaves: HeaderCell[];
  /** All header text, cells joined by |, for vocabulary checks. */
  text: string;
}

const HEADER_WORD = /目標|基準|実績|年度|進捗|評価|見込|KPI|施策|方向|達成|指標|項目/u;

/**
 * A line that is a data row rather than header: a circled number, or (in a
 * table whose rows are years) one year label beside other cells.
 */
function isDataLine(line: Word[], yearRows: boolean): boolean {
  if (line.some((w) => leadingCircled(w.text) !== null)) return true;
  // Counts by symbol ("○ 8", "A 9", "-1"): the values of a KPI row.
  if (new RegExp(`(?:^|\\s)[${PROGRESS_GLYPHS}${OUTLOOK_SYMBOLS.join('')}]\\s*\\d+(?:[\\s,、]|$)`, 'u').test(lineText(line))) return true;
  if (!yearRows) return false;
  const ps = tightPhrases(line).map((p) => p.text);
  const years = ps.filter(isYearLabel).length;
  // Arrows and brackets alone (the ⇒ of a wrapped 基準値⇒H31目標値) are neither header nor value.
  // Other cells of a data row: a value (digits, a dash, a symbol) or a text of three or more characters;
  // one or two stray characters (目, 値→) are the wrapped pieces of a header cell.
  const value = new RegExp(`\\d|^[${PROGRESS_GLYPHS}]$`, 'u');
  const others = ps.filter((t) => !isYearLabel(t) && !HEADER_WORD.test(t) && !/^[→⇒▼↓()（）・]+$/u.test(t) && (value.test(t) || [...t].length >= 3)).length;
  return years === 1 && others > 0;
}

/** A line that can belong to a header band: short labels, no values, no prose. */
function isHeaderLike(line: Word[], yearRows: boolean, below = false): boolean {
  const text = lineText(line);
  // Under the key line a lone 数値目標 is a bottom-aligned header cell, not a heading.
  if ((below ? isStopLine(text) && !isHeading(text) : isStopLine(text)) || isDataLine(line, yearRows)) return false;
  if (line.some((w) => w.x1 - w.x0 > w.size * TABLE_SETTINGS.headerMaxWordEm)) return false;
  // A line of arrows alone is the ▼ of a baseline → target cell, the body's first row.
  if (/^[▼▲↓⇒→\s]+$/u.test(text)) return false;
  // A bare one- or two-digit piece is a wrapped year ("H" / "31目標値").
  return tightPhrases(line)
    .map((p) => p.text.replace(/^[→⇒▼↓()（）・]+/u, ''))
    .every((t) => !/\d/u.test(t) || /^\d{1,2}$/u.test(t) || YEAR_LABEL_START_RE.test(t) || HEADER_WORD.test(t));
}

const overlaps = (a: { x0: number; x1: number }, b: { x0: number; x1: number }, slack = 0) => Math.min(a.x1, b.x1) - Math.max(a.x0, b.x0) > -slack;

/** Grow the key line into a band with the header-like lines stacked right above and below it. */
function growBand(lines: Word[][], i: number, yearRows: boolean, edges: Edge[]): Word[][] {
  const band = [lines[i]!];
  const size = Math.max(...lines[i]!.map((w) => w.size));
  const maxGap = size * TABLE_SETTINGS.headerLineGap;
  const bandBox = () => bbox(band.flat());
  // A rule across the band between it and a line: the line is in another row (the first data row).
  const ruledOff = (a: number, b: number) => {
    const box = bandBox();
    const w = box.x1 - box.x0;
    return edges.some((e) => e.dir === 'h' && e.at > a && e.at < b && e.from <= box.x0 + w * 0.3 && e.to >= box.x1 - w * 0.3);
  };
  // The first row's year label (top-aligned, wrapped: "H27年" / "度") stands under the 年度 cell.
  const underYearCell = (l: Word[]) => {
    if (!yearRows) return false;
    const yearCells = band.flatMap((b) => tightPhrases(b)).filter((p) => /^(年度|年)$/u.test(p.text));
    return yearCells.some((c) => {
      const under = l.filter((w) => overlaps(c, w));
      const text = under.map((w) => w.text).join('');
      const m = YEAR_LABEL_START_RE.exec(text);
      return m !== null && !/[目基]/u.test(text);
    });
  };
  // Under a header of year columns, a row label standing alone (目標値, 実績値, 進捗度) starts the body.
  const yearColumns = () => band.flatMap((b) => tightPhrases(b)).filter((p) => isYearLabel(p.text)).length >= 2;
  const rowLabelLine = (l: Word[]) => tightPhrases(l).some((p) => rowLabelOf(p.text) !== null && /^(目標値?|実績値?|進捗度?|達成度)$/u.test(p.text));
  // Down first: a wrapped cell's lower line gives the line above it something to stand over.
  for (let j = i + 1, n = 0; j < lines.length && n < TABLE_SETTINGS.headerMaxLines; j++, n++) {
    const l = lines[j]!;
    const top = Math.min(...l.map((w) => w.top));
    if (underYearCell(l) || (yearColumns() && rowLabelLine(l))) break;
    if (top - bandBox().bottom > size * TABLE_SETTINGS.headerGapBelow || !isHeaderLike(l, yearRows, true) || ruledOff(bandBox().bottom - 1, top + 1)) break;
    band.push(l);
  }
  for (let j = i - 1, n = 0; j >= 0 && n < TABLE_SETTINGS.headerMaxLines; j--, n++) {
    const l = lines[j]!;
    const bottom = Math.max(...l.map((w) => w.bottom));
    if (bandBox().top - bottom > maxGap || !isHeaderLike(l, yearRows) || ruledOff(bottom - 1, bandBox().top + 1)) break;
    // Stacked over the band's cells (a phrase over one of them, none far outside), not a heading beside it.
    const ps = tightPhrases(l);
    const over = ps.filter((w) => band.flat().some((b) => overlaps(w, b, size))).length;
    if (over === 0 || Math.min(...l.map((w) => w.x0)) < bandBox().x0 - size * 2) break;
    band.unshift(l);
  }
  return band;
}

type RoleOf = (text: string) => string | null;

/**
 * Phrases of one line: words cut from one text run, or closer than `phraseGap`
 * em, with no vertical edge between them — unless joining would hide a header
 * role the word has on its own (目標値 beside 実績値 stays two cells).
 */
function phrases(line: Word[], edges: Edge[], role: RoleOf): Array<{ words: Word[]; x0: number; x1: number; top: number; bottom: number }> {
  const out: Array<{ words: Word[]; x0: number; x1: number; top: number; bottom: number }> = [];
  for (const w of line) {
    const p = out.at(-1);
    // A rule between the two words' centres parts them (text may overflow its cell a little).
    const last = p?.words.at(-1);
    const edgeBetween = last && edges.some((e) => e.dir === 'v' && e.at > cx(last) && e.at < cx(w) && e.from < w.bottom && e.to > w.top);
    const pText = p ? lineText(p.words) : '';
    // An arrow joins what stands on its two sides (基準値→ H31目標値 is one cell).
    const arrow = /[→⇒]$/u.test(pText) || /^[→⇒]/u.test(w.text);
    const hides = p && !arrow && role(w.text) !== null && role(pText) !== null;
    // Year labels side by side are year columns, never one cell.
    const twoYears = p && isYearLabel(w.text) && p.words.some((x) => isYearLabel(x.text));
    const sameRun = p && p.words.at(-1)!.run === w.run;
    if (p && !edgeBetween && !twoYears && (sameRun || (w.x0 - p.x1 < w.size * TABLE_SETTINGS.phraseGap && !hides))) {
      p.words.push(w);
      p.x1 = Math.max(p.x1, w.x1);
      p.top = Math.min(p.top, w.top);
      p.bottom = Math.max(p.bottom, w.bottom);
    } else out.push({ words: [w], x0: w.x0, x1: w.x1, top: w.top, bottom: w.bottom });
  }
  return out;
}

/**
 * Header cells of a band: phrases stacked in overlapping columns join into one
 * cell (a wrapped header), unless one of them spans two or more phrases of the
 * other line — then it is their parent.
 */
export function headerCells(band: Word[][], edges: Edge[], role: RoleOf = () => null): HeaderCell[] {
  type P = ReturnType<typeof phrases>[number] & { cell: number };
  const rows = band.map((l) => phrases(l, edges, role) as P[]);
  const cells: P[][] = [];
  const hEdgeBetween = (a: P, b: P) => edges.some((e) => e.dir === 'h' && e.at > a.bottom - 0.5 && e.at < b.top + 0.5 && e.from < Math.min(a.x1, b.x1) && e.to > Math.max(a.x0, b.x0));
  const spans = (p: P, row: P[] | undefined) => (row ?? []).filter((q) => overlaps(p, q)).length >= 2;
  rows.forEach((row, i) => {
    for (const p of row) {
      // The nearest line above with a phrase over this one (a centred cell of a two-line header sits between).
      let j = i - 1;
      while (j >= 0 && !rows[j]!.some((q) => overlaps(p, q))) j--;
      const above = j >= 0 ? rows[j]!.filter((q) => overlaps(p, q)) : [];
      const up = above[0];
      // A cell that (with all its stacked parts) spans two or more phrases of this line is their parent, not their top.
      const upCell = up ? cells[up.cell]! : [];
      const upBox = { x0: Math.min(...upCell.map((q) => q.x0)), x1: Math.max(...upCell.map((q) => q.x1)) };
      const upSpans = row.filter((q) => overlaps(upBox, q)).length >= 2;
      const join = above.length === 1 && up && !spans(p, rows[i + 1]) && !upSpans && !hEdgeBetween(up, p);
      p.cell = join ? up.cell : cells.length;
      if (join) cells[p.cell]!.push(p);
      else cells.push([p]);
    }
  });
  const built: HeaderCell[] = cells.map((parts) => {
    const words = parts.flatMap((p) => p.words);
    return { text: toLines(words).map(lineText).join(''), ...bbox(words), parent: null };
  });
  // A cell is a parent when two or more cells side by side sit under it (H28年度の進捗状況 over ○ △ × -).
  const under = (p: HeaderCell, c: HeaderCell) => c !== p && c.top >= p.bottom - 1 && cx(c) >= p.x0 - 1 && cx(c) <= p.x1 + 1;
  const isParent = built.map((p) => {
    const kids = built.filter((c) => under(p, c));
    return kids.some((a) => kids.some((b) => a !== b && !overlaps(a, b)));
  });
  for (const cell of built) {
    const parents = built.filter((p, j) => isParent[j] && under(p, cell));
    cell.parent = parents.sort((a, b) => b.bottom - a.bottom)[0] ?? null;
  }
  return built;
}

/** Leaves: cells no other cell hangs under, left to right. */
export function headerLeaves(cells: HeaderCell[]): HeaderCell[] {
  return cells.filter((c) => !cells.some((d) => d.parent === c)).sort((a, b) => cx(a) - cx(b));
}

/** Reading-column bounds of a page at x. */
export function readingColumn(gutters: number[], width: number, x: number): [number, number] {
  const edges = [0, ...gutters, width];
  for (let i = 0; i < edges.length - 1; i++) if (x >= edges[i]! && x < edges[i + 1]!) return [edges[i]!, edges[i + 1]!];
  return [0, width];
}

export interface PageInput {
  page: number;
  width: number;
  height: number;
  words: Word[];
  edges: Edge[];
  gutters: number[];
}

/** Words of a page inside one reading column. */
export function wordsIn(p: PageInput, left: number, right: number): Word[] {
  return p.words.filter((w) => cx(w) >= left && cx(w) < right);
}

const LINES = new WeakMap<PageInput, Map<string, Word[][]>>();
/** Lines of the words of a page between two x positions (computed once per page and extent). */
export function linesIn(p: PageInput, left: number, right: number): Word[][] {
  let m = LINES.get(p);
  if (!m) LINES.set(p, (m = new Map()));
  const k = `${left}:${right}`;
  let lines = m.get(k);
  if (!lines) m.set(k, (lines = toLines(wordsIn(p, left, right))));
  return lines;
}

/**
 * The horizontal extent of a table whose header line starts in reading column
 * `c`: the column, widened over each gutter the header line runs across (a wide
 * table on a page whose text is otherwise set in two columns).
 */
function tableExtent(p: PageInput, bounds: number[], c: number, line: Word[]): [number, number] {
  const y = cy(line[0]!);
  const size = line[0]!.size;
  // The header zone: the key line and a header row's height around it (stacked and centred header cells).
  const inZone = (w: Word) => Math.abs(cy(w) - y) < size * TABLE_SETTINGS.headerLineGap * 1.5;
  const zone = (lo: number, hi: number) => p.words.filter((w) => inZone(w) && cx(w) >= bounds[lo]! && cx(w) < bounds[hi]!);
  let left = c;
  let right = c + 1;
  // Only a header line widens (a heading or prose beside a table never does).
  if (!isHeaderLike(line, true) || !line.some((w) => HEADER_WORD.test(w.text))) return [bounds[left]!, bounds[right]!];
  while (right < bounds.length - 1) {
    // Rightwards over header cells in the header's zone (a wide table's columns past a false gutter).
    const beyond = zone(right, right + 1);
    const gap = Math.min(...beyond.map((w) => w.x0)) - Math.max(...line.map((w) => w.x1));
    if (beyond.length === 0 || gap > size * TABLE_SETTINGS.headerMaxWordEm || !beyond.some((w) => HEADER_WORD.test(w.text) || /^[A-C○〇△×\-—ー－]$/u.test(w.text))) break;
    right++;
  }
  // Leftwards only over header cells on the key line itself (the text column beside a table is prose).
  while (left > 0) {
    const before = p.words.filter((w) => Math.abs(cy(w) - y) < size * TABLE_SETTINGS.lineTolerance && cx(w) >= bounds[left - 1]! && cx(w) < bounds[left]!);
    const gap = Math.min(...line.map((w) => w.x0)) - Math.max(...before.map((w) => w.x1));
    if (before.length === 0 || gap > size * 3 || !before.some((w) => HEADER_WORD.test(w.text)) || !isHeaderLike(toLines(before)[0]!, true)) break;
    left--;
  }
  return [bounds[left]!, bounds[right]!];
}

/** Every header band of a kind on the pages, top to bottom. */
export function findHeaderBands(pages: PageInput[], key: RegExp, also: RegExp[], role: RoleOf = () => null, yearRows = true): HeaderBand[] {
  const out: HeaderBand[] = [];
  for (const p of pages) {
    const bounds = [0, ...p.gutters, p.width];
    // Only lines whose text (across the whole page) holds the key can head a table.
    for (const pageLine of linesIn(p, 0, p.width).filter((l) => key.test(lineText(l).replace(/\s+/gu, '')))) {
      for (let c = 0; c < bounds.length - 1; c++) {
        const first = pageLine.filter((w) => cx(w) >= bounds[c]! && cx(w) < bounds[c + 1]!);
        if (first.length === 0 || out.some((b) => b.page === p.page && b.words.includes(first[0]!))) continue;
        // The key is tested on the line as wide as the table it heads (a header may run across a gutter).
        const [colLeft, colRight] = tableExtent(p, bounds, c, first);
        const lines = linesIn(p, colLeft, colRight);
        const i = lines.findIndex((l) => l.includes(first[0]!));
        const line = lines[i]!;
        if (!key.test(lineText(line).replace(/\s+/gu, '')) || !isHeaderLike(line, yearRows)) continue;
        const band = growBand(lines, i, yearRows, p.edges);
        const words = band.flat();
        const cells = headerCells(band, p.edges, role);
        const text = cells.map((x) => x.text.replace(/\s+/gu, '')).join('|');
        if (!also.every((re) => re.test(text)) || cells.length < 3) continue;
        const bb = bbox(words);
        out.push({ page: p.page, top: bb.top, bottom: bb.bottom, colLeft, colRight, words, leaves: headerLeaves(cells), text });
      }
    }
  }
  return out.sort((a, b) => a.page - b.page || a.top - b.top);
}


/** A line of two or more whole header cells and no values: the header of another table met inside a body. */
export function isHeaderLine(line: Word[]): boolean {
  const ps = tightPhrases(line).map((p) => p.text);
  const pure = /^(数値目標|指標名?|基準値([→⇒].*)?|年度|目標値?|実績値?|進捗度?|評価|施策の基本的方向|KPI数?|目標年度.*|.*(達成見込み?|進捗状況|進捗度))$/u;
  return ps.filter((t) => pure.test(t)).length >= 2 && isHeaderLike(line, false);
}

/** Whole header cells and the pieces a wrapped header cell leaves on a line (進捗 / 度, 評 / 価, 基準値→). */
const HEADER_PIECE = /^(数値目標|指標名?|基準値.*|年度|目標値?|実績値?|進捗度?|捗度|進|評価?|評|価|度|値|施策.*|KPI.*|目標年度.*|.*達成見込み?|.*進捗状況|.*進捗度|(H|R|平成|令和)\d+(年度)?目標値?)$/u;

/** A line holding a table header cell or a piece of one (a header repeated on each page is content, not furniture). */
export function hasHeaderPiece(line: Word[]): boolean {
  // A bare 年度 is left out: running titles print 平成 28 年度 in pieces.
  return tightPhrases(line).some((p) => p.text !== '年度' && HEADER_PIECE.test(p.text));
}
