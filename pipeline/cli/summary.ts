/** What a run or a check says at the end: the summary lines, the exit status, and failures. */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../lib/registry.js';
import type { Finding } from '../lib/records.gen.js';
import { CorrectionsError, issueText } from '../normalize/corrections.js';
import type { ExtractCache } from '../extract/cache.js';
import type { ExtractPool } from '../extract/pool.js';
import { describeError, type RunResult } from './run.js';

/** Exit statuses of run and check (documented in main.ts and the README). */
export const EXIT = {
  ok: 0,
  failed: 1,
  usage: 2,
  /** Published with some files failed (--keep-going). */
  partial: 3,
  /** Published, with doubtful rows held for review (not published). */
  held: 4,
} as const;

export const heldRows = (res: RunResult): number => res.held.reduce((n, t) => n + t.rows.length, 0);

export function exitStatus(res: RunResult): number {
  if (!res.published) return EXIT.failed;
  if (res.failures.length) return EXIT.partial;
  return heldRows(res) ? EXIT.held : EXIT.ok;
}

/** The findings of a published release. */
export function releaseFindings(releaseDir: string): Finding[] {
  const p = join(releaseDir, 'findings.json');
  return existsSync(p) ? (JSON.parse(readFileSync(p, 'utf8')) as Finding[]) : [];
}

/** The short summary printed at the end of a run. */
export function summaryLines(res: RunResult, findings: Finding[], verb: 'published' | 'to publish'): string[] {
  const p = res.published;
  const count = { error: 0, warning: 0, info: 0 };
  for (const f of findings) count[f.severity]++;
  const rows = p ? p.rowCounts.numeric_targets + p.rowCounts.kpi_summary : 0;
  const held = heldRows(res);
  const lines = [
    `[summary] reports ${res.reports.length}${res.failures.length ? ` (${res.failures.length} failed)` : ''} · rows ${verb} ${rows} (numeric targets ${p?.rowCounts.numeric_targets ?? 0}, KPI ${p?.rowCounts.kpi_summary ?? 0}) · rows held for review ${held} · findings: ${count.error} error, ${count.warning} warning, ${count.info} info`,
  ];
  if (p) lines.push(`[summary] release ${p.releaseDir}${p.created ? ' (new)' : ' (unchanged content: existing release)'}`);
  if (held) lines.push(`[summary] ${held} doubtful row(s) held: \`sousei-kpi review\` shows them beside the PDF; correct them in raw/corrections.csv or accept them`);
  return lines;
}

/**
 * Print a failure that stopped the run: every invalid line of a corrections file, or one line.
 * `run` follows this with its own last line saying whether latest moved (so it passes
 * `lastLine: false`); `check`, which never publishes, gets the corrections file's closing line here.
 */
export function printStopped(err: unknown, opts: { lastLine?: boolean; write?: (s: string) => void } = {}): void {
  const write = opts.write ?? ((s: string) => process.stderr.write(s));
  if (err instanceof CorrectionsError) {
    for (const i of err.issues) write(`sousei-kpi: ${err.file}: ${issueText(i)} — ${i.hint}\n`);
    if (opts.lastLine !== false) write('sousei-kpi: nothing was published; fix the corrections file and run again\n');
    return;
  }
  const f = err instanceof InputError ? { file: err.file, problem: err.problem, hint: err.hint } : describeError('(run)', err);
  write(`sousei-kpi: ${f.file}: ${f.problem} — ${f.hint}\n`);
}

/** The --timings line: stage times, how the extractions were got, and where the workers' time went. */
export function timingsLine(res: RunResult, pool: ExtractPool, cache: ExtractCache, started: number) {
  const sum = (k: 'normalize' | 'validate') => Math.round(res.reports.reduce((n, r) => n + r.timings[k], 0));
  const stats = pool.stats();
  const ms = (x: number) => Math.round(x);
  return {
    reports: res.reports.length,
    pages: res.reports.reduce((n, r) => n + r.pages, 0),
    workers: pool.size,
    wall_ms: ms(performance.now() - started),
    extract_ms: ms(stats.busyMs),
    normalize_ms: sum('normalize'),
    validate_ms: sum('validate'),
    publish_ms: ms(res.timings.publish),
    // Extractions: parsed by a worker, taken from the cache, shared with an identical file.
    ...res.extraction,
    cache_rejected: cache.counters.rejected,
    cache_written: cache.counters.written,
    // Worker time of the parsed files: pdf.js text pass, operator-list pass, rest of reading, our analysis.
    extract_split_ms: { text: ms(stats.profile.text), operators: ms(stats.profile.operators), other_read: ms(stats.profile.otherRead), analysis: ms(stats.profile.analysis) },
    // The pipeline ran (true only in the line of a run skipped on unchanged input, cli/rerun.ts).
    unchanged_input: false,
  };
}
