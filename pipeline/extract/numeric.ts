/**
 * Stage 4b — semantic mapping of a numeric-target (数値目標) table. Column roles
 * come from the vocabulary; the orientation from the header: one column per
 * fiscal year (years as columns, rows 目標値 / 実績値 / 進捗度 per indicator) or
 * one 年度 column (years as rows). Indicators are blocks of rows: a block ends
 * where the year sequence (or the row-label sequence) starts again, so a block
 * cut by a page break, or whose name cell was sliced across it, stays whole.
 * Name, baseline→target and grade span their block; when each row repeats
 * them (fill-down) they are read once.
 */
import type { Segment } from './grid.js';
import { isYearLabel, YEAR_LABEL_START_RE, yearNumber } from './header.js';
import { anchorBands, bandOf, findAnchors, keyColumn, repairFragments, type Anchor, type Band } from './rows.js';
import type { ExtractedNumericTable, HeaderColumn, NumericTableRow, Region } from './table-types.js';
import { NUMERIC, roleOf, rowLabelOf, type NumericRole, type RowLabel } from './vocabulary.js';
import { cellText, type Word } from './words.js';

type Role = NumericRole | 'yearColumn' | null;

/** The role of each column of a segment: the leaf's header, else its parent's, else a year label as header. */
export function columnRoles(seg: Segment): Role[] {
  return seg.columns.map((c) => {
    if (c.header && isYearLabel(c.header)) return 'yearColumn';
    const own = c.header ? roleOf(NUMERIC, c.header) : null;
    if (own) return own;
    if (!c.header && seg.words.some((w) => seg.columns[w.col] === c && rowLabelOf(w.text))) return 'rowLabel';
    return c.parent ? roleOf(NUMERIC, c.parent) : null;
  });
}

const SPANNING = new Set<Role>(['name', 'baseline', 'grade']);

interface Ctx {
  segments: Segment[];
  roles: Role[][];
  issues: string[];
}

/** The key column of a role: of the columns with that role, the one whose lines pass `test` most often. */
const colWith = (ctx: Ctx, role: Role, test: (t: string) => boolean) =>
  keyColumn((seg) => ctx.roles[ctx.segments.indexOf(seg)]!.flatMap((r, k) => (r === role ? [k] : [])), test);

/** Words of the segments in columns of a role, with their segment index. */
function wordsOfRole(ctx: Ctx, role: Role): Array<{ s: number; w: Word }> {
  return ctx.segments.flatMap((seg, s) => seg.words.filter((w) => ctx.roles[s]![w.col] === role).map((w) => ({ s, w })));
}

/** Blocks of consecutive anchors: a new block where `startsBlock` says so. */
function blocksOf(anchors: Anchor[], startsBlock: (i: number) => boolean): number[] {
  const out: number[] = [];
  let b = -1;
  anchors.forEach((_, i) => {
    if (i === 0 || startsBlock(i)) b++;
    out.push(b);
  });
  return out;
}

/**
 * Text of a spanning cell of one block. When every row of the block repeats the
 * same text (no merged cells), it is taken once.
 */
function spanText(words: Array<{ s: number; w: Word }>, rowsOfBlock: number[], bands: Band[]): string {
  const perRow = rowsOfBlock.map((r) => cellText(words.filter(({ s, w }) => bandOf(bands, s, w) === r).map((x) => x.w)));
  const filled = perRow.filter((t) => t.trim().length > 0);
  const key = (t: string) => t.replace(/\s+/gu, '');
  if (filled.length >= 2 && filled.every((t) => key(t) === key(filled[0]!))) return filled[0]!;
  // A merged cell cut by a page break and printed whole on both pages (as Calc does): read once.
  const pages = [...new Set(words.map((x) => x.w.page))];
  const perPage = pages.map((p) => cellText(words.filter((x) => x.w.page === p).map((x) => x.w)));
  if (perPage.length >= 2 && perPage.every((t) => key(t) === key(perPage[0]!))) return perPage[0]!;
  return cellText(words.map((x) => x.w));
}

/** Words of spanning columns grouped by the block whose rows they sit in. */
function spanByBlock(ctx: Ctx, bands: Band[], blockOfRow: number[], role: Role): Map<number, Array<{ s: number; w: Word }>> {
  const out = new Map<number, Array<{ s: number; w: Word }>>();
  for (const x of wordsOfRole(ctx, role)) {
    const r = bandOf(bands, x.s, x.w);
    if (r < 0) continue;
    const b = blockOfRow[r]!;
    out.set(b, [...(out.get(b) ?? []), x]);
  }
  return out;
}

/** Cells of a per-row column: words of each band, with wrapped-line fragments handed back up. */
function rowCells(ctx: Ctx, bands: Band[], role: Role): Word[][] {
  const cells: Word[][] = bands.map(() => []);
  for (const { s, w } of wordsOfRole(ctx, role)) {
    const r = bandOf(bands, s, w);
    if (r >= 0) cells[r]!.push(w);
  }
  return role === 'target' || role === 'actual' ? repairFragments(cells) : cells;
}

/** The year of an anchor line ("平成27年度 …" → 2015). */
function anchorYear(text: string): { label: string; year: number } {
  const m = YEAR_LABEL_START_RE.exec(text.replace(/\s+/gu, ''));
  const label = m ? m[0] : text;
  return { label, year: yearNumber(label) };
}

function yearsAsRows(ctx: Ctx): NumericTableRow[] {
  // A year label of a plausible plan year starts the key cell ("平成3" cut from "平成31年度" by a page break is none).
  const isYear = (t: string) => isYearLabel(anchorYear(t).label);
  const key = colWith(ctx, 'year', isYear);
  const anchors = findAnchors(ctx.segments, key, isYear);
  const years = anchors.map((a) => anchorYear(a.text));
  const bands = anchorBands(ctx.segments, anchors, key);
  const blockOfRow = blocksOf(anchors, (i) => years[i]!.year !== years[i - 1]!.year + 1);
  const cells = { target: rowCells(ctx, bands, 'target'), actual: rowCells(ctx, bands, 'actual'), progress: rowCells(ctx, bands, 'progress') };
  const spans = new Map<Role, Map<number, Array<{ s: number; w: Word }>>>();
  for (const role of SPANNING) spans.set(role, spanByBlock(ctx, bands, blockOfRow, role));
  // Spanning cells are read once per block (every row of the block carries them).
  const spanMemo = new Map<string, string>();
  return anchors.map((a, i) => {
    const b = blockOfRow[i]!;
    const rowsOfBlock = blockOfRow.flatMap((x, k) => (x === b ? [k] : []));
    const span = (role: Role) => {
      const k = `${b}:${role}`;
      if (!spanMemo.has(k)) spanMemo.set(k, spanText(spans.get(role)!.get(b) ?? [], rowsOfBlock, bands));
      return spanMemo.get(k)!;
    };
    const pages = new Set(rowsOfBlock.map((k) => anchors[k]!.page));
    for (const role of SPANNING) for (const x of spans.get(role)!.get(b) ?? []) pages.add(x.w.page);
    return {
      page: a.page,
      block: b,
      year: years[i]!.label,
      name: span('name'),
      baseline: span('baseline'),
      target: cellText(cells.target[i]!),
      actual: cellText(cells.actual[i]!),
      progress: cellText(cells.progress[i]!),
      grade: span('grade'),
      blockPages: [...pages].sort((x, y) => x - y),
      problems: [],
    };
  });
}

function yearsAsColumns(ctx: Ctx): NumericTableRow[] {
  const isLabel = (t: string) => rowLabelOf(t) !== null;
  const key = colWith(ctx, 'rowLabel', isLabel);
  const anchors = findAnchors(ctx.segments, key, isLabel);
  const labels = anchors.map((a) => rowLabelOf(a.text)!);
  const bands = anchorBands(ctx.segments, anchors, key);
  const blockOfRow = blocksOf(anchors, (i) => labels[i] === 'target' || labels.slice(0, i).lastIndexOf(labels[i]!) > labels.slice(0, i).lastIndexOf('target'));
  const spans = new Map<Role, Map<number, Array<{ s: number; w: Word }>>>();
  for (const role of SPANNING) spans.set(role, spanByBlock(ctx, bands, blockOfRow, role));
  // Year columns by header label, per segment (a repeated header may move them).
  const yearCols = ctx.segments.map((seg, s) => seg.columns.flatMap((c, k) => (ctx.roles[s]![k] === 'yearColumn' ? [{ k, label: c.header.replace(/\s+/gu, '') }] : [])));
  const labelsInOrder = [...new Set(yearCols.flat().map((y) => y.label))].sort((a, b) => yearNumber(a) - yearNumber(b));
  const out: NumericTableRow[] = [];
  const blocks = [...new Set(blockOfRow)];
  for (const b of blocks) {
    const rowsOfBlock = blockOfRow.flatMap((x, k) => (x === b ? [k] : []));
    const span = (role: Role) => spanText(spans.get(role)!.get(b) ?? [], rowsOfBlock, bands);
    const cell = (label: RowLabel, year: string) => {
      const r = rowsOfBlock.find((k) => labels[k] === label);
      if (r === undefined) return '';
      const s = anchors[r]!.seg;
      const col = yearCols[s]!.find((y) => y.label === year)?.k;
      if (col === undefined) return '';
      const words = ctx.segments[s]!.words.filter((w) => w.col === col && bandOf(bands, s, w) === r);
      return cellText(words);
    };
    const pages = [...new Set(rowsOfBlock.map((k) => anchors[k]!.page))].sort((x, y) => x - y);
    for (const year of labelsInOrder) {
      out.push({ page: pages[0]!, block: b, year, name: span('name'), baseline: span('baseline'), target: cell('target', year), actual: cell('actual', year), progress: cell('progress', year), grade: span('grade'), blockPages: pages, problems: [] });
    }
  }
  return out;
}

/** Structural checks of each block: every plan year once and in order, a name. */
/** Header words that never belong in an indicator's name. */
const HEADER_IN_NAME = /基準値|目標値|実績値|進捗度|H\d+目標|平成\d+目標/u;
/** A quantity with its unit (64.6%, 1,120万人) inside a name: a value cell read into the name column. */
const VALUE_IN_NAME = /\d[\d,.]*\s*(%|％|万人|千人|人|件|万円|千円|円|▼)/u;

function checkBlocks(rows: NumericTableRow[], hasBaseline: boolean): string[] {
  const byBlock = new Map<number, NumericTableRow[]>();
  for (const r of rows) byBlock.set(r.block, [...(byBlock.get(r.block) ?? []), r]);
  const spans = [...byBlock.values()].map((rs) => rs.map((r) => yearNumber(r.year)).join(','));
  const counts = new Map<string, number>();
  for (const s of spans) counts.set(s, (counts.get(s) ?? 0) + 1);
  const plan = [...counts.entries()].sort((a, b) => b[1] - a[1])[0]?.[0] ?? '';
  const issues: string[] = [];
  for (const [b, rs] of byBlock) {
    const problems: string[] = [];
    const ys = rs.map((r) => yearNumber(r.year));
    if (ys.join(',') !== plan && byBlock.size > 1) {
      const planLabels = plan.split(',').map(Number);
      problems.push(`indicator ${b + 1} has the years ${rs.map((r) => r.year).join(', ')}; most indicators have FY${planLabels[0]}–FY${planLabels.at(-1)}`);
    }
    for (let i = 1; i < ys.length; i++) if (ys[i] !== ys[i - 1]! + 1) problems.push(`indicator ${b + 1}: year ${rs[i]!.year} does not follow ${rs[i - 1]!.year}`);
    const name = rs[0]?.name.replace(/\s+/gu, '') ?? '';
    if (!name) problems.push(`indicator ${b + 1}: no indicator name found`);
    // A name holding a header word or the baseline cell left empty: a column boundary is not where the table draws it.
    else if (HEADER_IN_NAME.test(name)) problems.push(`indicator ${b + 1}: its name "${name}" holds header text`);
    else if (VALUE_IN_NAME.test(name)) problems.push(`indicator ${b + 1}: its name "${name}" holds a value`);
    if (hasBaseline && !rs[0]?.baseline.trim()) problems.push(`indicator ${b + 1}: its baseline → final target cell is empty`);
    for (const r of rs) r.problems.push(...problems);
    issues.push(...problems);
  }
  return issues;
}

/** Stray words (straddling two columns) inside the table: reported, and their rows become uncertain. */
function accountStray(ctx: Ctx): string[] {
  return ctx.segments.flatMap((seg) => seg.stray.map((w) => `page ${seg.page}: text "${w.text}" runs across two columns and was not read into a cell`));
}

export function readNumeric(segments: Segment[]): ExtractedNumericTable | null {
  const roles = segments.map(columnRoles);
  const ctx: Ctx = { segments, roles, issues: [] };
  const first = segments[0]!;
  const across = roles[0]!.filter((r) => r === 'yearColumn').length >= 2;
  if (!across && !roles[0]!.includes('year')) return null;
  if (across) {
    // The key column of years-as-columns holds the row labels (目標値 / 実績値 / 進捗度), whatever its header says.
    segments.forEach((seg, s) => {
      const hits = seg.columns.map((_, k) => seg.words.filter((w) => w.col === k && rowLabelOf(w.text) !== null).length);
      const best = hits.indexOf(Math.max(...hits));
      if (hits[best]! > 0) roles[s]![best] = 'rowLabel';
    });
    if (!roles.some((r) => r.includes('rowLabel'))) return null;
  }
  const rows = across ? yearsAsColumns(ctx) : yearsAsRows(ctx);
  if (rows.length === 0) return null;
  const issues = [...checkBlocks(rows, roles.some((r) => r.includes('baseline'))), ...accountStray(ctx)];
  const header: HeaderColumn[] = first.columns.map((c, k) => ({ role: roles[0]![k] ?? 'other', text: c.header, x0: c.x0, x1: c.x1 }));
  const regions: Region[] = segments.map((s) => ({ page: s.page, x0: s.left, x1: s.right, top: (s.header?.top ?? s.top) - 1, bottom: s.bottom + 1 }));
  const method = segments.every((s) => s.columns.every((c) => c.ruled)) ? 'ruled' : 'aligned';
  return { page: first.header?.page ?? first.page, pages: [...new Set(segments.map((s) => s.page))], method, orientation: across ? 'years-as-columns' : 'years-as-rows', header, rows, issues, regions };
}
