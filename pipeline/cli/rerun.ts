/**
 * `run` on unchanged input (issue 15, "re-runs that cost nothing"): when the input has
 * the fingerprint of the last full run's (cli/run-record.ts) and the output folder is as
 * that run left it, with its release folder still matching its manifest, a full run
 * would publish nothing new: it would adopt the same release and print the same summary.
 * Then this prints that summary and returns the recorded exit status, having cost the
 * hashing of the input and the check of the release — no pipeline module is loaded and
 * no extraction worker is forked (main.ts calls this before either).
 *
 * Anything else returns null and the full run goes ahead exactly as without this module:
 * --no-cache, --dry-run, --help, arguments that do not parse, no record or one of another
 * format, another fingerprint, another state, a release that does not verify, a run lock
 * that exists (held or stale: the full run says which, or takes it over and says so).
 * The check holds the run lock, the same one the full run takes, so no other run changes
 * the input or the folder while it looks.
 *
 * Imports only node builtins and small modules.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { verifyRelease } from '../publish/release-folder.js';
import { acquireLock, runLockPath } from '../schedule/lock.js';
import { RUN_OPTIONS, runOptionsFrom } from './run-options.js';
import { fingerprintOptions, inputFingerprint, outState, rawInputsNow, readRunRecord, runRecordPath, sameState, type FingerprintOptions, type RunRecord } from './run-record.js';

/** A `run` command line the fast path may answer: its output folder, its fingerprint options, and what to print. */
interface Plan {
  outDir: string;
  fingerprint: FingerprintOptions;
  quiet: boolean;
  timings: boolean;
}

/** The plan for these `run` arguments, or null when only the full run may answer them. */
function planOf(argv: string[]): Plan | null {
  if (argv.includes('--dry-run')) return null;
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: RUN_OPTIONS, allowPositionals: true });
  } catch {
    return null; // the full run says what is wrong
  }
  const v = parsed.values;
  if (v.help || v['no-cache']) return null;
  const run = runOptionsFrom('run', v, parsed.positionals);
  if (!run.ok) return null;
  return {
    outDir: run.options.outDir,
    fingerprint: fingerprintOptions(run),
    quiet: v.quiet === true,
    timings: v.timings === true,
  };
}

/** The record, if the input and the output folder are still what it says; checked under the run lock. */
function standingRecord(plan: Plan): RunRecord | null {
  const lockPath = runLockPath(plan.outDir);
  // A lock file that exists is held, or stale and to be taken over: the full run reports either.
  if (existsSync(lockPath)) return null;
  let lock;
  try {
    lock = acquireLock(lockPath, { purpose: 'run' });
  } catch {
    return null;
  }
  if (!lock.ok) return null;
  try {
    const record = readRunRecord(plan.outDir);
    // The raw folder's few small files first: most changes are there, and then no PDF is hashed.
    if (!record || rawInputsNow(plan.fingerprint) !== record.raw_inputs) return null;
    if (inputFingerprint(plan.fingerprint) !== record.fingerprint) return null;
    if (!sameState(outState(plan.outDir), record.state)) return null;
    return verifyRelease(join(plan.outDir, 'releases', record.release)) === null ? record : null;
  } catch {
    return null; // an output folder that cannot be read: the full run names the fault
  } finally {
    lock.release();
  }
}

/** The --timings line of a skipped run: the full run's keys, no extraction work, and unchanged_input. */
function timingsOf(record: RunRecord, wallMs: number) {
  return {
    reports: record.reports,
    pages: record.pages,
    workers: 0,
    wall_ms: Math.round(wallMs),
    extract_ms: 0,
    normalize_ms: 0,
    validate_ms: 0,
    publish_ms: 0,
    parsed: 0,
    cached: 0,
    shared: 0,
    cache_rejected: 0,
    cache_written: 0,
    extract_split_ms: { text: 0, operators: 0, other_read: 0, analysis: 0 },
    unchanged_input: true,
  };
}

/**
 * Answer `run ARGV` without running the pipeline when its input is unchanged: prints what
 * a full run would and returns its exit status; null when the full run must go ahead.
 */
export function rerun(argv: string[]): number | null {
  const started = performance.now();
  const plan = planOf(argv);
  if (!plan || !existsSync(runRecordPath(plan.outDir))) return null;
  const record = standingRecord(plan);
  if (!record) return null;
  const wallMs = performance.now() - started;
  if (!plan.quiet) process.stderr.write(`[unchanged] the input is identical to the last run's: release ${record.release} stands (${(wallMs / 1000).toFixed(2)} s)\n`);
  if (plan.timings) process.stderr.write(`[timings] ${JSON.stringify(timingsOf(record, wallMs))}\n`);
  for (const l of record.summary) process.stderr.write(`${l}\n`);
  process.stdout.write(record.stdout);
  return record.exit_code;
}
