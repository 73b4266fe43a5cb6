/**
 * The pipeline end to end: sources → extract → normalize → validate → publish.
 * Used by the CLI, the scheduler and the tests.
 */
import { closeSync, constants, fstatSync, openSync, readSync, type Stats } from 'node:fs';
import { availableParallelism } from 'node:os';
import { basename, join, resolve } from 'node:path';
import type { ExtractCache } from '../extract/cache.js';
import { extractReport, PdfInputError, type ExtractedReport } from '../extract/index.js';
import { tooManyPages } from '../extract/pdf.js';
import { sha256Hex } from '../lib/hash.js';
import { DEFAULT_LIMITS, type ExtractLimits } from '../extract/pool.js';
import { atPath, environmentFault, isSystemError } from '../lib/faults.js';
import { CORRECTIONS_FILE } from '../lib/inputs.js';
import { InputError, loadIndicators, loadSources } from '../lib/registry.js';
import { Spill } from '../lib/spill.js';
import type { Finding, SourceReport } from '../lib/records.gen.js';
import { prepareValidators } from '../lib/schemas.js';
import { applyCorrections, CorrectionsError, loadCorrections, unmatchedCorrections, type Correction, type CorrectionIssue } from '../normalize/corrections.js';
import { normalizeReport, ReportStructureError, type NormalizedReport } from '../normalize/index.js';
import { preparePublish, publish, type PublishReport, type PublishResult, type SourceInfo } from '../publish/index.js';
import { loadPublicationConfig } from '../publish/publication.js';
import { validateReport, type ValidationSummary } from '../validate/index.js';
import { loadDecisions } from '../review/decisions.js';
import { holdDoubtful, writeReviewQueue, type HeldTable } from '../review/held.js';

export type Stage = 'sources' | 'extract' | 'normalize' | 'validate' | 'publish';

export interface RunOptions {
  rawDir: string;
  outDir: string;
  /** Explicit PDFs to process instead of the registry's reports. */
  files?: string[];
  /** Metadata for explicit files that are not in the registry. */
  municipalityCode?: string;
  municipalityName?: string;
  year?: number;
  /** How many extractions may run ahead of the result being processed (default: twice the CPUs, at least 4). */
  inFlight?: number;
  /** Keep every report's records in the result (RunResult.reports[].report); by default they are kept on disk until published, so memory stays flat however many reports a run has. */
  keepRecords?: boolean;
  /** Publish the reports that worked even when others failed. */
  keepGoing?: boolean;
  /** Also publish Shift_JIS (CP932) copies of the CSV files (sjis/). */
  sjis?: boolean;
  /** Absolute URL the release folder is served from, for the download URLs in dcat.jsonld and ckan-package.json. */
  baseUrl?: string;
  log?: (stage: Stage, message: string) => void;
  /** Called after each report is processed (or failed): reports done, reports in the run. */
  progress?: (done: number, total: number, file: string) => void;
  /** Extraction function (a worker pool in production runs; in-process by default). */
  extract?: (data: Uint8Array, file: string) => Promise<ExtractedReport>;
  /** Extraction cache (extract/cache.ts): extractions of files already read are taken from it, new ones are added. */
  cache?: ExtractCache;
  /** File size and page limits (checked here and in-process; a pool enforces its own, given when it is created). */
  limits?: Partial<Pick<ExtractLimits, 'maxBytes' | 'maxPages'>>;
  now?: Date;
}

export interface FileFailure {
  file: string;
  problem: string;
  hint: string;
}

/** How many warnings and errors a ReportOutcome keeps (the run report lists them). */
export const NOTABLE_KEPT = 20;

export interface ReportOutcome {
  file: string;
  /** The PDF as read (resolved path) and the sha256 of the bytes the run processed. */
  path: string;
  sha256: string;
  pages: number;
  meta: NormalizedReport['meta'];
  summary: ValidationSummary;
  timings: Record<'extract' | 'normalize' | 'validate', number>;
  /** Number of findings, and of warnings and errors among them. */
  findingCount: number;
  notableCount: number;
  /** The first warnings and errors (at most NOTABLE_KEPT). */
  notable: Finding[];
  /** The records, only with RunOptions.keepRecords. */
  report?: NormalizedReport;
  /** Rows held for review (not published), and rows published because the team accepted them. */
  held: number;
  accepted: number;
}

export interface RunResult {
  published: PublishResult | null;
  reports: ReportOutcome[];
  failures: FileFailure[];
  /** Tables with rows held for review (written to OUT/review/queue.json when published). */
  held: HeldTable[];
  timings: { publish: number };
  /** How the files' extractions were obtained: parsed (the extract function was called), from the cache, or shared with an identical file (same sha256) of this run being parsed at the same time. */
  extraction: ExtractionCounts;
}

export interface ExtractionCounts {
  parsed: number;
  cached: number;
  shared: number;
}

interface Job {
  path: string;
  file: string;
  registry: SourceReport | null;
}

/**
 * One line explaining a failure, with the file name and a hint. `file` is the input the
 * failure belongs to, or "(run)" for the run as a whole.
 */
export function describeError(file: string, err: unknown): FileFailure {
  if (err instanceof PdfInputError || err instanceof ReportStructureError) return { file, problem: err.message, hint: err.hint };
  if (err instanceof InputError) return { file: err.file, problem: err.problem, hint: err.hint };
  const e = err as NodeJS.ErrnoException;
  if (e?.code === 'ENOENT') return { file: typeof e.path === 'string' ? e.path : file, problem: 'file not found', hint: 'check the path (registry files live in raw/)' };
  const fault = environmentFault(err, file);
  if (fault) return { file: fault.path, problem: fault.problem, hint: fault.hint };
  if (e?.code === 'ERR_INVALID_ARG_VALUE' && /null bytes/u.test(e.message)) return { file, problem: 'a path contains a NUL character', hint: 'fix the file name (in raw/sources.json or on the command line)' };
  const hint = file === '(run)' ? 'this is a bug; please report it with the command line and this message' : 'this is a bug or a PDF pdf.js cannot read; please report it with the file';
  return { file, problem: `unexpected error: ${(err as Error)?.message ?? String(err)}`, hint };
}

const kindOf = (st: Stats) =>
  st.isDirectory() ? 'a folder' : st.isFIFO() ? 'a named pipe (FIFO)' : st.isCharacterDevice() ? 'a character device' : st.isBlockDevice() ? 'a block device' : st.isSocket() ? 'a socket' : 'not a regular file';

/** Problems opening an input that belong to the input (the rest are faults of the machine). */
const INPUT_OPEN_ERRORS: Record<string, [string, string]> = {
  ENOENT: ['file not found', 'check the path (registry files live in raw/)'],
  EACCES: ['permission denied', 'check the file permissions'],
  EPERM: ['permission denied', 'check the file permissions'],
  ELOOP: ['a symbolic link that leads nowhere (or in a loop)', 'point the path at the PDF itself'],
  ENOTDIR: ['a part of the path is not a folder', 'check the path'],
  ENAMETOOLONG: ['the path is too long', 'use a shorter path'],
};

/**
 * Read an input PDF: a regular file only (a FIFO, device or folder is refused before
 * anything is read — /dev/zero would never end, a FIFO would wait forever), its size
 * checked against the limit first, and never more read than that size.
 */
export function readInput(path: string, maxBytes: number): Uint8Array {
  if (path.includes('\0')) throw new InputError(path.replace(/\0/gu, '\\0'), 'the file name contains a NUL character', 'fix the file name (the "file" entry in raw/sources.json, or the command line)');
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK); // O_NONBLOCK: opening a FIFO does not wait for a writer
  } catch (err) {
    const known = isSystemError(err) ? INPUT_OPEN_ERRORS[err.code] : undefined;
    if (known) throw new InputError(path, known[0], known[1]);
    throw err;
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new InputError(path, `is ${kindOf(st)}, not a regular file`, 'give the path of a PDF file; devices, pipes and folders are not read');
    if (st.size > maxBytes) {
      throw new PdfInputError(`the file is ${(st.size / 2 ** 20).toFixed(1)} MiB, larger than the limit of ${(maxBytes / 2 ** 20).toFixed(1)} MiB`, 'a progress report is a few MiB; check the file, or raise the limit with --max-bytes');
    }
    const data = new Uint8Array(st.size);
    let off = 0;
    while (off < st.size) {
      const n = readSync(fd, data, off, st.size - off, off);
      if (n === 0) break;
      off += n;
    }
    if (off !== st.size) throw new InputError(path, `changed while it was read (${off} of ${st.size} bytes)`, 'run again once nothing writes to the file');
    return data;
  } finally {
    closeSync(fd);
  }
}

/**
 * Extraction by sha256: from the cache when it holds the file, shared with an identical
 * file of this run that is being parsed, else parsed (and added to the cache). The page
 * limit is checked again on a cached extraction (it is not part of the cache key).
 */
function extractOnce(extract: (data: Uint8Array, file: string) => Promise<ExtractedReport>, cache: ExtractCache | null, maxPages: number, counts: ExtractionCounts) {
  const parsing = new Map<string, Promise<ExtractedReport>>();
  return async (digest: string, data: Uint8Array, file: string): Promise<{ ex: ExtractedReport; how: keyof ExtractionCounts }> => {
    const pending = parsing.get(digest);
    if (pending) {
      counts.shared++;
      // A copy: the later stages must not share objects between two reports.
      return { ex: { ...structuredClone(await pending), file }, how: 'shared' };
    }
    const cached = cache?.get(digest);
    if (cached) {
      if (cached.pageCount > maxPages) throw tooManyPages(cached.pageCount, maxPages);
      counts.cached++;
      return { ex: { ...cached, file }, how: 'cached' };
    }
    counts.parsed++;
    const p = extract(data, file);
    parsing.set(digest, p);
    try {
      const ex = await p;
      cache?.put(digest, ex);
      return { ex, how: 'parsed' };
    } finally {
      parsing.delete(digest);
    }
  };
}

/**
 * Load what the later stages need while the first extractions run: the process only
 * waits for its workers then, and otherwise pays for it after the first result. One
 * step per turn of the event loop, so a worker's message is never kept waiting long.
 * Best effort: a step that fails here fails again where it is needed, and is reported there.
 */
function warmUp(): void {
  const steps = [prepareValidators, preparePublish];
  const next = () => {
    const step = steps.shift();
    if (!step) return;
    try {
      step();
    } catch {
      /* reported where it is needed */
    }
    setImmediate(next);
  };
  setImmediate(next);
}

export async function runPipeline(opts: RunOptions): Promise<RunResult> {
  const log = opts.log ?? (() => {});
  const maxBytes = opts.limits?.maxBytes ?? DEFAULT_LIMITS.maxBytes;
  const maxPages = opts.limits?.maxPages ?? DEFAULT_LIMITS.maxPages;
  const extract = opts.extract ?? ((data: Uint8Array, file: string) => extractReport(data, file, { maxBytes, maxPages }));
  const indicators = loadIndicators(opts.rawDir);
  const publication = loadPublicationConfig(opts.rawDir);
  const correctionsFile = join(opts.rawDir, CORRECTIONS_FILE);
  const corrections = loadCorrections(correctionsFile);
  const usedCorrections = new Set<Correction>();
  const correctionIssues: CorrectionIssue[] = [];
  /** Record keys of each report of the run (municipality/year), for unmatched corrections. */
  const keysByReport = new Map<string, string[]>();
  const decisions = loadDecisions(opts.rawDir);
  const held: HeldTable[] = [];
  let registry: SourceReport[] = [];
  const jobs: Job[] = [];
  // The CLI passes its (possibly empty) list of positional files: empty means "the registry".
  const explicit = Boolean(opts.files && opts.files.length > 0);
  if (opts.files && explicit) {
    try {
      registry = loadSources(opts.rawDir).reports;
    } catch (err) {
      if (!(err instanceof InputError && err.problem.includes('not found'))) throw err;
    }
    for (const f of opts.files) {
      const name = basename(f);
      jobs.push({ path: resolve(f), file: name, registry: registry.find((r) => r.file === name) ?? null });
    }
  } else {
    registry = loadSources(opts.rawDir).reports;
    for (const r of registry) jobs.push({ path: join(opts.rawDir, r.file), file: r.file, registry: r });
  }
  log('sources', `${jobs.length} report(s) to process`);

  const outcomes: ReportOutcome[] = [];
  const failures: FileFailure[] = [];
  /** What publish gets: each report's source, and its records (read back from the spill). */
  const toPublish: PublishReport[] = [];
  const spill = opts.keepRecords ? null : new Spill<NormalizedReport>();
  const extraction: ExtractionCounts = { parsed: 0, cached: 0, shared: 0 };
  const obtain = extractOnce(extract, opts.cache ?? null, maxPages, extraction);
  try {
    // Extractions run ahead of the results in a sliding window (a pool runs them in
    // parallel), so files are read and parsed while earlier results are normalized, and
    // memory stays bounded however many reports there are. Results are taken in registry
    // order, so records, logs and failures do not depend on which file finishes first.
    const ahead = Math.max(4, opts.inFlight ?? 2 * availableParallelism());
    // Pending extractions by job index; a result is dropped from the map once it is taken.
    const extractions = new Map<number, Promise<{ ok: true; value: { digest: string; ex: ExtractedReport; how: keyof ExtractionCounts; tExtract: number } } | { ok: false; error: unknown }>>();
    let started = 0;
    const start = (i: number) => {
      const job = jobs[i];
      if (!job || i < started) return;
      started = i + 1;
      extractions.set(i, (async () => {
        const data = readInput(job.path, maxBytes);
        const digest = sha256Hex(data);
        if (!explicit && job.registry && digest !== job.registry.sha256) {
          throw new InputError(job.path, `sha256 ${digest} does not match the registry (${job.registry.sha256})`, 'the file changed since it was registered: check it and update raw/sources.json, or restore the original');
        }
        const t = performance.now();
        const { ex, how } = await obtain(digest, data, job.file);
        return { digest, ex, how, tExtract: performance.now() - t };
      })().then(
        (value) => ({ ok: true as const, value }),
        (error: unknown) => ({ ok: false as const, error }),
      ));
    };
    for (let i = 0; i < ahead; i++) start(i);
    warmUp();
    for (const [i, job] of jobs.entries()) {
      try {
        start(i);
        const done = await extractions.get(i)!;
        extractions.delete(i);
        start(i + ahead);
        if (!done.ok) throw done.error;
        const { digest, ex, how, tExtract } = done.value;
        const reg = job.registry && (explicit ? digest === job.registry.sha256 : true) ? job.registry : null;
        let t = performance.now();
        log('extract', `${job.file}: ${ex.pageCount} pages, ${ex.numericTables.reduce((n, tb) => n + tb.rows.length, 0)} numeric-target rows, ${ex.kpiTables.reduce((n, tb) => n + tb.rows.length, 0)} KPI rows (${how === 'parsed' ? `${tExtract.toFixed(0)} ms` : how === 'cached' ? 'from the cache' : 'same file as another of this run'})`);
        const code = reg?.municipality_code ?? opts.municipalityCode ?? registry.find((r) => ex.municipalityName && r.municipality_name.endsWith(ex.municipalityName))?.municipality_code;
        const name = reg?.municipality_name ?? opts.municipalityName ?? registry.find((r) => r.municipality_code === code)?.municipality_name ?? ex.municipalityName;
        if (!code || !name) {
          throw new ReportStructureError(
            `the municipality is not in raw/sources.json${ex.municipalityName ? ` (the report mentions ${ex.municipalityName} most)` : ''}`,
            'give --municipality-code (6-digit 全国地方公共団体コード) and --municipality-name, or register the report in raw/sources.json',
          );
        }
        t = performance.now();
        const normalized = normalizeReport(ex, { file: job.file, municipality_code: code, municipality_name: name, report_fiscal_year: reg?.report_fiscal_year ?? opts.year ?? null }, indicators);
        const tNormalize = performance.now() - t;
        log('normalize', `${job.file}: FY${normalized.meta.report_fiscal_year} (${normalized.meta.report_fiscal_year_label}), ${normalized.datasets.numeric_targets.length} numeric-target records, ${normalized.datasets.kpi_summary.length} KPI records, ${normalized.datasets.text_items.length} text items`);
        t = performance.now();
        const corrected = applyCorrections(normalized, corrections, CORRECTIONS_FILE);
        for (const c of corrected.used) usedCorrections.add(c);
        correctionIssues.push(...corrected.issues);
        const reportId = `${normalized.meta.municipality_code}/${normalized.meta.report_fiscal_year}`;
        keysByReport.set(reportId, [...(keysByReport.get(reportId) ?? []), ...normalized.datasets.numeric_targets.map((r) => r.record_key), ...normalized.datasets.kpi_summary.map((r) => r.record_key)]);
        const validated = validateReport(corrected.report);
        const kept = holdDoubtful(validated.report, ex, { path: job.path, sha256: digest }, decisions);
        held.push(...kept.tables);
        const { report } = kept;
        const { summary } = validated;
        const heldRows = kept.tables.reduce((n, tb) => n + tb.rows.length, 0);
        if (heldRows) log('validate', `${job.file}: ${heldRows} doubtful row(s) held for review`);
        const tValidate = performance.now() - t;
        const warn = report.findings.filter((f) => f.severity !== 'info').length;
        log('validate', `${job.file}: progress method ${summary.method}, ${report.findings.length} findings (${warn} warnings or errors)`);
        const notable = report.findings.filter((f) => f.severity !== 'info');
        outcomes.push({
          file: job.file,
          path: job.path,
          sha256: digest,
          pages: ex.pageCount,
          meta: report.meta,
          summary,
          timings: { extract: tExtract, normalize: tNormalize, validate: tValidate },
          findingCount: report.findings.length,
          notableCount: notable.length,
          notable: notable.slice(0, NOTABLE_KEPT),
          ...(spill ? {} : { report }),
          held: heldRows,
          accepted: kept.accepted,
        });
        const source: SourceInfo = {
          file: job.file,
          sha256: digest,
          title: reg?.title ?? ex.info.title,
          url: reg?.url ?? null,
          municipality_code: code,
          municipality_name: name,
          report_fiscal_year: report.meta.report_fiscal_year,
          ...(reg?.synthetic ? { synthetic: true } : {}),
          pdf_path: job.path,
        };
        let stored: PublishReport['report'] = report;
        try {
          if (spill) stored = spill.put(report);
        } catch (err) {
          atPath(err, spill!.dir);
        }
        toPublish.push({ source, report: stored });
      } catch (err) {
        // A fault of the machine (disk full, read-only, permissions) is the run's failure, never this file's.
        const fault = environmentFault(err, job.path);
        if (fault) throw fault;
        const f = describeError(job.path, err);
        failures.push(f);
        log('extract', `FAILED ${f.file}: ${f.problem} (${f.hint})`);
      }
      opts.progress?.(i + 1, jobs.length, job.file);
    }
    const first0 = outcomes[0]?.meta ?? { municipality_code: '', report_fiscal_year: 0 };
    const unmatched = unmatchedCorrections(corrections, usedCorrections, correctionsFile, new Set(keysByReport.keys()), first0, (c) => keysByReport.get(c.record_key.split('/').slice(0, 2).join('/')) ?? []);
    correctionIssues.push(...unmatched.issues);
    if (correctionIssues.length) throw new CorrectionsError(correctionsFile, correctionIssues.sort((a, b) => a.line - b.line || a.column - b.column));
    if (outcomes.length === 0 || (failures.length > 0 && !opts.keepGoing)) {
      return { published: null, reports: outcomes, failures, held, timings: { publish: 0 }, extraction };
    }
    const first = outcomes[0]!.meta;
    const extraFindings: Finding[] = unmatched.findings;
    // A duplicate report (same municipality and year twice) would make rows ambiguous.
    const seenReports = new Map<string, string>();
    for (const o of outcomes) {
      const k = `${o.meta.municipality_code}/${o.meta.report_fiscal_year}`;
      const prev = seenReports.get(k);
      if (prev) throw new InputError(o.file, `the run holds two reports of ${k}: ${prev} and ${o.file}`, 'keep one report per municipality and fiscal year in raw/sources.json (older versions are kept in its versions history)');
      seenReports.set(k, o.file);
    }
    extraFindings.push(...failures.map((f): Finding => ({
      municipality_code: first.municipality_code,
      report_fiscal_year: first.report_fiscal_year,
      dataset: 'report',
      record_key: basename(f.file),
      rule: 'file_failed',
      severity: 'error',
      message: `${basename(f.file)} was not processed: ${f.problem}`,
      reported: null,
      recomputed: null,
      source_file: basename(f.file),
      source_page: null,
    })));
    const t = performance.now();
    const published = publish(opts.outDir, { reports: toPublish, extraFindings, sjis: opts.sjis, publication, ...(opts.baseUrl ? { baseUrl: opts.baseUrl } : {}) }, opts.now);
    const tPublish = performance.now() - t;
    log('publish', `${published.created ? 'new release' : 'unchanged, release'} ${published.releaseId} in ${opts.outDir} (${Object.entries(published.rowCounts).map(([k, v]) => `${k} ${v}`).join(', ')})`);
    writeReviewQueue(opts.outDir, held, published.releaseId);
    return { published, reports: outcomes, failures, held, timings: { publish: tPublish }, extraction };
  } finally {
    spill?.close();
  }
}
