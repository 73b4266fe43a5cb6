/**
 * The unattended schedule: node-cron fires runs (ingest → pipeline → publish, see
 * job.ts) on a cron expression in a time zone, default once a year on 1 October 06:00
 * Asia/Tokyo.
 *
 * - Never two runs at once: node-cron's noOverlap, an in-process guard (catch-up and
 *   retry runs are not node-cron executions) and, across processes, the run lock.
 * - OUT/runs/state.json remembers the last fire time handled successfully. At start-up,
 *   if the expression's previous fire time is later (or there is no state yet), the
 *   missed run is caught up at once.
 * - A failed run is retried after retryDelayMs, doubling, up to maxRetries times; after
 *   that, the next fire time (or a restart) tries again.
 * - stop() cancels the schedule and any pending retry, aborts the current run's
 *   downloads and waits for it to wind down.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { writeFileAtomic } from '../lib/durable.js';
import { join } from 'node:path';
import { createTask, validate, type ScheduledTask } from 'node-cron';
import type { RunOptions } from '../cli/run.js';
import type { FetchLimits } from '../ingest/index.js';
import { checkTimeZone, CronError, parseCron, previousFire, type CronFields } from './cron.js';
import { runJob, runsDir, type JobStatus, type RunKind } from './job.js';

export { CronError } from './cron.js';

export const DEFAULT_CRON = '0 6 1 10 *';
export const DEFAULT_TIMEZONE = 'Asia/Tokyo';

export interface RunRecord {
  id: string;
  kind: RunKind;
  fire: string | null;
  started_at: string;
  finished_at: string;
  status: JobStatus;
  release_id: string | null;
}

export interface ScheduleState {
  cron: string;
  timezone: string;
  /** Latest fire time whose run succeeded (a successful run covers every fire time up to its start). */
  last_fire_handled: string | null;
  last_run: RunRecord | null;
  last_success: RunRecord | null;
}

/** What one run reports back to the scheduler. */
export interface RunOutcome {
  id: string;
  status: JobStatus;
  releaseId?: string | null;
}

export type RunFunction = (ctx: { kind: RunKind; fire: Date | null; signal: AbortSignal }) => Promise<RunOutcome>;

export interface SchedulerOptions {
  rawDir: string;
  outDir: string;
  cron?: string;
  timezone?: string;
  /** Delay before retrying a failed run (doubles each time). Default 1 hour. */
  retryDelayMs?: number;
  /** Retries of a failed run before waiting for the next fire time. Default 3. */
  maxRetries?: number;
  limits?: Partial<FetchLimits>;
  /** Publishing options, as for `sousei-kpi run --sjis --base-url`. */
  publish?: { sjis?: boolean; baseUrl?: string };
  /** How PDFs are read; default: isolated worker processes (see runJob). */
  extract?: RunOptions['extract'];
  lockMaxAgeMs?: number;
  /** One line per scheduler event (the journal, when run by systemd). */
  log?: (line: string) => void;
  /** Progress lines of the runs themselves. */
  echo?: (line: string) => void;
  /** The work of a run; default: runJob (ingest → pipeline → publish). Replaced in tests. */
  run?: RunFunction;
}

export interface Scheduler {
  readonly stateFile: string;
  /** Catch up a missed run if there is one, then follow the cron expression. */
  start(): void;
  /** Run now (kind 'manual' unless given), unless a run is in progress (then null). */
  runNow(kind?: RunKind, fire?: Date | null): Promise<RunOutcome | null>;
  /** Resolves when no run is in progress. */
  idle(): Promise<void>;
  nextRun(): Date | null;
  stop(): Promise<void>;
}

export function stateFile(outDir: string): string {
  return join(runsDir(outDir), 'state.json');
}

export function loadState(path: string): ScheduleState | null {
  try {
    const v = JSON.parse(readFileSync(path, 'utf8')) as Partial<ScheduleState>;
    return {
      cron: String(v.cron ?? ''),
      timezone: String(v.timezone ?? ''),
      last_fire_handled: typeof v.last_fire_handled === 'string' && !Number.isNaN(Date.parse(v.last_fire_handled)) ? v.last_fire_handled : null,
      last_run: v.last_run ?? null,
      last_success: v.last_success ?? null,
    };
  } catch {
    return null;
  }
}

export function saveState(path: string, state: ScheduleState): void {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileAtomic(path, `${JSON.stringify(state, null, 2)}\n`);
}

/** Check a cron expression and time zone the way the scheduler will use them (throws CronError). */
export function checkSchedule(cron: string, timezone: string): CronFields {
  if (!validate(cron)) throw new CronError(`"${cron}" is not a cron expression node-cron accepts`);
  checkTimeZone(timezone);
  return parseCron(cron);
}

export function createScheduler(opts: SchedulerOptions): Scheduler {
  const cron = opts.cron ?? DEFAULT_CRON;
  const timezone = opts.timezone ?? DEFAULT_TIMEZONE;
  const fields = checkSchedule(cron, timezone);
  const retryDelayMs = opts.retryDelayMs ?? 3600_000;
  const maxRetries = opts.maxRetries ?? 3;
  const log = opts.log ?? (() => {});
  const file = stateFile(opts.outDir);
  const abort = new AbortController();
  const run: RunFunction =
    opts.run ??
    (async ({ kind, fire, signal }) => {
      const r = await runJob({
        rawDir: opts.rawDir,
        outDir: opts.outDir,
        kind,
        fire,
        pipeline: true,
        signal,
        ...(opts.limits ? { limits: opts.limits } : {}),
        ...(opts.publish ? { publish: opts.publish } : {}),
        ...(opts.extract ? { extract: opts.extract } : {}),
        ...(opts.lockMaxAgeMs ? { lockMaxAgeMs: opts.lockMaxAgeMs } : {}),
        ...(opts.echo ? { echo: opts.echo } : {}),
      });
      log(`run ${r.id} ${r.status}${r.errors.length ? `: ${r.errors.join('; ')}` : ''} (report ${r.txt})`);
      return { id: r.id, status: r.status, releaseId: r.pipeline?.published?.releaseId ?? null };
    });

  let task: ScheduledTask | null = null;
  let current: Promise<RunOutcome> | null = null;
  let retryTimer: NodeJS.Timeout | undefined;
  let retries = 0;
  let stopped = false;

  const record = (kind: RunKind, fire: Date | null, startedAt: Date, outcome: RunOutcome) => {
    const state = loadState(file) ?? { cron, timezone, last_fire_handled: null, last_run: null, last_success: null };
    const rec: RunRecord = { id: outcome.id, kind, fire: fire?.toISOString() ?? null, started_at: startedAt.toISOString(), finished_at: new Date().toISOString(), status: outcome.status, release_id: outcome.releaseId ?? null };
    state.cron = cron;
    state.timezone = timezone;
    state.last_run = rec;
    if (outcome.status === 'ok') {
      const covered = fire ?? previousFire(fields, timezone, startedAt);
      const handled = state.last_fire_handled ? Date.parse(state.last_fire_handled) : -Infinity;
      if (covered && covered.getTime() > handled) state.last_fire_handled = covered.toISOString();
      state.last_success = rec;
    }
    saveState(file, state);
  };

  const trigger = (kind: RunKind, fire: Date | null): Promise<RunOutcome | null> => {
    if (stopped) return Promise.resolve(null);
    if (current) {
      log(`${kind} run${fire ? ` for ${fire.toISOString()}` : ''} skipped: a run is in progress`);
      return Promise.resolve(null);
    }
    clearTimeout(retryTimer);
    if (kind !== 'retry') retries = 0; // a new fire time gets its own retries
    const startedAt = new Date();
    log(`${kind} run started${fire ? ` for ${fire.toISOString()}` : ''}`);
    const p = (async (): Promise<RunOutcome> => {
      let outcome: RunOutcome;
      try {
        outcome = await run({ kind, fire, signal: abort.signal });
      } catch (err) {
        log(`${kind} run crashed: ${(err as Error)?.stack ?? String(err)}`);
        outcome = { id: `crashed-${startedAt.toISOString()}`, status: 'failed' };
      }
      try {
        record(kind, fire, startedAt, outcome);
      } catch (err) {
        log(`could not update ${file}: ${(err as Error).message}`);
      }
      if (outcome.status !== 'ok' && outcome.status !== 'aborted' && !stopped && retries < maxRetries) {
        const delay = retryDelayMs * 2 ** retries++;
        log(`run ${outcome.id} ${outcome.status}; retry ${retries} of ${maxRetries} in ${Math.round(delay / 1000)} s`);
        retryTimer = setTimeout(() => void trigger('retry', fire), delay);
      }
      return outcome;
    })();
    current = p;
    void p.finally(() => {
      if (current === p) current = null;
    });
    return p;
  };

  return {
    stateFile: file,
    start() {
      if (task || stopped) return;
      task = createTask(cron, (ctx) => trigger('scheduled', ctx.date), { timezone, noOverlap: true, name: 'sousei-kpi' });
      task.start();
      const state = loadState(file);
      const prev = previousFire(fields, timezone, new Date());
      const handled = state?.last_fire_handled ? new Date(state.last_fire_handled) : null;
      if (prev && (!handled || handled < prev)) {
        log(handled ? `missed the run for ${prev.toISOString()} (last handled ${handled.toISOString()}): catching up now` : `no completed run recorded in ${file}: running now`);
        void trigger('catch-up', prev);
      }
      log(`scheduled "${cron}" (${timezone}); next run ${task.getNextRun()?.toISOString() ?? 'never'}`);
    },
    runNow: (kind = 'manual', fire = null) => trigger(kind, fire),
    async idle() {
      while (current) await current;
    },
    nextRun: () => (stopped ? null : (task?.getNextRun() ?? null)),
    async stop() {
      stopped = true;
      clearTimeout(retryTimer);
      if (task) await task.destroy();
      abort.abort();
      while (current) await current;
    },
  };
}
