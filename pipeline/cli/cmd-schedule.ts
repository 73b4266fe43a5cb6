import { resolve } from 'node:path';
import { numberOption } from '../lib/options.js';
import { DEFAULT_OUT_DIR, DEFAULT_RAW_DIR } from '../lib/paths.js';
import { DEFAULT_LOCK_MAX_AGE_MS } from '../schedule/lock.js';
import { CronError, createScheduler, DEFAULT_CRON, DEFAULT_TIMEZONE, type Scheduler } from '../schedule/index.js';
import { fetchOptions, fetchOptionsHelp, parseFetchLimits } from './cmd-ingest.js';
import { checkBaseUrl, parseCommand } from './args.js';
import type { Command } from './main.js';

const usage = `Usage: sousei-kpi schedule [options]

Runs unattended: at every fire time of a cron expression, ingest (download new or changed
reports) → process → publish, each run writing a report to OUT/runs/<timestamp>-<id>.txt
and .jsonl. Runs never overlap (also not with an \`ingest\` started by hand: they share the
lock OUT/runs/lock). OUT/runs/state.json records the last fire time handled; a run missed
while the scheduler was down — or no run recorded at all — is made at start-up. A failed
run is retried after --retry-delay, doubling, --max-retries times.
SIGTERM or SIGINT stops it: downloads in progress are abandoned (their temporary files
removed; raw/ and the last release untouched), processing already started is let finish
(seconds), and it exits 0. A second signal kills it at once.

Options:
  --cron EXPR               when to run (default '${DEFAULT_CRON}': 06:00 on 1 October); five
                            fields, or six with seconds first ('*/10 * * * * *')
  --timezone TZ             time zone of the expression (default ${DEFAULT_TIMEZONE})
  --once-now                make one run now and exit: 0 if it succeeded, 1 if not
                            (for a systemd timer, a first run, or a test)
  --raw DIR                 folder with sources.json and the PDFs (default: raw/)
  --out DIR                 publication folder (default: output/)
  --retry-delay S           seconds before retrying a failed run (default 3600)
  --max-retries N           retries of a failed run (default 3)
  --lock-max-age S          a lock older than this is stale even if its process lives (default ${DEFAULT_LOCK_MAX_AGE_MS / 1000})
  --sjis, --base-url URL    publishing options, as for \`sousei-kpi run\`
  --quiet                   only scheduler events on stderr, not the runs' progress
  -h, --help                this help

${fetchOptionsHelp}`;

export const scheduleCommand: Command = {
  usage,
  async run(argv) {
    let limits: ReturnType<typeof parseFetchLimits> = {};
    const args = parseCommand('schedule', usage, {
      args: argv,
      options: {
        cron: { type: 'string' },
        timezone: { type: 'string' },
        'once-now': { type: 'boolean', default: false },
        raw: { type: 'string' },
        out: { type: 'string' },
        'retry-delay': { type: 'string' },
        'max-retries': { type: 'string' },
        'lock-max-age': { type: 'string' },
        sjis: { type: 'boolean', default: false },
        'base-url': { type: 'string' },
        quiet: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
        ...fetchOptions,
      },
    }, (a) => {
      limits = parseFetchLimits(a.values);
      checkBaseUrl(a);
    });
    if (typeof args === 'number') return args;
    const v = args.values;
    const seconds = (name: string, s: string | undefined, integer = false): number | undefined | Error => {
      if (s === undefined) return undefined;
      try {
        return numberOption(name, s, { integer });
      } catch (err) {
        return err as Error;
      }
    };
    const retryDelay = seconds('retry-delay', v['retry-delay']);
    const maxRetries = seconds('max-retries', v['max-retries'], true);
    const lockMaxAge = seconds('lock-max-age', v['lock-max-age']);
    for (const x of [retryDelay, maxRetries, lockMaxAge]) {
      if (x instanceof Error) {
        process.stderr.write(`sousei-kpi schedule: ${x.message}\n`);
        return 2;
      }
    }
    const log = (line: string) => process.stderr.write(`${new Date().toISOString()} sousei-kpi schedule: ${line}\n`);
    let scheduler: Scheduler;
    try {
      scheduler = createScheduler({
        rawDir: resolve(v.raw ?? DEFAULT_RAW_DIR),
        outDir: resolve(v.out ?? DEFAULT_OUT_DIR),
        cron: v.cron ?? DEFAULT_CRON,
        timezone: v.timezone ?? DEFAULT_TIMEZONE,
        limits,
        publish: { sjis: v.sjis, ...(v['base-url'] ? { baseUrl: v['base-url'] } : {}) },
        log,
        ...(v.quiet ? {} : { echo: (line: string) => process.stderr.write(`  ${line}\n`) }),
        ...(typeof retryDelay === 'number' ? { retryDelayMs: retryDelay * 1000 } : {}),
        ...(typeof maxRetries === 'number' ? { maxRetries } : {}),
        ...(typeof lockMaxAge === 'number' ? { lockMaxAgeMs: lockMaxAge * 1000 } : {}),
      });
    } catch (err) {
      if (!(err instanceof CronError)) throw err;
      process.stderr.write(`sousei-kpi schedule: ${err.message}\n`);
      return 2;
    }
    const s = scheduler;
    return new Promise<number>((done) => {
      let stopping: Promise<void> | null = null;
      const onSignal = (sig: NodeJS.Signals) => {
        process.off('SIGTERM', onSignal);
        process.off('SIGINT', onSignal);
        log(`${sig}: stopping${s.nextRun() === null ? '' : ' the schedule'}; the current run, if any, is cancelled`);
        stopping = s.stop().then(() => {
          log('stopped');
          done(0);
        });
      };
      process.on('SIGTERM', onSignal);
      process.on('SIGINT', onSignal);
      if (v['once-now']) {
        void s.runNow('manual').then(async (outcome) => {
          if (stopping) return; // the signal handler answers
          process.off('SIGTERM', onSignal);
          process.off('SIGINT', onSignal);
          await s.stop();
          done(outcome?.status === 'ok' ? 0 : 1);
        });
      } else s.start();
    });
  },
};
