/**
 * Rows held for review: a numeric-target or KPI row the extractor doubts
 * (extraction_status = uncertain — a guessed cell, or a table that failed its
 * structure checks) is not published. It goes to the review queue
 * (OUT/review/queue.json, outside the immutable releases) with the file,
 * sha256, page, table region, the extracted grid, the reason and the candidate
 * values, until the team corrects it (raw/corrections.csv) or accepts it
 * (raw/review-decisions.csv, `sousei-kpi review accept`).
 */
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { ExtractedReport } from '../extract/index.js';
import { compact } from '../extract/text.js';
import { writeFileAtomic } from '../lib/durable.js';
import type { Finding, KPISummary, NumericTarget } from '../lib/records.gen.js';
import type { NormalizedReport } from '../normalize/index.js';
import { parseFiscalYear } from '../normalize/parse.js';
import { decisionFor, type Decision } from './decisions.js';
import type { Region } from '../extract/table-types.js';

export type HeldDataset = 'numeric_targets' | 'kpi_summary';

/** A page area in PDF points, top-down (as the extractor reports table regions). */
export type { Region };

export interface HeldRow {
  dataset: HeldDataset;
  record_key: string;
  page: number;
  reason: string;
  /** Columns of the record the doubt is about (the cells to check). */
  doubtful_fields: string[];
  /** The record as it would be published. */
  candidate: Record<string, unknown>;
}

export interface GridRow {
  cells: string[];
  /** Indexes of the doubtful cells. */
  doubtful: number[];
  /** The held record this grid row gave, if any. */
  record_key: string | null;
}

export interface HeldTable {
  /** Stable id: file, dataset and page. */
  id: string;
  file: string;
  /** Where the PDF was read from (for rendering the region). */
  path: string;
  sha256: string;
  dataset: HeldDataset;
  goal_no: number | null;
  page: number;
  /** e.g. "numeric-target table of goal 1 (page 1)". */
  table: string;
  regions: Region[];
  header: string[];
  grid: GridRow[];
  rows: HeldRow[];
}

export interface ReviewQueue {
  description: string;
  release: string | null;
  held_rows: number;
  tables: HeldTable[];
}

export const QUEUE_DESCRIPTION = 'Rows held for review (not published). Correct them in raw/corrections.csv or accept them with `sousei-kpi review accept RECORD_KEY --by NAME`; then run again. `sousei-kpi review` writes review/index.html.';

const NUMERIC_HEADER = ['数値目標', '基準値→目標値', '年度', '目標値', '実績値', '進捗度', '評価'];
const KPI_HEADER = ['施策の基本的方向', 'KPI数', '進捗度', '見込み'];

/** Which record fields (and grid columns of the numeric table) a doubt in extraction_note is about. */
const DOUBT_FIELDS: Array<{ re: RegExp; field: string | null; column: number }> = [
  { re: /(^|; )final target( unit|:)/u, field: 'final_target_value', column: 1 },
  { re: /(^|; )baseline( unit|:)/u, field: 'baseline_value', column: 1 },
  { re: /(^|; )target( unit|:)/u, field: 'target_value', column: 3 },
  { re: /(^|; )actual( unit|:)/u, field: 'actual_value', column: 4 },
  { re: /unreadable progress symbol/u, field: 'progress_reported', column: 5 },
  { re: /unreadable outlook grade/u, field: 'evaluation_reported', column: 6 },
  { re: /(^|; )table structure:/u, field: null, column: 0 },
  { re: /(^|; )table structure:.*year/u, field: null, column: 2 },
];

export function doubtsOf(note: string | null, dataset: HeldDataset): { fields: string[]; columns: number[] } {
  const text = note ?? '';
  if (dataset === 'kpi_summary') {
    // The counts disagree with each other: the count cell and the symbol cells are all in doubt.
    if (/do not add up/u.test(text)) return { fields: ['kpi_count'], columns: [1, 2, 3] };
    return /KPI count/u.test(text) ? { fields: ['kpi_count'], columns: [1] } : { fields: [], columns: [0] };
  }
  const hits = DOUBT_FIELDS.filter((d) => d.re.test(text));
  const columns = [...new Set(hits.map((h) => h.column))].sort((a, b) => a - b);
  return { fields: [...new Set(hits.map((h) => h.field).filter((f): f is string => f !== null))], columns: columns.length ? columns : [0] };
}

type Table = {
  dataset: HeldDataset;
  goalNo: number | null;
  page: number;
  regions: Region[];
  header: string[];
  grid: Array<{ cells: string[]; match: (r: Record<string, unknown>) => boolean }>;
  /** Structural problems of the whole table (not layout notes): every row of it is held. */
  failed: string[];
};

/** The extracted tables of a report with their grids, and how to find a record's grid row. */
function tablesOf(ex: ExtractedReport): Table[] {
  const numeric = ex.numericTables.map((t): Table => {
    const names = new Map<number, string>();
    for (const r of t.rows) if (!names.has(r.block)) names.set(r.block, compact(r.name));
    return {
      dataset: 'numeric_targets',
      goalNo: t.goalNo,
      page: t.page,
      regions: t.regions,
      header: NUMERIC_HEADER,
      failed: t.issues.filter((i) => !i.startsWith('note: ')),
      grid: t.rows.map((r) => ({
        cells: [r.name, r.baseline, r.year, r.target, r.actual, r.progress, r.grade],
        match: (rec) => rec.source_page === r.page && rec.indicator_name === names.get(r.block) && rec.fiscal_year === parseFiscalYear(r.year)?.fiscalYear,
      })),
    };
  });
  const kpi = ex.kpiTables.map((t): Table => ({
    dataset: 'kpi_summary',
    goalNo: t.goalNo,
    page: t.page,
    regions: t.regions,
    header: KPI_HEADER,
    // KPI table issues are layout notes (counts matched by order); its rows are checked one by one.
    failed: [],
    grid: t.rows.map((r) => ({
      cells: [r.label, r.kpiCount, r.progressPairs.map(([s, n]) => `${s}${n}`).join(' '), r.outlookPairs.map(([s, n]) => `${s}${n}`).join(' ')],
      match: (rec) => rec.source_page === r.page && rec.policy_direction_no === r.policyDirectionNo,
    })),
  }));
  return [...numeric, ...kpi];
}

/**
 * Take the doubtful rows out of a validated report. Rows the team accepted for
 * this very PDF (same sha256) are published with extraction_status = accepted.
 * Findings about a held row are replaced by one `row_held` warning.
 */
export function holdDoubtful(report: NormalizedReport, ex: ExtractedReport, src: { path: string; sha256: string }, decisions: Decision[]): { report: NormalizedReport; tables: HeldTable[]; accepted: number } {
  const failedTables = tablesOf(ex).filter((t) => t.failed.length);
  /** A row of a table that failed its checks is doubtful even when its own cells read cleanly. */
  const tableDoubt = (dataset: HeldDataset, r: NumericTarget | KPISummary): string | null => {
    // A KPI row fails its check when its symbol or outlook counts do not add up to its KPI count.
    if ('counts_consistent' in r && !r.counts_consistent) return kpiCountsDoubt(r);
    const t = failedTables.find((tb) => tb.dataset === dataset && tb.grid.some((g) => g.match(r as unknown as Record<string, unknown>)));
    return t ? `table structure: ${t.failed.join('; ')}` : null;
  };
  const held: HeldRow[] = [];
  const acceptedNotes = new Map<string, { page: number; dataset: HeldDataset; message: string }>();
  let accepted = 0;
  const keep = <R extends NumericTarget | KPISummary>(dataset: HeldDataset, rows: R[]): R[] =>
    rows.flatMap((row) => {
      // Rows the team corrected are settled; only rows read as ok inherit their table's failure.
      const failed = row.extraction_status === 'ok' ? tableDoubt(dataset, row) : null;
      if (row.extraction_status !== 'uncertain' && !failed) return [row];
      const r: R = failed ? { ...row, extraction_status: 'uncertain', extraction_note: failed } : row;
      const d = decisionFor(decisions, r.record_key, src.sha256);
      if (d) {
        accepted++;
        acceptedNotes.set(r.record_key, { page: r.source_page, dataset, message: `accepted as read by ${d.by} on ${d.at.slice(0, 10)}${d.note ? ` because ${d.note}` : ''} (the extractor doubted: ${r.extraction_note ?? 'uncertain'})` });
        return [{ ...r, extraction_status: 'accepted', extraction_note: `${r.extraction_note ?? ''}; accepted as extracted by ${d.by} on ${d.at.slice(0, 10)}${d.note ? ` because ${d.note}` : ''}`.replace(/^; /u, '') }];
      }
      const { fields } = doubtsOf(r.extraction_note, dataset);
      held.push({ dataset, record_key: r.record_key, page: r.source_page, reason: r.extraction_note ?? 'uncertain extraction', doubtful_fields: fields, candidate: { ...r } });
      return [];
    });
  const numeric = keep('numeric_targets', report.datasets.numeric_targets);
  const kpi = keep('kpi_summary', report.datasets.kpi_summary);
  if (held.length === 0 && accepted === 0) return { report, tables: [], accepted };
  const heldKeys = new Set(held.map((h) => h.record_key));
  const base = { municipality_code: report.meta.municipality_code, report_fiscal_year: report.meta.report_fiscal_year, source_file: report.meta.file };
  const findings: Finding[] = [
    // The extractor's doubt about an accepted row is settled by the team's decision.
    ...report.findings.filter((f) => !heldKeys.has(f.record_key) && !(f.rule === 'extraction_uncertain' && acceptedNotes.has(f.record_key))),
    ...[...acceptedNotes].map(([key, a]): Finding => ({ ...base, dataset: a.dataset, record_key: key, rule: 'review_accepted', severity: 'info', message: a.message, reported: null, recomputed: null, source_page: a.page })),
    ...held.map((h): Finding => ({ ...base, dataset: h.dataset, record_key: h.record_key, rule: 'row_held', severity: 'warning', message: `held for review, not published: ${h.reason}`, reported: null, recomputed: null, source_page: h.page })),
  ];
  return { report: { ...report, datasets: { ...report.datasets, numeric_targets: numeric, kpi_summary: kpi }, findings }, tables: groupByTable(held, ex, src), accepted };
}

function kpiCountsDoubt(r: KPISummary): string {
  const prog = r.achieved + r.mostly_achieved + r.not_achieved + r.undetermined;
  const outl = r.outlook_a + r.outlook_b + r.outlook_c;
  const parts = [
    ...(prog !== r.kpi_count ? [`progress counts ○${r.achieved} △${r.mostly_achieved} ×${r.not_achieved} -${r.undetermined} add up to ${prog}`] : []),
    ...(outl !== r.kpi_count ? [`outlook counts A${r.outlook_a} B${r.outlook_b} C${r.outlook_c} add up to ${outl}`] : []),
  ];
  return `counts do not add up to the KPI count ${r.kpi_count}: ${parts.join('; ')}`;
}

/** Group held rows by the table they were read from, with the table's grid and doubtful cells. */
function groupByTable(held: HeldRow[], ex: ExtractedReport, src: { path: string; sha256: string }): HeldTable[] {
  const tables = tablesOf(ex);
  const out = new Map<string, HeldTable>();
  for (const h of held) {
    const t = tables.find((tb) => tb.dataset === h.dataset && tb.grid.some((g) => g.match(h.candidate))) ?? null;
    const page = t?.page ?? h.page;
    const id = `${ex.file}#${h.dataset}-p${page}`;
    let entry = out.get(id);
    if (!entry) {
      const goal = t?.goalNo ?? (h.candidate.goal_no as number | undefined) ?? null;
      entry = {
        id,
        file: ex.file,
        path: src.path,
        sha256: src.sha256,
        dataset: h.dataset,
        goal_no: goal,
        page,
        table: `${h.dataset === 'numeric_targets' ? 'numeric-target' : 'KPI'} table of goal ${goal ?? '?'} (page ${page})`,
        regions: t?.regions ?? [],
        header: t?.header ?? [],
        grid: (t?.grid ?? []).map((g) => ({ cells: g.cells, doubtful: [], record_key: null })),
        rows: [],
      };
      out.set(id, entry);
    }
    entry.rows.push(h);
    const i = t ? t.grid.findIndex((g) => g.match(h.candidate)) : -1;
    if (i >= 0) entry.grid[i] = { ...entry.grid[i]!, doubtful: doubtsOf(h.reason, h.dataset).columns, record_key: h.record_key };
  }
  return [...out.values()];
}

export const queuePath = (outDir: string): string => join(outDir, 'review', 'queue.json');

/**
 * Write OUT/review/queue.json (replaced atomically). When nothing is held the
 * review folder (queue and page) is removed: there is nothing left to review.
 */
export function writeReviewQueue(outDir: string, tables: HeldTable[], release: string | null): string | null {
  const dir = join(outDir, 'review');
  if (tables.length === 0) {
    rmSync(dir, { recursive: true, force: true });
    return null;
  }
  if (!existsSync(dir)) mkdirSync(dir, { recursive: true });
  const queue: ReviewQueue = { description: QUEUE_DESCRIPTION, release, held_rows: tables.reduce((n, t) => n + t.rows.length, 0), tables };
  writeFileAtomic(queuePath(outDir), `${JSON.stringify(queue, null, 2)}\n`);
  return queuePath(outDir);
}
