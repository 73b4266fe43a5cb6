import { ExtractCache } from '../extract/cache.js';
import { createExtractPool, DEFAULT_LIMITS } from '../extract/pool.js';
import { dropPrestarted } from '../extract/spawn.js';
import { latestRelease } from '../publish/index.js';
import { acquireLock, runLockPath } from '../schedule/lock.js';
import { checkCommand } from './cmd-check.js';
import type { Command } from './main.js';
import { createProgress } from './progress.js';
import { describeError, runPipeline, type RunResult } from './run.js';
import { parseRunArgs } from './run-args.js';
import { IN_FLIGHT_PER_WORKER } from './run-options.js';
import { fingerprintOptions, inputFingerprint, outState, rawInputsNow, RUN_RECORD_FORMAT, runRecordPath, writeRunRecord, type FingerprintOptions } from './run-record.js';
import { EXIT, exitStatus, printStopped, releaseFindings, summaryLines, timingsLine } from './summary.js';

const usage = `Usage: sousei-kpi run [FILE.pdf ...] [options]

Without files, processes every report listed in raw/sources.json into output/.
With files, processes just those PDFs (metadata from the registry when the file
is registered there with the same sha256, else from the options below or the report).

Options:
  --out DIR                 publication folder (default: output/ of the project)
  --raw DIR                 folder with sources.json, indicators.json and the PDFs (default: raw/)
  --municipality-code CODE  6-digit 全国地方公共団体コード for unregistered files
  --municipality-name NAME  municipality name for unregistered files (e.g. 福岡県久留米市)
  --year YYYY               report fiscal year (Western) for unregistered files
  --keep-going              publish the reports that worked even if others failed (exit 3)
  --sjis                    also write Shift_JIS (CP932) copies of the CSV files under sjis/
  --base-url URL            URL the release folder will be served from (absolute download
                            URLs in dcat.jsonld and ckan-package.json; relative without it)
  --workers N               PDFs read in parallel, each in its own process (default: CPUs)
  --timeout SECONDS         time limit for reading one PDF (default ${DEFAULT_LIMITS.timeoutMs / 1000})
  --max-memory MIB          memory limit of one PDF reader process (default ${DEFAULT_LIMITS.maxMemoryMb})
  --max-pages N             refuse PDFs with more pages (default ${DEFAULT_LIMITS.maxPages})
  --max-bytes SIZE          refuse larger files, e.g. 20M (default ${DEFAULT_LIMITS.maxBytes / 2 ** 20}M)
  --no-cache                parse every PDF again instead of taking its extraction from
                            the cache (DIR/.cache/extract/, keyed on the file's sha256 and
                            the extractor's version); the cache entries are rewritten
  --quiet                   no progress messages on stderr (a bar on a terminal,
                            plain lines otherwise); the summary at the end stays
  --dry-run                 do everything but write: the same as \`sousei-kpi check\`
  --timings                 print time per stage on stderr at the end, as one JSON line
                            after "[timings] " (extract: worker time summed over files;
                            parsed / cached / shared: how each file's extraction was got)
  -h, --help                this help

Writes a new release under DIR/releases/<date>-<hash>/ and points DIR/latest at it;
unchanged input publishes no new release. Every switch of latest is said on stderr and
recorded in DIR/releases/index.json. Rows the extractor doubts are held for review
(not published) in DIR/review/queue.json: see \`sousei-kpi review\`. An invalid line in
raw/corrections.csv stops the run before anything is published.
A run on input identical to the last run's (the same PDFs, raw/ files, options and
build), on an output folder as that run left it, only prints what that run printed
(DIR/.cache/run/last.json records the last run; --no-cache always runs in full).
\`sousei-kpi check\` runs the same stages and writes nothing.

Takes the run lock DIR/runs/lock (as ingest and the schedule do): while another run
holds it, nothing is done (exit 1). check and --dry-run neither take nor wait for it.

Exit status: 0 published; 4 published with doubtful rows held for review; 3 published
with some files failed (--keep-going); 1 nothing published (one line per failed file or
invalid correction, or one line naming the path and the fault when the machine failed:
disk full, read-only…; or the lock is held); 2 usage error.`;

/** The run lock of the output folder (the one ingest and the schedule take), or null after saying who holds it. */
function takeLock(outDir: string, quiet: boolean): { release(): void } | null {
  const path = runLockPath(outDir);
  let lock: ReturnType<typeof acquireLock>;
  try {
    lock = acquireLock(path, { purpose: 'run' });
  } catch (err) {
    const f = describeError('(run)', err);
    process.stderr.write(`sousei-kpi: ${f.file}: ${f.problem} — ${f.hint}\n`);
    return null;
  }
  if (!lock.ok) {
    const h = lock.holder;
    process.stderr.write(
      `sousei-kpi: ${path}: another run holds the lock${h ? ` (pid ${h.pid} on ${h.hostname}, ${h.purpose}, since ${h.started_at})` : ''}; nothing was done — ` +
        'run again when it has finished (a lock whose process has ended is taken over automatically)\n',
    );
    return null;
  }
  if (lock.tookOver && !quiet) process.stderr.write(`[lock] ${lock.tookOver}\n`);
  return lock;
}

/** The result as a run on the same input will see it: the release exists already. */
function asRerun(res: RunResult): RunResult {
  return res.published ? { ...res, published: { ...res.published, created: false } } : res;
}

/**
 * Record a run that published with no failed file (exit 0 or 4), so that a run on the same
 * input can be skipped (cli/rerun.ts). The fingerprint takes each PDF's sha256 from the bytes
 * the run processed (not read again), and the raw folder's files only when they are still the
 * ones found at the start: a file changed while the run read it is never recorded as read.
 * A record that cannot be written is a warning: the next run is a full one, nothing worse.
 */
function recordRun(outDir: string, run: { fingerprint: FingerprintOptions; rawBefore: string | null; res: RunResult; status: number; stdout: string; summary: string[] }): void {
  const { res } = run;
  if (!res.published || res.failures.length > 0 || (run.status !== EXIT.ok && run.status !== EXIT.held)) return;
  if (run.rawBefore === null || rawInputsNow(run.fingerprint) !== run.rawBefore) return;
  const fingerprint = inputFingerprint(run.fingerprint, res.reports);
  if (fingerprint === null) return;
  try {
    const state = outState(outDir);
    if (state.latest !== res.published.releaseId) return;
    writeRunRecord(outDir, {
      format: RUN_RECORD_FORMAT,
      fingerprint,
      raw_inputs: run.rawBefore,
      release: res.published.releaseId,
      state,
      exit_code: run.status,
      stdout: run.stdout,
      summary: run.summary,
      reports: res.reports.length,
      pages: res.reports.reduce((n, r) => n + r.pages, 0),
    });
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    process.stderr.write(`sousei-kpi: warning: the run record ${runRecordPath(outDir)} cannot be written (${e.code ?? e.message}); the next run on the same input runs in full\n`);
  }
}

export const runCommand: Command = {
  usage,
  async run(argv) {
    if (argv.includes('--dry-run')) return checkCommand.run(argv.filter((a) => a !== '--dry-run'));
    try {
      return await runCommandWith(argv);
    } finally {
      // The early worker (prestart.ts) when no pool took it: usage error, lock held, everything cached.
      dropPrestarted();
    }
  },
};

async function runCommandWith(argv: string[]): Promise<number> {
  const parsed = parseRunArgs('run', usage, argv);
  if (typeof parsed === 'number') return parsed;
  const v = parsed.values;
  const quiet = v.quiet;
  const started = performance.now();
  const outDir = parsed.options.outDir;
  const lock = takeLock(outDir, quiet);
  if (!lock) return 1;
  const fingerprint = fingerprintOptions(parsed);
  const rawBefore = rawInputsNow(fingerprint);
  const latestBefore = latestRelease(outDir);
  // An extraction cache that cannot be read or written is a warning, never the run's failure (the run parses instead).
  const cache = new ExtractCache(outDir, { refresh: v['no-cache'], warn: (msg) => process.stderr.write(`sousei-kpi: warning: ${msg}\n`) });
  const pool = createExtractPool(parsed.pool);
  const progress = createProgress({ quiet, tty: process.stderr.isTTY === true });
  try {
    const res = await runPipeline({
      ...parsed.options,
      ...(progress.log ? { log: progress.log } : {}),
      progress: progress.update,
      extract: pool.extract,
      limits: pool.limits,
      cache,
      // Files read ahead of the one being normalized: enough that a slow file at the head
      // does not leave the other workers without work (results are taken in order).
      inFlight: IN_FLIGHT_PER_WORKER * pool.size,
    });
    progress.stop();
    for (const f of res.failures) process.stderr.write(`sousei-kpi: ${f.file}: ${f.problem} — ${f.hint}\n`);
    for (const note of res.published?.repaired ?? []) process.stderr.write(`sousei-kpi: repaired ${note}\n`);
    const sw = res.published?.switched;
    if (sw) process.stderr.write(`sousei-kpi: latest -> releases/${sw.to} (was ${sw.from ? `releases/${sw.from}` : 'unset'}; ${sw.reason}); recorded in releases/index.json\n`);
    if (!res.published) {
      if (res.failures.length === 0) process.stderr.write('sousei-kpi: nothing to publish (no reports)\n');
      else process.stderr.write('sousei-kpi: nothing was published; the previous release is unchanged\n');
      return 1;
    }
    if (!quiet) process.stderr.write(`[done] ${((performance.now() - started) / 1000).toFixed(2)} s\n`);
    if (v.timings) process.stderr.write(`[timings] ${JSON.stringify(timingsLine(res, pool, cache, started))}\n`);
    const findings = releaseFindings(res.published.releaseDir);
    for (const l of summaryLines(res, findings, 'published')) process.stderr.write(`${l}\n`);
    const stdout = `${res.published.releaseDir}\n`;
    process.stdout.write(stdout);
    const status = exitStatus(res);
    recordRun(outDir, { fingerprint, rawBefore, res, status, stdout, summary: summaryLines(asRerun(res), findings, 'published') });
    return status;
  } catch (err) {
    progress.stop();
    // The reason (every invalid line of a corrections file, or one line), then whether latest moved.
    printStopped(err, { lastLine: false });
    const after = latestRelease(outDir);
    process.stderr.write(after === latestBefore ? `sousei-kpi: nothing was published; latest is unchanged (${after ? `releases/${after}` : 'none'})\n` : `sousei-kpi: latest -> releases/${after} (was ${latestBefore ? `releases/${latestBefore}` : 'unset'}) before the failure\n`);
    return 1;
  } finally {
    await pool.close();
    lock.release();
  }
}
