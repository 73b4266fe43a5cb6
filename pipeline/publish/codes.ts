/**
 * codes.csv: the code table of the symbols the reports print — the progress
 * symbols ○ △ × - and the outlook grades A B C — with their meaning in Japanese
 * and English and the threshold each progress symbol stands for (the legend of
 * the reports: 100%以上, 70–100%未満, 70%未満). The Table Schemas point every
 * column holding these symbols at this table (a foreign key), and the data
 * dictionary names it, as the Digital Agency's rules for machine-readable data
 * ask (コード表).
 */
import { toCsv } from './csv.js';

export const CODES_FILE = 'codes.csv';
export const CODES_RESOURCE = 'codes';

export interface CodeEntry {
  /** progress (進捗度) or outlook (最終年度の見込み). */
  code_list: 'progress' | 'outlook';
  symbol: string;
  meaning_ja: string;
  meaning_en: string;
  /** The range of the progress ratio the symbol stands for; empty for outlook grades (a judgement, not a ratio). */
  threshold: string;
}

export const CODES: readonly CodeEntry[] = [
  { code_list: 'progress', symbol: '○', meaning_ja: '達成できた', meaning_en: 'achieved', threshold: '100%以上 (≥ 100%)' },
  { code_list: 'progress', symbol: '△', meaning_ja: '概ね達成できた', meaning_en: 'mostly achieved', threshold: '70%以上100%未満 (70% ≤ ratio < 100%)' },
  { code_list: 'progress', symbol: '×', meaning_ja: '達成できなかった', meaning_en: 'not achieved', threshold: '70%未満 (< 70%)' },
  { code_list: 'progress', symbol: '-', meaning_ja: '現時点では判断が困難', meaning_en: 'cannot be judged yet', threshold: '実績値が未確定など (no actual yet, or no numeric target)' },
  { code_list: 'outlook', symbol: 'A', meaning_ja: '目標を達成できる見込み', meaning_en: 'expected to reach the target', threshold: '' },
  { code_list: 'outlook', symbol: 'B', meaning_ja: '目標達成には努力を要する', meaning_en: 'reaching the target needs more effort', threshold: '' },
  { code_list: 'outlook', symbol: 'C', meaning_ja: '目標達成には厳しい状況にある', meaning_en: 'the target is hard to reach', threshold: '' },
];

export const CODE_COLUMNS = ['code_list', 'symbol', 'meaning_ja', 'meaning_en', 'threshold'] as const;

const SYMBOLS = new Set(CODES.map((c) => c.symbol));

/** true when a column's allowed values are codes of codes.csv (so the column refers to it). */
export function usesCodes(allowed: ReadonlyArray<unknown> | undefined): boolean {
  const values = (allowed ?? []).filter((v) => v !== null);
  return values.length > 0 && values.every((v) => typeof v === 'string' && SYMBOLS.has(v));
}

export function codesCsv(): Buffer {
  return toCsv(
    CODE_COLUMNS.map((name) => ({ name, type: 'string' as const })),
    CODES as unknown as Array<Record<string, unknown>>,
  );
}

/** Table Schema of codes.csv. */
export function codesTableSchema() {
  return {
    fields: [
      { name: 'code_list', type: 'string', title: 'Code list', 'x-title-ja': 'コードの種類', description: 'progress: 進捗度 (progress symbol printed per fiscal year); outlook: 最終年度の見込み (outlook grade).', constraints: { required: true, enum: ['progress', 'outlook'] } },
      { name: 'symbol', type: 'string', title: 'Symbol', 'x-title-ja': '記号', description: 'The symbol as printed in the report and written in the data.', constraints: { required: true, unique: true } },
      { name: 'meaning_ja', type: 'string', title: 'Meaning (Japanese)', 'x-title-ja': '意味', description: 'Meaning as the report states it.', constraints: { required: true } },
      { name: 'meaning_en', type: 'string', title: 'Meaning (English)', 'x-title-ja': '意味(英語)', description: 'English translation of the meaning.', constraints: { required: true } },
      { name: 'threshold', type: 'string', title: 'Threshold', 'x-title-ja': '判定基準', description: 'Range of the progress ratio the symbol stands for; empty for outlook grades.' },
    ],
    primaryKey: ['symbol'],
    missingValues: [''],
  };
}
