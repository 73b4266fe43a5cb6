/**
 * Cell size: a spreadsheet cell holds at most 32,767 characters (Excel's limit; longer
 * text is cut or refused on opening, silently, depending on the program). Text from a
 * PDF can run longer — stray text on an extra page once made a 59,501-character
 * text_items cell. Every text cell of a release is bounded here, before it is written
 * (CSV and JSON alike, so both say the same), and each cut is a finding that names the
 * record, the column and the original length.
 */
import type { DatasetName, Finding } from '../lib/records.gen.js';
import { rowKey } from './tableschema.js';

export const CELL_LIMITS = {
  /** Excel's limit for one cell, in UTF-16 code units. */
  maxChars: 32_767,
  /** Kept of a longer text: leaves room for the marker below and the CSV apostrophe before a formula-like cell. */
  keepChars: 32_000,
} as const;

export const CELL_RULE = 'cell_truncated';

const marker = (cut: number) => ` …[${cut} more characters cut: a spreadsheet cell holds ${CELL_LIMITS.maxChars}]`;

/** `s` cut to CELL_LIMITS.keepChars (never inside a surrogate pair) with a marker saying how much was cut. */
export function boundText(s: string): string {
  if (s.length <= CELL_LIMITS.maxChars) return s;
  let keep = CELL_LIMITS.keepChars;
  const last = s.charCodeAt(keep - 1);
  if (last >= 0xd800 && last <= 0xdbff) keep--; // do not split a surrogate pair
  return `${s.slice(0, keep)}${marker(s.length - keep)}`;
}

/**
 * `rows` with every string cell bounded (a row with a cut cell is a copy; the others are
 * the same objects), and one finding per cut cell. Findings' own cells are bounded
 * without a finding of their own.
 */
export function boundCells<R extends object>(dataset: DatasetName, rows: R[], fallback: { municipality_code: string; report_fiscal_year: number }): { rows: R[]; findings: Finding[] } {
  const findings: Finding[] = [];
  const bounded = rows.map((rec) => {
    const long = Object.entries(rec).filter(([, v]) => typeof v === 'string' && v.length > CELL_LIMITS.maxChars) as Array<[string, string]>;
    if (long.length === 0) return rec;
    const row = { ...(rec as Record<string, unknown>) };
    for (const [column, value] of long) {
      row[column] = boundText(value);
      if (dataset === 'findings') continue;
      findings.push({
        municipality_code: typeof row.municipality_code === 'string' ? row.municipality_code : fallback.municipality_code,
        report_fiscal_year: typeof row.report_fiscal_year === 'number' ? row.report_fiscal_year : fallback.report_fiscal_year,
        dataset,
        record_key: rowKey(dataset, row),
        rule: CELL_RULE,
        severity: 'warning',
        message: `${column}: ${value.length} characters, more than a spreadsheet cell holds (${CELL_LIMITS.maxChars}); published cut to the first ${CELL_LIMITS.keepChars} — the full text is in the source PDF`,
        reported: String(value.length),
        recomputed: String(CELL_LIMITS.keepChars),
        source_file: String(row.source_file ?? ''),
        source_page: typeof row.source_page === 'number' ? row.source_page : null,
      });
    }
    return row as R;
  });
  return { rows: bounded, findings };
}
