/**
 * Shift_JIS (Windows code page 932) copies of the CSV files, for spreadsheet
 * software that still assumes it. Characters CP932 lacks are first replaced by
 * their usual best fit (the JIS X 0208 ↔ Unicode mapping differences: — → ―,
 * − → －, 〜 → ～, ‖ → ∥, ¢ → ￠, £ → ￡, ¬ → ￢, ¥ → ￥, …); only what has no
 * best fit (𠮷, é, ©, …) is written as "?". Those characters — and only those —
 * are listed beside the copies in sjis/unmappable.csv (UTF-8, so it can show
 * them), one row per cell. The UTF-8 files, findings.csv included, always keep
 * the original text and are the same with or without the copies.
 *
 * "Holds" means the character survives encode → decode: iconv-lite maps a few
 * characters to a byte that reads back differently (¥ → 0x5C, which reads back
 * as "\"), which would silently change the value, so those take the best fit.
 */
import { iconvLite } from '../lib/lazy.js';
import type { DatasetName, DatasetRecords } from '../lib/records.gen.js';
import { cellValue, toCsv } from './csv.js';
import { csvColumns, rowKey } from './tableschema.js';

export type Tables = { [D in DatasetName]: Array<DatasetRecords[D]> };

/** Where the unmappable characters of the Shift_JIS copies are listed. */
export const UNMAPPABLE_FILE = 'sjis/unmappable.csv';

/**
 * Best-fit replacements for characters CP932 lacks: the character CP932 has in
 * the same place of JIS X 0208 (WAVE DASH, EM DASH, … are the classic mapping
 * differences), or the plain look-alike for the dashes and spaces.
 */
export const CP932_BEST_FIT: Readonly<Record<string, string>> = {
  '\u2014': '\u2015', // — EM DASH → ― HORIZONTAL BAR (JIS 1-1-29)
  '\u2212': '\uFF0D', // − MINUS SIGN → － FULLWIDTH HYPHEN-MINUS (JIS 1-1-61)
  '\u301C': '\uFF5E', // 〜 WAVE DASH → ～ FULLWIDTH TILDE (JIS 1-1-33)
  '\u2016': '\u2225', // ‖ DOUBLE VERTICAL LINE → ∥ PARALLEL TO (JIS 1-1-34)
  '\u00A2': '\uFFE0', // ¢ → ￠
  '\u00A3': '\uFFE1', // £ → ￡
  '\u00AC': '\uFFE2', // ¬ → ￢
  '\u00A5': '\uFFE5', // ¥ YEN SIGN → ￥ FULLWIDTH YEN SIGN (0x5C would read back as "\")
  '\u00A6': '\uFFE4', // ¦ → ￤
  '\u2013': '\u2010', // – EN DASH → ‐ HYPHEN
  '\u2011': '\u2010', // ‑ NON-BREAKING HYPHEN → ‐ HYPHEN
  '\u00A0': ' ', // NO-BREAK SPACE → space
  '\u00B7': '\u30FB', // · MIDDLE DOT → ・ KATAKANA MIDDLE DOT
};

const verdicts = new Map<string, boolean>();

/** true when CP932 holds the character (one code point) without change. */
export function cp932Holds(ch: string): boolean {
  const code = ch.codePointAt(0)!;
  if (code < 0x80) return true;
  let ok = verdicts.get(ch);
  if (ok === undefined) {
    ok = iconvLite().decode(iconvLite().encode(ch, 'cp932'), 'cp932') === ch;
    verdicts.set(ch, ok);
  }
  return ok;
}

/** The character written in the Shift_JIS copy: itself, its best fit, or "?" when neither exists. */
export function cp932Char(ch: string): string {
  if (cp932Holds(ch)) return ch;
  const fit = CP932_BEST_FIT[ch];
  return fit !== undefined && cp932Holds(fit) ? fit : '?';
}

/** The distinct characters of `s` that CP932 can hold neither as such nor by a best fit, in order of first appearance. */
export function cp932Unmappable(s: string): string[] {
  const out: string[] = [];
  for (const ch of s) if (cp932Char(ch) === '?' && ch !== '?' && !out.includes(ch)) out.push(ch);
  return out;
}

/** Encode text as CP932 with best-fit replacements, "?" for what has none. */
export function toCp932(s: string): Buffer {
  let clean = '';
  for (const ch of s) clean += cp932Char(ch);
  return iconvLite().encode(clean, 'cp932');
}

const codePoint = (ch: string) => `U+${ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;

/** One cell of a Shift_JIS copy that lost characters. */
export interface UnmappableCell {
  file: string;
  record_key: string;
  column: string;
  characters: string;
  code_points: string;
}

export const UNMAPPABLE_COLUMNS = ['file', 'record_key', 'column', 'characters', 'code_points'] as const;

/** Every cell of the tables' CSV rows that has characters CP932 cannot hold even by a best fit. */
export function cp932UnmappableCells(tables: Tables): UnmappableCell[] {
  const out: UnmappableCell[] = [];
  for (const ds of Object.keys(tables) as DatasetName[]) {
    const columns = csvColumns(ds);
    for (const rec of tables[ds]) {
      const row = rec as unknown as Record<string, unknown>;
      for (const c of columns) {
        const chars = cp932Unmappable(cellValue(row[c.name], c.type));
        if (chars.length) out.push({ file: `sjis/${ds}.csv`, record_key: rowKey(ds, row), column: c.name, characters: chars.join(''), code_points: chars.map(codePoint).join(' ') });
      }
    }
  }
  return out;
}

export function unmappableCsv(cells: UnmappableCell[]): Buffer {
  return toCsv(
    UNMAPPABLE_COLUMNS.map((name) => ({ name, type: 'string' as const })),
    cells as unknown as Array<Record<string, unknown>>,
  );
}
