/**
 * Page furniture: running headers, footers and page numbers. A line near the
 * top or bottom edge of a page whose text (digits aside) recurs at the same
 * height on several pages is furniture, not content; tables are read without
 * it, so a running header printed across a table continued from the previous
 * page is neither a row nor a reason to end the table.
 */
import { hasHeaderPiece } from './header.js';
import { TABLE_SETTINGS } from './settings.js';
import { cy, lineText, type Word } from './words.js';

interface PageWords {
  page: number;
  height: number;
  words: Word[];
}

const keyOf = (text: string, y: number) => `${text.replace(/\d+/gu, '#').replace(/\s+/gu, '')}@${Math.round(y / 4)}`;

/** The words of each page that are page furniture. */
export function furnitureWords(pages: PageWords[]): Set<Word> {
  const margin = (p: PageWords) => p.height * TABLE_SETTINGS.furnitureMargin;
  // Lines on one exact baseline: furniture is set apart from the content that may share its height band.
  const exactLines = (ws: Word[]) => {
    const byTop = new Map<number, Word[]>();
    for (const w of ws) byTop.set(Math.round(w.bottom), [...(byTop.get(Math.round(w.bottom)) ?? []), w]);
    return [...byTop.values()].map((l) => l.sort((a, b) => a.x0 - b.x0));
  };
  const candidates = pages.map((p) => exactLines(p.words.filter((w) => cy(w) < margin(p) || cy(w) > p.height - margin(p))));
  const count = new Map<string, number>();
  candidates.forEach((lines) => {
    for (const k of new Set(lines.map((l) => keyOf(lineText(l), cy(l[0]!))))) count.set(k, (count.get(k) ?? 0) + 1);
  });
  const need = Math.max(TABLE_SETTINGS.furnitureMinPages, Math.ceil(pages.length * TABLE_SETTINGS.furnitureShare));
  const out = new Set<Word>();
  candidates.forEach((lines) => {
    // A table's header repeated at the top of each page is content, never furniture.
    for (const l of lines) if ((count.get(keyOf(lineText(l), cy(l[0]!))) ?? 0) >= need && !hasHeaderPiece(l)) for (const w of l) out.add(w);
  });
  return out;
}
