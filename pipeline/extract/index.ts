/**
 * Stage 1 — extract: a report PDF → positioned text, tables and text sections.
 * The result is plain data (structured-clone safe) so it can cross a worker boundary.
 */
import { sha256Hex } from '../lib/hash.js';
import { layoutPage, midY, type Chunk, type PageLayout } from './layout.js';
import { PdfInputError, readDocument } from './pdf.js';
import { readSections, type GoalText, type TextEntry } from './sections.js';
import { readTables, type ExtractedKpiTable, type ExtractedNumericTable, type Region } from './tables.js';

export { PdfInputError } from './pdf.js';
export type { ExtractedKpiTable, ExtractedNumericTable, NumericTableRow, KpiTableRow } from './tables.js';
export type { GoalText, TextEntry, SectionKind } from './sections.js';

export interface ExtractedReport {
  file: string;
  sha256: string;
  bytes: number;
  pageCount: number;
  info: { title: string | null; producer: string | null; creator: string | null };
  /** Fiscal-year labels of the report found in headings (e.g. H28), most frequent first. */
  yearLabels: string[];
  /** Most frequent municipality name in the text (e.g. 久留米市), if any. */
  municipalityName: string | null;
  goals: GoalText[];
  texts: TextEntry[];
  numericTables: Array<ExtractedNumericTable & { goalNo: number | null }>;
  kpiTables: Array<ExtractedKpiTable & { goalNo: number | null }>;
  /** Legend lines of the report (progress symbols and grades). */
  legend: string[];
  /** How each table's goal number was decided when not from a 基本目標N heading. */
  notes: string[];
}

export interface ExtractOptions {
  /** Refuse a document with more pages than this. */
  maxPages?: number;
  /** Refuse a file larger than this many bytes. */
  maxBytes?: number;
}

const MiB = 1024 * 1024;

/** True when the file ends with the %%EOF marker (in its last 1 KiB, trailing whitespace and NULs aside). */
export function hasEofMarker(data: Uint8Array): boolean {
  let end = data.byteLength;
  while (end > 0 && (data[end - 1] === 0 || data[end - 1] === 0x20 || (data[end - 1]! >= 0x09 && data[end - 1]! <= 0x0d))) end--;
  return Buffer.from(data.subarray(Math.max(0, end - 1024), end)).toString('latin1').includes('%%EOF');
}

function inRegion(c: Chunk, regions: Region[]): boolean {
  const y = midY(c);
  return regions.some((r) => r.page === c.page && y >= r.top && y <= r.bottom && c.x1 > r.x0 && c.x0 < r.x1);
}

function rank(values: string[]): string[] {
  const counts = new Map<string, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([v]) => v);
}

/** Analyse already-read pages (exposed for tests and for the worker). */
export function analyse(layouts: PageLayout[], file: string, data: Uint8Array, pageCount: number, info: ExtractedReport['info']): ExtractedReport {
  const chars = layouts.reduce((n, l) => n + l.chunks.reduce((m, c) => m + c.text.length, 0), 0);
  if (chars < 20) {
    throw new PdfInputError('the PDF has no text layer (it looks scanned or made of images)', 'ask for a text PDF, or run OCR first and check every number by hand');
  }
  const { numeric, kpi } = readTables(layouts);
  if (numeric.length === 0) {
    throw new PdfInputError('no numeric-target table (数値目標 | 年度 | 目標値 | 実績値) was found', 'is this a 地方創生総合戦略 progress report? check the file and the registry entry');
  }
  // A table is usable when at least one indicator has a name; otherwise its structure checks failed throughout.
  if (!numeric.some((t) => t.rows.some((r) => r.name.trim().length > 0))) {
    const t = numeric[0]!;
    const issues = [...new Set(numeric.flatMap((x) => x.issues))];
    throw new PdfInputError(
      `the numeric-target table (page ${t.page}) fails its structure checks: ${issues.slice(0, 3).join('; ')}${issues.length > 3 ? `; and ${issues.length - 3} more` : ''}`,
      'the table layout is not one the extractor can read; check the PDF, and report it with the file',
    );
  }
  const regions = [...numeric.flatMap((t) => t.regions), ...kpi.flatMap((t) => t.regions)];
  const consumed = new Set<Chunk>();
  for (const l of layouts) for (const c of l.chunks) if (inRegion(c, regions)) consumed.add(c);
  const sections = readSections(layouts, consumed);

  // Goal of a table: the last 基本目標N band before it in reading order.
  const notes: string[] = [];
  const columnOf = (page: number, x: number) => {
    const l = layouts.find((p) => p.page === page);
    return l ? l.gutters.filter((g) => x > g).length : 0;
  };
  const goalAt = (page: number, x: number, top: number): number | null => {
    const col = columnOf(page, x);
    let found: number | null = null;
    for (const m of sections.goalMarks) {
      if (m.page < page || (m.page === page && (m.column < col || (m.column === col && m.top <= top)))) found = m.goalNo;
      // Two-column pages: a band printed across the top of the page covers both columns.
      else if (m.page === page && m.column > col && m.top < top) found = m.goalNo;
    }
    return found;
  };
  const withGoal = <T extends { regions: Region[] }>(tables: T[], what: string) =>
    tables.map((t, i) => {
      const r = t.regions[0]!;
      let goalNo = goalAt(r.page, (r.x0 + r.x1) / 2, r.top);
      if (goalNo === null && tables.length > 0) {
        goalNo = i + 1;
        notes.push(`${what} table ${i + 1} (page ${r.page}): no 基本目標N heading before it; goal number ${goalNo} assumed from table order`);
      }
      return { ...t, goalNo };
    });

  const text = layouts.flatMap((l) => l.chunks.map((c) => c.text)).join('\n');
  const names = [...text.matchAll(/([\u4E00-\u9FFF]{1,4}[市町村])(?=[のでにはをがと、。まち])/gu)].map((m) => m[1]!);
  return {
    file,
    sha256: sha256Hex(data),
    bytes: data.byteLength,
    pageCount,
    info,
    yearLabels: rank(sections.yearLabels),
    municipalityName: rank(names)[0] ?? null,
    goals: sections.goals,
    texts: sections.entries,
    numericTables: withGoal(numeric, 'numeric-target'),
    kpiTables: withGoal(kpi, 'KPI'),
    legend: sections.legend,
    notes,
  };
}

/** Extract a report from PDF bytes. Throws PdfInputError for input that is not a usable report. */
export async function extractReport(data: Uint8Array, file: string, opts: ExtractOptions = {}): Promise<ExtractedReport> {
  if (data.byteLength === 0) throw new PdfInputError('the file is empty', 'download it again');
  if (opts.maxBytes !== undefined && data.byteLength > opts.maxBytes) {
    throw new PdfInputError(`the file is ${(data.byteLength / MiB).toFixed(1)} MiB, larger than the limit of ${(opts.maxBytes / MiB).toFixed(1)} MiB`, 'a progress report is a few MiB; check the file, or raise the limit with --max-bytes');
  }
  const head = Buffer.from(data.subarray(0, Math.min(1024, data.byteLength))).toString('latin1');
  if (!head.includes('%PDF-')) {
    const kind = /<html|<!doctype/i.test(head) ? 'an HTML page' : 'not a PDF';
    throw new PdfInputError(`the file is ${kind} (no %PDF- header)`, 'check the URL or file name in raw/sources.json');
  }
  if (!hasEofMarker(data)) {
    throw new PdfInputError('the PDF is truncated (it does not end with the %%EOF marker)', 'the download was probably cut off; download it again');
  }
  const copy = new Uint8Array(data); // pdf.js may transfer/detach the buffer it is given
  const raw = await readDocument(copy, opts.maxPages === undefined ? {} : { maxPages: opts.maxPages });
  const layouts = raw.pages.map(layoutPage);
  return analyse(layouts, file, data, raw.pageCount, raw.info);
}
