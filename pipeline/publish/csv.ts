/**
 * CSV for people and spreadsheets: UTF-8 with BOM, a header row, one value per
 * cell, numbers without separators, empty cell for missing. Text cells that a
 * spreadsheet would run as a formula (= + - @ tab CR) are neutralised with a
 * leading apostrophe (OWASP); numeric columns are left alone, so negative
 * numbers stay numbers.
 */
import { csvStringify } from '../lib/lazy.js';

export type ColumnType = 'string' | 'integer' | 'number' | 'boolean';

export interface CsvColumn {
  name: string;
  type: ColumnType;
}

const FORMULA_START = /^[=+\-@\t\r]/u;

/** Neutralise a text cell that a spreadsheet would evaluate. A lone "-" (the undetermined symbol) is inert and kept. */
export function neutraliseCell(s: string): string {
  return FORMULA_START.test(s) && s !== '-' ? `'${s}` : s;
}

export function formatNumber(n: number): string {
  if (!Number.isFinite(n)) return '';
  if (Number.isInteger(n) && Math.abs(n) < 1e21) return n.toFixed(0);
  // Shortest round-trip representation, never in exponent form.
  const s = String(n);
  if (!/e/iu.test(s)) return s;
  return n.toFixed(20).replace(/0+$/u, '').replace(/\.$/u, '');
}

export function cellValue(v: unknown, type: ColumnType): string {
  if (v === null || v === undefined) return '';
  if (type === 'boolean') return v ? 'true' : 'false';
  if (type === 'integer' || type === 'number') return typeof v === 'number' ? formatNumber(v) : neutraliseCell(String(v));
  return neutraliseCell(String(v));
}

export function toCsv(columns: CsvColumn[], rows: Array<Record<string, unknown>>): Buffer {
  const data = rows.map((r) => columns.map((c) => cellValue(r[c.name], c.type)));
  const body = csvStringify().stringify(data, { header: true, columns: columns.map((c) => c.name), record_delimiter: '\r\n', quoted_match: /^\s|\s$/u });
  return Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(body, 'utf8')]);
}
