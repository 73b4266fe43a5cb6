/**
 * Ingest: bring raw/ up to date with the reports' published URLs.
 *
 * For every report in raw/sources.json with a `url`, a conditional GET (If-None-Match /
 * If-Modified-Since from the stored etag / last_modified). A body is accepted only when it
 * is a PDF (Content-Type and %PDF- magic) within the size limit; it is streamed into a
 * temporary file in raw/, hashed, and only then renamed into place. Bytes equal to the
 * registered file change nothing. Different bytes are a new version of the report, kept
 * beside the old file as raw/<stem>.v<N>.pdf — never an overwrite — and the registry
 * entry moves to it, with the whole history in `versions`. The registry is rewritten
 * atomically (temporary file + rename) after each report.
 *
 * Pages in `page_url` are fetched and their links to PDFs that no report has as url are
 * reported as `discovered`. They are not registered: a link alone does not say which
 * fiscal year (or whether a progress report at all) it is. `addReport` registers one
 * once a person has said so (`sousei-kpi ingest --add URL --id ID --year YYYY`).
 *
 * The caller holds the run lock (pipeline/schedule/lock.ts); nothing here is safe to run
 * twice at once on the same raw/.
 */
import { sha256Hex } from '../lib/hash.js';
import { existsSync, linkSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { fsyncDir } from '../lib/durable.js';
import { join } from 'node:path';
import type { SourceReport, SourceVersion } from '../lib/records.gen.js';
import { InputError, loadSources, saveSources } from '../lib/registry.js';
import { abortedError, DEFAULT_LIMITS, downloadPdf, fetchHtml, FetchError, type FetchLimits, type FetchOptions } from './http.js';
import { canonicalUrl, extractLinksAsync } from './links.js';

export { DEFAULT_LIMITS, FetchError, type FetchLimits } from './http.js';

export type IngestLog = (level: 'info' | 'warn' | 'error', event: string, data: Record<string, unknown>) => void;

export interface IngestOptions {
  rawDir: string;
  limits?: Partial<FetchLimits>;
  signal?: AbortSignal;
  log?: IngestLog;
  now?: () => Date;
}

/**
 * not-modified: 304 to the conditional request; unchanged: 200 with the registered bytes;
 * restored: the registered file was missing from raw/ and was downloaded again;
 * new-version: different bytes, kept as a new file; failed: see `error`.
 */
export type FetchOutcome = 'not-modified' | 'unchanged' | 'restored' | 'new-version' | 'failed';

export interface ReportFetch {
  id: string;
  url: string;
  outcome: FetchOutcome;
  /** The report's current file in raw/ after the fetch. */
  file: string;
  sha256: string;
  bytes: number | null;
  attempts: number;
  error: string | null;
}

export interface DiscoveredLink {
  page_url: string;
  url: string;
  text: string;
}

export interface IngestProblem {
  subject: string;
  url: string | null;
  message: string;
}

export interface IngestResult {
  fetched: ReportFetch[];
  /** Ids of reports without a url (local files only). */
  local: string[];
  /** PDF links on watched pages that no report has as its url. */
  discovered: DiscoveredLink[];
  errors: IngestProblem[];
  /** true when raw/ gained a file (a new version or a restored one). */
  changed: boolean;
}

const DEFAULT_LINK_PATTERN = /\.pdf(?:$|[?#])/i;
const isoNow = (now: () => Date) => now().toISOString();

export function sha256File(path: string): string {
  return sha256Hex(readFileSync(path));
}


/** Move a verified temporary file to `dest` unless `dest` exists (then false). */
function placeNoClobber(tmp: string, dest: string): boolean {
  try {
    linkSync(tmp, dest); // fails with EEXIST instead of replacing
    rmSync(tmp, { force: true });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EXDEV') throw err;
    if (existsSync(dest)) return false; // no hard links here; the run lock keeps this check race-free
    renameSync(tmp, dest);
  }
  return true;
}

/** Remove temporary downloads left by a run that was killed (the caller holds the run lock). */
export function cleanPartials(rawDir: string): string[] {
  const removed = readdirSync(rawDir).filter((n) => /^\.ingest-\d+-[0-9a-f]+\.part$/.test(n) || /^\.sources\.json\.tmp-/.test(n));
  for (const n of removed) rmSync(join(rawDir, n), { force: true });
  return removed;
}

function versionOf(r: SourceReport): SourceVersion {
  return { file: r.file, sha256: r.sha256, fetched_at: r.fetched_at ?? null, etag: r.etag ?? null, last_modified: r.last_modified ?? null, url: r.url ?? null };
}

/** Apply `patch` to report `id` in a freshly loaded registry and save it atomically. */
function updateEntry(rawDir: string, id: string, patch: Partial<SourceReport>): void {
  const reg = loadSources(rawDir);
  const i = reg.reports.findIndex((r) => r.id === id);
  if (i < 0) throw new InputError(join(rawDir, 'sources.json'), `report "${id}" disappeared from the registry during ingest`, 'the downloaded file is kept in raw/; register it again');
  reg.reports[i] = { ...reg.reports[i]!, ...patch };
  saveSources(rawDir, reg);
  fsyncDir(rawDir);
}

/**
 * Put a new version of report `r` beside its files: raw/<stem>.v<N>.pdf with N one more
 * than any version so far. A file of that name with the same bytes (left by a run that
 * died before saving the registry) is adopted; any other existing file is skipped.
 */
function placeNewVersion(rawDir: string, r: SourceReport, tmp: string, digest: string): string {
  const stem = r.file.replace(/\.pdf$/i, '').replace(/\.v\d+$/, '');
  const used = new Set([r.file, ...(r.versions ?? []).map((v) => v.file)]);
  let n = Math.max(1, ...[...used].map((f) => Number(/\.v(\d+)\.pdf$/i.exec(f)?.[1] ?? 1))) + 1;
  for (; ; n++) {
    const name = `${stem}.v${n}.pdf`;
    if (used.has(name)) continue;
    const dest = join(rawDir, name);
    if (placeNoClobber(tmp, dest)) return name;
    if (sha256File(dest) === digest) {
      rmSync(tmp, { force: true });
      return name;
    }
  }
}

async function fetchReport(rawDir: string, r: SourceReport & { url: string }, fo: FetchOptions, now: () => Date, log: IngestLog): Promise<ReportFetch> {
  const local = join(rawDir, r.file);
  let haveLocal = false;
  if (existsSync(local)) {
    const digest = sha256File(local);
    if (digest !== r.sha256) {
      throw new InputError(local, `does not match its registered sha256 (the file has ${digest})`, 'ingest never overwrites it: restore the file, or fix raw/sources.json');
    }
    haveLocal = true;
  }
  const res = await downloadPdf(r.url, rawDir, haveLocal ? { etag: r.etag, lastModified: r.last_modified } : {}, fo);
  const base = { id: r.id, url: r.url, attempts: res.attempts, error: null };
  if (res.kind === 'not-modified') return { ...base, outcome: 'not-modified', file: r.file, sha256: r.sha256, bytes: null };
  try {
    const http = { etag: res.etag, last_modified: res.lastModified };
    if (res.sha256 === r.sha256) {
      let outcome: FetchOutcome = 'unchanged';
      if (!haveLocal) {
        if (!placeNoClobber(res.tmpPath, local)) throw new InputError(local, 'appeared during the download', 'another process writes to raw/; run one ingest at a time');
        fsyncDir(rawDir);
        outcome = 'restored';
      }
      const patch: Partial<SourceReport> = { ...http, fetched_at: r.fetched_at ?? isoNow(now) };
      if (r.versions?.length) patch.versions = [...r.versions.slice(0, -1), { ...r.versions.at(-1)!, ...http, fetched_at: patch.fetched_at! }];
      if (patch.etag !== (r.etag ?? null) || patch.last_modified !== (r.last_modified ?? null) || patch.fetched_at !== r.fetched_at) updateEntry(rawDir, r.id, patch);
      return { ...base, outcome, file: r.file, sha256: r.sha256, bytes: res.bytes };
    }
    const file = placeNewVersion(rawDir, r, res.tmpPath, res.sha256);
    fsyncDir(rawDir);
    const fetched_at = isoNow(now);
    const current: SourceVersion = { file, sha256: res.sha256, fetched_at, ...http, url: res.url };
    updateEntry(rawDir, r.id, { file, sha256: res.sha256, fetched_at, ...http, versions: [...(r.versions ?? [versionOf(r)]), current] });
    log('info', 'new-version', { report: r.id, file, previous_file: r.file, sha256: res.sha256, bytes: res.bytes });
    return { ...base, outcome: 'new-version', file, sha256: res.sha256, bytes: res.bytes };
  } finally {
    rmSync(res.tmpPath, { force: true });
  }
}

function errorText(err: unknown): string {
  if (err instanceof InputError) return `${err.problem} — ${err.hint}`;
  if (err instanceof FetchError) return `${err.message}${err.attempts > 1 ? ` (after ${err.attempts} attempts)` : ''}`;
  return (err as Error)?.message ?? String(err);
}

const isAbort = (err: unknown, signal?: AbortSignal) => signal?.aborted === true || (err instanceof FetchError && err.kind === 'aborted');

export async function ingest(opts: IngestOptions): Promise<IngestResult> {
  const limits = { ...DEFAULT_LIMITS, ...opts.limits };
  const now = opts.now ?? (() => new Date());
  const log: IngestLog = opts.log ?? (() => {});
  const signal = opts.signal;
  const fo: FetchOptions = {
    limits,
    ...(signal ? { signal } : {}),
    onRetry: (attempt, err, delayMs) => log('warn', 'retry', { attempt, error: err.message, delay_ms: delayMs }),
  };
  const removed = cleanPartials(opts.rawDir);
  if (removed.length) log('warn', 'cleaned-partials', { files: removed });
  const reports = loadSources(opts.rawDir).reports;
  const result: IngestResult = { fetched: [], local: [], discovered: [], errors: [], changed: false };

  for (const r of reports) {
    if (signal?.aborted) throw abortedError();
    if (!r.url) {
      result.local.push(r.id);
      continue;
    }
    log('info', 'fetch-start', { report: r.id, url: r.url, conditional: Boolean(r.etag || r.last_modified) });
    try {
      const f = await fetchReport(opts.rawDir, { ...r, url: r.url }, fo, now, log);
      result.fetched.push(f);
      if (f.outcome === 'new-version' || f.outcome === 'restored') result.changed = true;
      log('info', 'fetch-done', { ...f });
    } catch (err) {
      if (isAbort(err, signal)) throw abortedError();
      const message = errorText(err);
      result.fetched.push({ id: r.id, url: r.url, outcome: 'failed', file: r.file, sha256: r.sha256, bytes: null, attempts: err instanceof FetchError ? err.attempts : 1, error: message });
      result.errors.push({ subject: r.id, url: r.url, message });
      log('error', 'fetch-failed', { report: r.id, url: r.url, error: message });
    }
  }

  // Watched pages: each page once, with the union of its reports' link patterns.
  const known = new Set<string>();
  for (const r of reports) {
    for (const u of [r.url, ...(r.versions ?? []).map((v) => v.url)]) {
      try {
        if (u) known.add(canonicalUrl(u));
      } catch {
        /* not a URL: cannot match a link */
      }
    }
  }
  const pages = new Map<string, RegExp[]>();
  for (const r of reports) {
    if (!r.page_url) continue;
    let pattern = DEFAULT_LINK_PATTERN;
    try {
      if (r.page_pattern) pattern = new RegExp(r.page_pattern, 'i');
    } catch (err) {
      result.errors.push({ subject: r.id, url: r.page_url, message: `page_pattern is not a valid regular expression (${(err as Error).message})` });
      continue;
    }
    pages.set(r.page_url, [...(pages.get(r.page_url) ?? []), pattern]);
  }
  for (const [page, patterns] of pages) {
    if (signal?.aborted) throw abortedError();
    try {
      const deadline = Date.now() + limits.totalTimeoutMs;
      const { html, url } = await fetchHtml(page, fo);
      // Parsed in slices between turns of the event loop: a cancel or the --timeout stops it.
      const links = (await extractLinksAsync(html, url, () => {
        if (signal?.aborted) throw abortedError();
        if (Date.now() > deadline) throw new FetchError(`not read within ${limits.totalTimeoutMs} ms (the page is too large to scan)`, 'timeout', false);
      })).filter((l) => patterns.some((p) => p.test(l.url)));
      const fresh = links.filter((l) => !known.has(l.url));
      for (const l of fresh) result.discovered.push({ page_url: page, url: l.url, text: l.text });
      log('info', 'page-checked', { page_url: page, pdf_links: links.length, unregistered: fresh.map((l) => l.url) });
    } catch (err) {
      if (isAbort(err, signal)) throw abortedError();
      const message = errorText(err);
      result.errors.push({ subject: `page ${page}`, url: page, message });
      log('error', 'page-failed', { page_url: page, error: message });
    }
  }
  return result;
}

export interface NewReport {
  url: string;
  id: string;
  report_fiscal_year: number;
  municipality_code?: string;
  municipality_name?: string;
  title?: string;
  /** File name in raw/ (default <id>.pdf). */
  file?: string;
  page_url?: string;
}

/**
 * Register a report a person has identified (typically a `discovered` link): download it,
 * verify it is a PDF, place it in raw/ and add the entry. Municipality defaults to the
 * registry's only municipality when there is exactly one.
 */
export async function addReport(rawDir: string, add: NewReport, opts: Omit<IngestOptions, 'rawDir'> = {}): Promise<SourceReport> {
  const path = join(rawDir, 'sources.json');
  const now = opts.now ?? (() => new Date());
  const reg = loadSources(rawDir);
  const file = add.file ?? `${add.id}.pdf`;
  const munis = [...new Map(reg.reports.map((r) => [r.municipality_code, r.municipality_name])).entries()];
  const code = add.municipality_code ?? (munis.length === 1 ? munis[0]![0] : undefined);
  const name = add.municipality_name ?? munis.find(([c]) => c === code)?.[1];
  if (!code || !name) throw new InputError(path, 'the municipality of the new report is not known', 'give --municipality-code and --municipality-name');
  if (reg.reports.some((r) => r.id === add.id)) throw new InputError(path, `a report with id "${add.id}" is already registered`, 'choose another id (e.g. kurume-h29)');
  const dup = reg.reports.find((r) => r.url && canonicalUrl(r.url) === canonicalUrl(add.url));
  if (dup) throw new InputError(path, `${add.url} is already the url of report "${dup.id}"`, 'ingest fetches it (and its new versions) already');
  if (existsSync(join(rawDir, file))) throw new InputError(join(rawDir, file), 'already exists', 'choose another --file or id');
  cleanPartials(rawDir);
  const limits = { ...DEFAULT_LIMITS, ...opts.limits };
  const res = await downloadPdf(add.url, rawDir, {}, { limits, ...(opts.signal ? { signal: opts.signal } : {}) });
  if (res.kind !== 'ok') throw new FetchError('HTTP 304 to a request that was not conditional', 'http', false, 304);
  try {
    const same = reg.reports.find((r) => r.sha256 === res.sha256);
    if (same) throw new InputError(path, `the file at ${add.url} is the same as report "${same.id}" (sha256 ${res.sha256})`, 'nothing to add');
    if (!placeNoClobber(res.tmpPath, join(rawDir, file))) throw new InputError(join(rawDir, file), 'appeared during the download', 'run one ingest at a time');
    fsyncDir(rawDir);
    const entry: SourceReport = {
      id: add.id,
      file,
      municipality_code: code,
      municipality_name: name,
      report_fiscal_year: add.report_fiscal_year,
      ...(add.title ? { title: add.title } : {}),
      sha256: res.sha256,
      url: add.url,
      page_url: add.page_url ?? null,
      etag: res.etag,
      last_modified: res.lastModified,
      fetched_at: isoNow(now),
    };
    try {
      const fresh = loadSources(rawDir);
      fresh.reports.push(entry);
      saveSources(rawDir, fresh);
    } catch (err) {
      rmSync(join(rawDir, file), { force: true }); // not registered: do not leave it behind
      throw err;
    }
    fsyncDir(rawDir);
    opts.log?.('info', 'report-added', { ...entry });
    return entry;
  } finally {
    rmSync(res.tmpPath, { force: true });
  }
}
