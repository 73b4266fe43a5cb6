/**
 * Stage 2 (text side) — the atoms of table reading. A word is a text run as the
 * PDF draws it, split at white space (positions shared out by character width),
 * and never merged with its neighbours: whether two runs belong to one cell is
 * decided by the column and row boundaries, not by how close they happen to be.
 */
import type { TextRun } from './pdf.js';
import { TABLE_SETTINGS } from './settings.js';
import { isCjk } from './text.js';

/** A piece of a text run: its text and box (the run's font dropped), with its page and the run it was cut from. */
export interface Word extends Omit<TextRun, 'font'> {
  page: number;
  /** Index of the text run the word was cut from (words of one run were drawn as one piece of text). */
  run: number;
}

export const cx = (w: { x0: number; x1: number }) => (w.x0 + w.x1) / 2;
export const cy = (w: { top: number; bottom: number }) => (w.top + w.bottom) / 2;

/** Relative advance of a character: full-width forms count 1, the rest ½. */
function advance(ch: string): number {
  const cp = ch.codePointAt(0) ?? 0;
  return cp >= 0x2e80 || (cp >= 0x2460 && cp <= 0x24ff) || (cp >= 0x25a0 && cp <= 0x25ff) ? 1 : 0.5;
}

/** Split a run at white space into words, sharing its width out by character advance. */
export function splitRun(run: TextRun, page: number, index = 0): Word[] {
  // Most runs hold no space: one word, as drawn.
  if (!/\s/u.test(run.text)) return [{ text: run.text, x0: run.x0, x1: run.x1, top: run.top, bottom: run.bottom, size: run.size, page, run: index }];
  const chars = [...run.text];
  const total = chars.reduce((s, c) => s + advance(c), 0) || 1;
  const scale = (run.x1 - run.x0) / total;
  const out: Word[] = [];
  let x = run.x0;
  let cur: { text: string; x0: number; x1: number } | null = null;
  for (const ch of chars) {
    const w = advance(ch) * scale;
    if (/\s/u.test(ch)) {
      if (cur) out.push({ ...cur, top: run.top, bottom: run.bottom, size: run.size, page, run: index });
      cur = null;
    } else if (cur) {
      cur.text += ch;
      cur.x1 = x + w;
    } else cur = { text: ch, x0: x, x1: x + w };
    x += w;
  }
  if (cur) out.push({ ...cur, top: run.top, bottom: run.bottom, size: run.size, page, run: index });
  return out;
}

export function pageWords(runs: TextRun[], page: number): Word[] {
  return runs.flatMap((r, i) => splitRun(r, page, i));
}

/** Group words into visual lines (top to bottom), each sorted left to right. */
export function toLines<W extends Word>(words: W[]): W[][] {
  const keyed = words.map((w) => ({ w, y: (w.top + w.bottom) / 2 }));
  keyed.sort((a, b) => a.y - b.y || a.w.x0 - b.w.x0);
  const sorted = keyed.map((k) => k.w);
  const lines: W[][] = [];
  let top = 0;
  let bottom = 0;
  for (const w of sorted) {
    const l = lines.at(-1);
    // Centres close, or the word overlaps most of the line's height (digits set in another font sit a little lower).
    const near = l && Math.abs(cy(l[0]!) - cy(w)) < Math.min(l[0]!.size, w.size) * TABLE_SETTINGS.lineTolerance;
    const overlap = l && Math.min(bottom, w.bottom) - Math.max(top, w.top) >= Math.min(bottom - top, w.bottom - w.top) * TABLE_SETTINGS.lineOverlap;
    if (l && (near || overlap)) {
      l.push(w);
      top = Math.min(top, w.top);
      bottom = Math.max(bottom, w.bottom);
    } else {
      lines.push([w]);
      top = w.top;
      bottom = w.bottom;
    }
  }
  for (const l of lines) l.sort((a, b) => a.x0 - b.x0);
  return lines;
}

/** Join two pieces of text on one line: a space between Latin words, none between CJK characters. */
export function joinWords(a: string, b: string, gap: number, size: number): string {
  if (a.length === 0) return b;
  const last = a.at(-1) ?? '';
  const first = b[0] ?? '';
  const needsSpace = (gap > size * 0.2 && !(isCjk(last) && isCjk(first))) || gap > size * 0.9;
  return needsSpace ? `${a} ${b}` : a + b;
}

const LINE_TEXT = new WeakMap<Word[], string>();

/** Text of one line of words (remembered for the line: tables ask for it many times). */
export function lineText(line: Word[]): string {
  let text = LINE_TEXT.get(line);
  if (text === undefined) LINE_TEXT.set(line, (text = joinLine(line)));
  return text;
}

function joinLine(line: Word[]): string {
  let text = '';
  let prev: Word | null = null;
  for (const w of line) {
    text = prev ? joinWords(text, w.text, w.x0 - prev.x1, w.size) : w.text;
    prev = w;
  }
  return text;
}

/** Text of a cell: its lines top to bottom, joined by newlines. Pages in order. */
export function cellText(words: Word[]): string {
  const pages = [...new Set(words.map((w) => w.page))].sort((a, b) => a - b);
  return pages.flatMap((p) => toLines(words.filter((w) => w.page === p)).map(lineText)).join('\n');
}

export interface Box {
  x0: number;
  x1: number;
  top: number;
  bottom: number;
}

export function bbox(words: Box[]): Box {
  return {
    x0: Math.min(...words.map((w) => w.x0)),
    x1: Math.max(...words.map((w) => w.x1)),
    top: Math.min(...words.map((w) => w.top)),
    bottom: Math.max(...words.map((w) => w.bottom)),
  };
}

/**
 * Tight phrases of a line: words less than `gapEm` apart joined into one box
 * (one piece of text drawn in several runs, as Type 3 fonts and some exporters do).
 */
export function tightPhrases(line: Word[], gapEm = 0.34): Array<Box & { text: string; size: number }> {
  const out: Array<Box & { text: string; size: number }> = [];
  for (const w of line) {
    const p = out.at(-1);
    if (p && w.x0 - p.x1 < w.size * gapEm) {
      p.text += w.text;
      p.x1 = Math.max(p.x1, w.x1);
      p.top = Math.min(p.top, w.top);
      p.bottom = Math.max(p.bottom, w.bottom);
    } else out.push({ text: w.text, x0: w.x0, x1: w.x1, top: w.top, bottom: w.bottom, size: w.size });
  }
  return out;
}
