/**
 * One run, as the scheduler and `sousei-kpi ingest` do it: take the run lock, ingest
 * (download what is new), then — for scheduled runs — process and publish with
 * runPipeline, and write the run report (OUT/runs/<timestamp>-<id>.jsonl and .txt).
 *
 * A run that fails leaves raw/ and the last release as they were (downloads land in
 * temporary files, the registry and releases are switched atomically), so the next run
 * completes the work. A cancelled run (AbortSignal) stops its downloads, removes their
 * temporary files and does not start the pipeline; once started, the pipeline (seconds)
 * is let finish, since publishing is atomic anyway.
 */
import { join } from 'node:path';
import { describeError, runPipeline, type RunOptions, type RunResult } from '../cli/run.js';
import { createExtractPool } from '../extract/pool.js';
import type { SourceReport } from '../lib/records.gen.js';
import { InputError } from '../lib/registry.js';
import { addReport, FetchError, ingest, type FetchLimits, type IngestResult, type NewReport } from '../ingest/index.js';
import { acquireLock } from './lock.js';
import { RunLog, type Level } from './runlog.js';
import { ExtractCache } from '../extract/cache.js';

export type RunKind = 'ingest' | 'scheduled' | 'catch-up' | 'retry' | 'manual';
export type JobStatus = 'ok' | 'failed' | 'aborted' | 'busy';

export interface JobOptions {
  rawDir: string;
  outDir: string;
  kind: RunKind;
  /** Process and publish after ingesting (false for a one-off `ingest`). */
  pipeline: boolean;
  /** The cron fire time this run handles, if any. */
  fire?: Date | null;
  /** Register this report first (`ingest --add`). */
  add?: NewReport;
  limits?: Partial<FetchLimits>;
  /** Publishing options, as for `sousei-kpi run --sjis --base-url`. */
  publish?: { sjis?: boolean; baseUrl?: string };
  /** How PDFs are read; default: a pool of isolated worker processes (downloaded files are untrusted). */
  extract?: RunOptions['extract'];
  signal?: AbortSignal;
  lockMaxAgeMs?: number;
  /** Progress for a terminal or the journal. */
  echo?: (line: string) => void;
}

export interface JobResult {
  /** <timestamp>-<id>, the name of the run report files. */
  id: string;
  status: JobStatus;
  startedAt: Date;
  finishedAt: Date;
  ingest: IngestResult | null;
  pipeline: RunResult | null;
  added: SourceReport | null;
  errors: string[];
  jsonl: string;
  txt: string;
  summary: string;
}

export const runsDir = (outDir: string) => join(outDir, 'runs');

const problem = (err: unknown) => {
  if (err instanceof FetchError) return err.message;
  const f = err instanceof InputError ? { file: err.file, problem: err.problem, hint: err.hint } : describeError('(run)', err);
  return `${f.file}: ${f.problem} — ${f.hint}`;
};

export async function runJob(opts: JobOptions): Promise<JobResult> {
  const startedAt = new Date();
  const echo = opts.echo;
  const log = new RunLog(runsDir(opts.outDir), startedAt, echo ? (level: Level, event, data) => echo(`[${level}] ${event}${Object.keys(data).length ? ` ${JSON.stringify(data)}` : ''}`) : undefined);
  const errors: string[] = [];
  let status: JobStatus = 'ok';
  let ing: IngestResult | null = null;
  let pipe: RunResult | null = null;
  let added: SourceReport | null = null;
  log.event('info', 'run-started', { kind: opts.kind, fire: opts.fire?.toISOString() ?? null, raw: opts.rawDir, out: opts.outDir, pid: process.pid });

  const lock = acquireLock(join(runsDir(opts.outDir), 'lock'), { purpose: `${opts.kind} ${log.name}`, ...(opts.lockMaxAgeMs ? { maxAgeMs: opts.lockMaxAgeMs } : {}) });
  if (!lock.ok) {
    status = 'busy';
    const h = lock.holder;
    errors.push(`another run holds the lock ${join(runsDir(opts.outDir), 'lock')}${h ? ` (pid ${h.pid} on ${h.hostname}, ${h.purpose}, since ${h.started_at})` : ''}; nothing was done`);
  } else {
    if (lock.tookOver) log.event('warn', 'lock-taken-over', { reason: lock.tookOver });
    try {
      const common = { ...(opts.limits ? { limits: opts.limits } : {}), ...(opts.signal ? { signal: opts.signal } : {}), log: (level: Level, event: string, data: Record<string, unknown>) => log.event(level, event, data) };
      if (opts.add) {
        const add = opts.add;
        added = await addReport(opts.rawDir, add, common).catch((err: unknown) => {
          if (err instanceof FetchError && err.kind !== 'aborted') err.message = `--add ${add.url}: ${err.message}`;
          throw err;
        });
      }
      ing = await ingest({ rawDir: opts.rawDir, ...common });
      errors.push(...ing.errors.map((e) => `${e.subject}: ${e.message}${e.url ? ` (${e.url})` : ''}`));
      if (opts.pipeline) {
        if (opts.signal?.aborted) throw new FetchError('stopped before processing', 'aborted', false);
        const pool = opts.extract ? null : createExtractPool();
        try {
          pipe = await runPipeline({
            rawDir: opts.rawDir,
            outDir: opts.outDir,
            ...opts.publish,
            extract: opts.extract ?? pool!.extract,
            // Unchanged reports are not parsed again (the same cache as `run`, under the output folder).
            cache: new ExtractCache(opts.outDir, { warn: (message) => log.event('warn', 'extraction-cache', { message }) }),
            log: (stage, message) => log.event('info', `pipeline-${stage}`, { message }),
          });
        } finally {
          await pool?.close();
        }
        for (const f of pipe.failures) errors.push(`${f.file}: ${f.problem} — ${f.hint}`);
        if (!pipe.published) errors.push('nothing was published; the previous release is unchanged');
      }
      if (errors.length) status = 'failed';
    } catch (err) {
      if (opts.signal?.aborted || (err instanceof FetchError && err.kind === 'aborted')) {
        status = 'aborted';
        errors.push('stopped on request; partial downloads were removed, raw/ and the last release are unchanged');
      } else {
        status = 'failed';
        errors.push(problem(err));
      }
    } finally {
      lock.release();
    }
  }
  const finishedAt = new Date();
  const summary = formatSummary({ name: log.name, kind: opts.kind, fire: opts.fire ?? null, status, startedAt, finishedAt, ingest: ing, pipeline: pipe, added, errors });
  log.event(status === 'ok' ? 'info' : 'error', 'run-finished', {
    status,
    errors,
    fetched: ing?.fetched.map((f) => ({ id: f.id, outcome: f.outcome, file: f.file })) ?? [],
    raw_changed: ing?.changed ?? false,
    discovered: ing?.discovered ?? [],
    release: pipe?.published ? { id: pipe.published.releaseId, created: pipe.published.created } : null,
    findings: pipe ? pipe.reports.reduce((n, r) => n + r.findingCount, 0) : null,
  });
  log.writeSummary(summary);
  return { id: log.name, status, startedAt, finishedAt, ingest: ing, pipeline: pipe, added, errors, jsonl: log.jsonl, txt: log.txt, summary };
}

const OUTCOME_TEXT: Record<string, string> = {
  'not-modified': 'not modified (304)',
  unchanged: 'unchanged (same bytes)',
  restored: 'RESTORED missing file',
  'new-version': 'NEW VERSION',
  failed: 'FAILED',
};

function formatSummary(r: Pick<JobResult, 'status' | 'startedAt' | 'finishedAt' | 'ingest' | 'pipeline' | 'added' | 'errors'> & { name: string; kind: RunKind; fire: Date | null }): string {
  const lines = [
    `sousei-kpi ${r.kind} run ${r.name}: ${r.status.toUpperCase()}`,
    `started ${r.startedAt.toISOString()}, finished ${r.finishedAt.toISOString()}${r.fire ? `, for the scheduled time ${r.fire.toISOString()}` : ''}`,
    '',
  ];
  if (r.added) lines.push(`Registered: ${r.added.id} (FY${r.added.report_fiscal_year}) as raw/${r.added.file} from ${r.added.url}`, '');
  if (r.ingest) {
    lines.push('Fetched:');
    for (const f of r.ingest.fetched) {
      lines.push(`  ${f.id}: ${OUTCOME_TEXT[f.outcome]}${f.outcome === 'new-version' || f.outcome === 'restored' ? ` raw/${f.file} (${f.bytes} bytes, sha256 ${f.sha256.slice(0, 12)}…)` : ''}${f.error ? ` — ${f.error}` : ''}  <${f.url}>`);
    }
    if (r.ingest.fetched.length === 0) lines.push('  (no report has a url)');
    if (r.ingest.local.length) lines.push(`  local only (no url): ${r.ingest.local.join(', ')}`);
    if (r.ingest.discovered.length) {
      lines.push('', 'Discovered on watched pages, not registered (check them; register a progress report with', '`sousei-kpi ingest --add URL --id ID --year YYYY`):');
      for (const d of r.ingest.discovered) lines.push(`  ${d.url}${d.text ? `  "${d.text}"` : ''}  (on ${d.page_url})`);
    }
    lines.push('');
  }
  if (r.pipeline) {
    const p = r.pipeline.published;
    lines.push(p ? `Published: ${p.created ? 'NEW release' : 'no change, release'} ${p.releaseId} (${Object.entries(p.rowCounts).map(([k, v]) => `${k} ${v}`).join(', ')}); latest -> ${p.releaseId}` : 'Published: nothing (the previous release stays latest)');
    if (r.pipeline.reports.length) {
      const total = r.pipeline.reports.reduce((n, o) => n + o.findingCount, 0);
      const notableCount = r.pipeline.reports.reduce((n, o) => n + o.notableCount, 0);
      const notable = r.pipeline.reports.flatMap((o) => o.notable).slice(0, 20);
      lines.push(`Findings: ${total} (${notableCount} warnings or errors)`);
      for (const f of notable) lines.push(`  [${f.severity}] ${f.source_file}${f.source_page ? ` p.${f.source_page}` : ''}: ${f.message}`);
      if (notableCount > notable.length) lines.push(`  … ${notableCount - notable.length} more in findings.csv`);
    }
    lines.push('');
  }
  lines.push(r.errors.length ? 'Errors:' : 'Errors: none');
  for (const e of r.errors) lines.push(`  ${e}`);
  return `${lines.join('\n')}\n`;
}
