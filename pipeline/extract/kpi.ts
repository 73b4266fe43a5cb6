/**
 * Stage 4c/5 — semantic mapping of a KPI summary table (施策の基本的方向 | KPI数 |
 * 進捗 counts | 達成見込み counts). Rows are anchored on circled numbers ①…;
 * counts come either as symbol–number pairs in one cell ("○ 8 △ 1 × 2 - 1",
 * "○1, ×2") or one column per symbol under a spanning header (zeros printed or
 * blank). Where the cells do not line up with the rows (a separate outlook
 * table, pairs on continuation lines), the hypothesis the report itself
 * confirms is kept: each row's counts add up to its KPI count.
 */
import type { Segment } from './grid.js';
import { anchorBands, bandOf, findAnchors, keyColumn, type Anchor, type Band } from './rows.js';
import type { ExtractedKpiTable, KpiTableRow, Region } from './table-types.js';
import { leadingCircled } from './text.js';
import { KPI, OUTLOOK_SYMBOLS, PROGRESS_GLYPHS, progressSymbol, roleOf, type KpiRole } from './vocabulary.js';
import { cellText, toLines, lineText, type Word } from './words.js';

type Pairs = Array<[string, number]>;
interface KCol {
  role: KpiRole | null;
  /** The symbol a per-symbol column counts (○ … or A B C), null for a pairs column. */
  symbol: string | null;
}

const PAIR_PROGRESS_RE = new RegExp(`([${PROGRESS_GLYPHS}])\\s*(\\d+)`, 'gu');
const PAIR_OUTLOOK_RE = /([ABC])\s*(\d+)/gu;

export function pairs(text: string, re: RegExp): Pairs {
  const out: Pairs = [];
  for (const m of text.matchAll(re)) out.push([progressSymbol(m[1]!) ?? m[1]!, Number(m[2])]);
  return out;
}

function kpiColumns(seg: Segment): KCol[] {
  return seg.columns.map((c) => {
    const sym = c.header.replace(/\s+/gu, '');
    const parentRole = c.parent ? roleOf(KPI, c.parent) : null;
    // A header that is a bare legend symbol counts that symbol (its spanning parent may be centred over only some of them).
    if (progressSymbol(sym) && parentRole !== 'outlook') return { role: 'progress', symbol: progressSymbol(sym) };
    if ((OUTLOOK_SYMBOLS as string[]).includes(sym) && parentRole !== 'progress') return { role: 'outlook', symbol: sym };
    return { role: (c.header ? roleOf(KPI, c.header) : null) ?? parentRole, symbol: null };
  });
}

const sum = (ps: Pairs) => ps.reduce((s, p) => s + p[1], 0);

/** Counts of one role for every row: per-symbol columns read as numbers, a pairs column parsed. */
function countsPerRow(segments: Segment[], cols: KCol[][], bands: Band[], role: KpiRole, re: RegExp): { perRow: Pairs[]; lines: Pairs[] } {
  const perRow: Pairs[] = bands.map(() => []);
  const lineWords: Word[] = [];
  segments.forEach((seg, s) => {
    for (const w of seg.words) {
      const col = cols[s]![w.col]!;
      if (col.role !== role) continue;
      const r = bandOf(bands, s, w);
      if (r < 0) continue;
      if (col.symbol) {
        const n = /^\d+$/u.test(w.text) ? Number(w.text) : null;
        if (n !== null) perRow[r]!.push([col.symbol, n]);
      } else lineWords.push(w);
    }
  });
  // Pairs columns: per band, and the column's lines in order (for regrouping).
  const pairWords = bands.map(() => [] as Word[]);
  segments.forEach((_, s) => {
    for (const w of lineWords.filter((x) => segments[s]!.words.includes(x as Segment['words'][number]))) {
      const r = bandOf(bands, s, w);
      if (r >= 0) pairWords[r]!.push(w);
    }
  });
  pairWords.forEach((ws, r) => perRow[r]!.push(...pairs(cellText(ws).replace(/\n/gu, ' '), re)));
  const lines = toLines(lineWords).map((l) => pairs(lineText(l), re)).filter((p) => p.length > 0);
  return { perRow, lines };
}

/** Split lines (in reading order) into consecutive groups whose sums equal the targets, or null. */
export function partitionBySums(lines: Pairs[], targets: number[]): Pairs[] | null {
  const out: Pairs[] = targets.map(() => []);
  let li = 0;
  for (let r = 0; r < targets.length; r++) {
    while (li < lines.length && sum(out[r]!) < targets[r]!) out[r]!.push(...lines[li++]!);
    if (sum(out[r]!) !== targets[r]) return null;
  }
  return li === lines.length ? out : null;
}

/** Keep the per-row reading when it adds up; else the regrouping of the lines that does; else the per-row reading, flagged. */
function resolve(what: string, perRow: Pairs[], lines: Pairs[], counts: Array<number | null>, issues: string[]): { rows: Pairs[]; ok: boolean[] } {
  const adds = (ps: Pairs[]) => ps.map((p, i) => counts[i] !== null && sum(p) === counts[i]);
  const direct = adds(perRow);
  if (direct.every(Boolean) || counts.some((c) => c === null)) return { rows: perRow, ok: direct };
  const regrouped = partitionBySums(lines, counts as number[]);
  if (regrouped) {
    issues.push(`note: ${what} counts matched to rows by order (their cells do not line up with the rows)`);
    return { rows: regrouped, ok: regrouped.map(() => true) };
  }
  return { rows: perRow, ok: direct };
}

/**
 * A separate outlook table (達成見込み) below the KPI table or opening the next
 * reading column or page: its lines of pairs in order, and by policy direction
 * when the table repeats the circled numbers.
 */
function separateOutlook(last: Segment, following: Array<{ page: number; lines: Word[][] }>): { lines: Pairs[]; byNo: Map<number, Pairs> | null; regions: Region[] } | null {
  // The table may be cut by a page break (its rest under a repeated header on the next page): every part is read.
  const parts: Array<{ lines: Pairs[]; byNo: Map<number, Pairs> | null; region: Region }> = [];
  for (const { page, lines } of following) {
    const start = lines.slice(0, 8).findIndex((l) => /達成見込|見込み?$|^目標年度/u.test(lineText(l).replace(/\s+/gu, '')));
    if (start < 0) continue;
    const out: Pairs[] = [];
    const byNo = new Map<number, Pairs>();
    let numbered = true;
    let bottom = 0;
    let headerLines = 0;
    let wrapped = 0;
    let lastNo: number | null = null;
    for (const l of lines.slice(start + 1)) {
      const text = lineText(l);
      const ps = pairs(text, PAIR_OUTLOOK_RE);
      const no = leadingCircled(text);
      // The rest of a wrapped header (み, 達成見込み) comes before the first counts. After them, a line without counts
      // ends the table — unless the rows are numbered (then it is a wrapped name); a number that goes back (課題 ⑩ 関連) ends it too.
      if (no !== null && lastNo !== null && no <= lastNo) break;
      if (ps.length === 0 && no === null && (out.length > 0 ? lastNo === null || ++wrapped > 2 : ++headerLines > 2)) break;
      if (ps.length || no !== null) wrapped = 0;
      if (no !== null) lastNo = no;
      if (ps.length) {
        out.push(ps);
        if (lastNo === null) numbered = false;
        else byNo.set(lastNo, [...(byNo.get(lastNo) ?? []), ...ps]);
      }
      bottom = Math.max(...l.map((w) => w.bottom));
    }
    const top = Math.min(...lines[start]!.map((w) => w.top));
    if (out.length) parts.push({ lines: out, byNo: numbered ? byNo : null, region: { page, x0: last.left, x1: last.right, top: top - 1, bottom: bottom + 1 } });
  }
  if (parts.length === 0) return null;
  const numbered = parts.every((p) => p.byNo !== null);
  return {
    lines: parts.flatMap((p) => p.lines),
    byNo: numbered ? new Map(parts.flatMap((p) => [...p.byNo!.entries()])) : null,
    regions: parts.map((p) => p.region),
  };
}

export interface KpiContext {
  /** Lines that follow the table: the rest of its column, the next column, the top of the next page (computed when asked). */
  following: () => Array<{ page: number; lines: Word[][] }>;
}

/**
 * Where numbered text after the table begins (課題 items "① 関連: …" set right
 * under the KPI rows): the first circled number that does not go on from the
 * one before and has no count beside it.
 */
function tableEnd(segments: Segment[], anchors: Anchor[], cols: KCol[][]): { index: number; seg: number; top: number } | null {
  for (let i = 1; i < anchors.length; i++) {
    const a = anchors[i]!;
    if (leadingCircled(a.text)! > leadingCircled(anchors[i - 1]!.text)!) continue;
    const seg = segments[a.seg]!;
    const counts = seg.words.filter((w) => cols[a.seg]![w.col]!.role !== 'name' && /\d/u.test(w.text) && !/[\u3040-\u30ff\u4e00-\u9fff]{2}/u.test(w.text) && w.top < a.bottom + 1 && w.bottom > a.top - 1);
    if (counts.length === 0) return { index: i, seg: a.seg, top: a.top };
  }
  return null;
}

/** The segments up to a point: later segments dropped, words from that point on left out. */
function cutAt(segments: Segment[], end: { seg: number; top: number }): Segment[] {
  return segments.slice(0, end.seg + 1).map((s, i) => (i === end.seg ? { ...s, words: s.words.filter((w) => w.bottom <= end.top + 0.5), stray: s.stray.filter((w) => w.bottom <= end.top + 0.5), bottom: end.top - 0.5 } : s));
}

/** The segments of a KPI table without the numbered text that may follow it (done before column boundaries are pooled). */
export function trimKpi(segments: Segment[]): Segment[] {
  const cols = segments.map(kpiColumns);
  const isAnchor = (t: string) => leadingCircled(t) !== null;
  const nameCol = keyColumn((seg) => cols[segments.indexOf(seg)]!.flatMap((c, k) => (c.role === 'name' ? [k] : [])), isAnchor);
  const end = tableEnd(segments, findAnchors(segments, nameCol, isAnchor), cols);
  return end ? cutAt(segments, end) : segments;
}

/** Read a KPI table from its segments (already trimmed by `trimKpi`). */
export function readKpi(segments: Segment[], ctx: KpiContext): ExtractedKpiTable | null {
  const cols = segments.map(kpiColumns);
  const isAnchor = (t: string) => leadingCircled(t) !== null;
  const nameCol = keyColumn((seg) => cols[segments.indexOf(seg)]!.flatMap((c, k) => (c.role === 'name' ? [k] : [])), isAnchor);
  const anchors = findAnchors(segments, nameCol, isAnchor);
  if (anchors.length === 0) return null;
  const bands = anchorBands(segments, anchors, nameCol);
  const issues: string[] = [];
  const text = (role: KpiRole) =>
    bands.map((_, r) => cellText(segments.flatMap((seg, s) => seg.words.filter((w) => cols[s]![w.col]!.role === role && bandOf(bands, s, w) === r))));
  const names = text('name');
  const countText = text('count').map((t) => t.replace(/\s+/gu, ''));
  const counts = countText.map((t) => (/^\d+$/u.test(t) ? Number(t) : null));
  const prog = countsPerRow(segments, cols, bands, 'progress', PAIR_PROGRESS_RE);
  const outl = countsPerRow(segments, cols, bands, 'outlook', PAIR_OUTLOOK_RE);
  const regions: Region[] = segments.map((s) => ({ page: s.page, x0: s.left, x1: s.right, top: (s.header?.top ?? s.top) - 1, bottom: s.bottom + 1 }));
  let outlLines = outl.lines;
  let outlRows = outl.perRow;
  if (outlRows.every((p) => p.length === 0)) {
    const sep = separateOutlook(segments.at(-1)!, ctx.following());
    if (sep) {
      outlLines = sep.lines;
      regions.push(...sep.regions);
      if (sep.byNo) {
        outlRows = anchors.map((a) => sep.byNo!.get(leadingCircled(a.text)!) ?? []);
        issues.push('note: outlook counts read from a separate table, matched to rows by their policy-direction numbers');
      } else {
        outlRows = bands.map(() => []);
        issues.push('note: outlook counts read from a separate table and matched to rows by their sums');
      }
    }
  }
  const p = resolve('progress', prog.perRow, prog.lines, counts, issues);
  const o = resolve('outlook', outlRows, outlLines, counts, issues);
  const rows: KpiTableRow[] = anchors.map((a, i) => {
    const notes: string[] = [];
    if (counts[i] === null) notes.push(`KPI count "${countText[i]}" is not a number`);
    else {
      if (!p.ok[i]) notes.push(`progress counts (${sum(p.rows[i]!)}) do not add up to the KPI count ${counts[i]}`);
      if (!o.ok[i]) notes.push(`outlook counts (${sum(o.rows[i]!)}) do not add up to the KPI count ${counts[i]}`);
    }
    return { page: a.page, label: names[i] || a.text, policyDirectionNo: leadingCircled(a.text)!, kpiCount: countText[i] ?? '', progressPairs: p.rows[i]!, outlookPairs: o.rows[i]!, notes };
  });
  for (const seg of segments) for (const w of seg.stray) issues.push(`page ${seg.page}: text "${w.text}" runs across two columns and was not read into a cell`);
  const header = segments[0]!.header?.text ?? '';
  const yearM = /((?:H|平成|R|令和)\s*(?:\d{1,2}|元))\s*年度?\s*の?\s*(?:進捗|達成)/u.exec(header.replace(/\|/gu, ''));
  const method = segments.every((s) => s.columns.every((c) => c.ruled)) ? 'ruled' : 'aligned';
  return { page: segments[0]!.page, pages: [...new Set(segments.map((s) => s.page))], method, header, progressYearLabel: yearM ? yearM[1]!.replace(/\s+/gu, '') : null, rows, issues, regions };
}
