/**
 * Shift_JIS (Windows code page 932) copies of the CSV files, for spreadsheet
 * software that still assumes it. A character CP932 cannot hold (e.g. the em
 * dash U+2014 printed in the H28 report, 𠮷, ¥) is written as "?" in the copy,
 * and every row that loses a character gets a finding (rule cp932_unmappable)
 * naming the dataset, the record, the columns and the code points. The UTF-8
 * files always keep the original text.
 *
 * "Cannot hold" means the character does not survive encode → decode: iconv-lite
 * maps a few characters to a best-fit byte (¥ → 0x5C, which reads back as "\"),
 * which would silently change the value, so those count as unmappable too.
 */
import { iconvLite } from '../lib/lazy.js';
import type { DatasetName, DatasetRecords, Finding } from '../lib/records.gen.js';
import { cellValue } from './csv.js';
import { csvColumns, tableSchema } from './tableschema.js';

export type Tables = { [D in DatasetName]: Array<DatasetRecords[D]> };

export const CP932_RULE = 'cp932_unmappable';

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

/** The distinct characters of `s` that CP932 cannot hold, in order of first appearance. */
export function cp932Unmappable(s: string): string[] {
  const out: string[] = [];
  for (const ch of s) if (!cp932Holds(ch) && !out.includes(ch)) out.push(ch);
  return out;
}

const codePoint = (ch: string) => `U+${ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;

/** Encode text as CP932, writing "?" for every character CP932 cannot hold. */
export function toCp932(s: string): Buffer {
  let clean = '';
  for (const ch of s) clean += cp932Holds(ch) ? ch : '?';
  return iconvLite().encode(clean, 'cp932');
}

function rowKey(dataset: DatasetName, row: Record<string, unknown>): string {
  if (typeof row.record_key === 'string' && dataset !== 'findings') return row.record_key;
  return tableSchema(dataset)
    .primaryKey.map((k) => String(row[k] ?? ''))
    .join('/');
}

/**
 * One finding per row whose CSV cells hold characters CP932 cannot: message and
 * key use code points only (ASCII), the characters themselves go in `reported`.
 * Rows of the findings dataset that are themselves cp932_unmappable findings are
 * not checked again (that would never end); their "?" is explained by the finding itself.
 */
export function cp932Findings(tables: Tables, fallback: { municipality_code: string; report_fiscal_year: number }): Finding[] {
  const out: Finding[] = [];
  for (const ds of Object.keys(tables) as DatasetName[]) {
    const columns = csvColumns(ds);
    for (const rec of tables[ds]) {
      const row = rec as unknown as Record<string, unknown>;
      if (ds === 'findings' && row.rule === CP932_RULE) continue;
      const hits: Array<{ column: string; chars: string[] }> = [];
      for (const c of columns) {
        const chars = cp932Unmappable(cellValue(row[c.name], c.type));
        if (chars.length) hits.push({ column: c.name, chars });
      }
      if (hits.length === 0) continue;
      const chars = [...new Set(hits.flatMap((h) => h.chars))];
      const where = hits.map((h) => `${h.chars.map(codePoint).join(' ')} in ${h.column}`).join(', ');
      out.push({
        municipality_code: typeof row.municipality_code === 'string' ? row.municipality_code : fallback.municipality_code,
        report_fiscal_year: typeof row.report_fiscal_year === 'number' ? row.report_fiscal_year : fallback.report_fiscal_year,
        dataset: ds,
        record_key: rowKey(ds, row),
        rule: CP932_RULE,
        severity: 'warning',
        message: `sjis/${ds}.csv: ${where} cannot be written in Shift_JIS (CP932) and became "?" in that copy; the UTF-8 files keep the original`,
        reported: chars.join(''),
        recomputed: '?'.repeat(chars.length),
        source_file: String(row.source_file ?? ''),
        source_page: typeof row.source_page === 'number' ? row.source_page : null,
      });
    }
  }
  return out;
}
