/**
 * The vocabulary the table engine reads tables by (vocabulary.json): header
 * roles, row labels, progress and outlook symbols, lines that end a table.
 * Data, not code: a city's own wording is added to the JSON.
 */
import raw from './vocabulary.json' with { type: 'json' };

export type NumericRole = 'name' | 'baseline' | 'year' | 'target' | 'actual' | 'progress' | 'grade' | 'rowLabel';
export type KpiRole = 'name' | 'count' | 'progress' | 'outlook';
export type RowLabel = 'target' | 'actual' | 'progress';
export type ProgressSymbol = '○' | '△' | '×' | '-';

interface TableVocabulary<R extends string> {
  headerKey: RegExp;
  headerAlso: RegExp[];
  columnRoles: Array<[R, RegExp]>;
}

const re = (s: string) => new RegExp(s, 'u');
const roles = <R extends string>(list: string[][]): Array<[R, RegExp]> => list.map(([role, pattern]) => [role as R, re(pattern!)]);

export const NUMERIC: TableVocabulary<NumericRole> & { rowLabels: Array<[RowLabel, RegExp]> } = {
  headerKey: re(raw.numeric.headerKey),
  headerAlso: raw.numeric.headerAlso.map(re),
  columnRoles: roles<NumericRole>(raw.numeric.columnRoles),
  rowLabels: roles<RowLabel>(raw.numeric.rowLabels),
};

export const KPI: TableVocabulary<KpiRole> = {
  headerKey: re(raw.kpi.headerKey),
  headerAlso: raw.kpi.headerAlso.map(re),
  columnRoles: roles<KpiRole>(raw.kpi.columnRoles),
};

const SYMBOL_OF = new Map<string, ProgressSymbol>();
for (const [sym, forms] of Object.entries(raw.progressSymbols)) for (const f of forms) SYMBOL_OF.set(f, sym as ProgressSymbol);
export const OUTLOOK_SYMBOLS = raw.outlookSymbols as Array<'A' | 'B' | 'C'>;
const STOP_LINES = raw.stopLines.map(re);
const HEADINGS = raw.headings.map(re);
const OTHER_TABLE_HEADERS = raw.otherTableHeaders.map(re);

/** The progress symbol a glyph stands for (○ for 〇, - for ー －, …), or null. */
export function progressSymbol(glyph: string): ProgressSymbol | null {
  return SYMBOL_OF.get(glyph.trim()) ?? null;
}

/** Every glyph that stands for a progress symbol, as a regex character-class body. */
export const PROGRESS_GLYPHS = [...SYMBOL_OF.keys()].map((g) => g.replace(/[-\\\]^]/gu, '\\$&')).join('');

/** The role of a header cell's text, or null. */
export function roleOf<R extends string>(vocab: { columnRoles: Array<[R, RegExp]> }, text: string): R | null {
  const t = text.replace(/\s+/gu, '');
  for (const [role, pattern] of vocab.columnRoles) if (pattern.test(t)) return role;
  return null;
}

/** The row label (目標値, 実績値, 進捗度) a key-column cell of a years-as-columns table holds, or null. */
export function rowLabelOf(text: string): RowLabel | null {
  const t = text.replace(/\s+/gu, '');
  for (const [label, pattern] of NUMERIC.rowLabels) if (pattern.test(t)) return label;
  return null;
}

/** A section heading alone on its line (数値目標, 【課題】, KPI). */
export function isHeading(text: string): boolean {
  const t = text.trim();
  return HEADINGS.some((p) => p.test(t));
}

/** A line that ends a table: a legend line, a numbered or bracketed section heading. */
export function isStopLine(text: string): boolean {
  const t = text.trim();
  return STOP_LINES.some((p) => p.test(t)) || isHeading(t);
}

/** A line that opens another table (a separate 達成見込み table under the KPI table). */
export function opensOtherTable(text: string): boolean {
  const t = text.replace(/\s+/gu, '');
  return OTHER_TABLE_HEADERS.some((p) => p.test(t));
}
