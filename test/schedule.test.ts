/**
 * The schedule: previous fire times of cron expressions, the run lock, node-cron driven
 * runs that never overlap, catch-up of a missed run, retries, cancellation, and whole
 * runs (ingest → pipeline → publish) against a real HTTP server on 127.0.0.1.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTask } from 'node-cron';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { extractReport } from '../pipeline/extract/index.js';
import { civilTime, CronError, parseCron, previousFire, type CronFields } from '../pipeline/schedule/cron.js';
import { createScheduler, loadState, saveState, stateFile, type RunFunction } from '../pipeline/schedule/index.js';
import { acquireLock, readLock } from '../pipeline/schedule/lock.js';
import { CHANGED_PDF, makeRaw, pdfRoute, REAL_PDF, startServer } from './ingest-server.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Bounded wait for a condition (never more than `tries` × `ms`). */
async function until(cond: () => boolean, tries = 150, ms = 100): Promise<void> {
  for (let i = 0; i < tries && !cond(); i++) await sleep(ms);
  expect(cond()).toBe(true);
}

describe('previousFire', () => {
  /** Brute force: does the expression fire at instant t (whole seconds)? */
  const fires = (f: CronFields, tz: string, t: number) => {
    const c = civilTime(t, tz);
    const wd = new Date(Date.UTC(c.year, c.month - 1, c.day)).getUTCDay();
    return f.second.includes(c.second) && f.minute.includes(c.minute) && f.hour.includes(c.hour) && f.day.includes(c.day) && f.month.includes(c.month) && f.weekday.includes(wd);
  };
  const brute = (expr: string, tz: string, at: Date, step: number, maxSteps: number) => {
    const f = parseCron(expr);
    let t = Math.floor(at.getTime() / step) * step;
    for (let i = 0; i < maxSteps; i++, t -= step) if (fires(f, tz, t)) return new Date(t);
    throw new Error(`no fire time of ${expr} within ${maxSteps} steps`);
  };
  const instants = ['2025-01-01T00:00:00.000Z', '2025-03-09T07:30:00.500Z', '2025-03-30T01:00:30Z', '2025-06-15T12:34:56.789Z', '2025-10-26T00:59:59Z', '2025-11-02T06:15:00Z', '2024-02-29T23:59:59Z'].map((s) => new Date(s));

  it('agrees with a second-by-second search for per-second and per-minute expressions', () => {
    for (const tz of ['Asia/Tokyo', 'America/New_York', 'Europe/London']) {
      for (const at of instants) {
        for (const [expr, step, max] of [
          ['*/7 * * * * *', 1000, 120],
          ['15,45 */5 * * * *', 1000, 700],
          ['30 2 * * *', 60_000, 4 * 1440],
          ['0 9-17/4 * * mon-fri', 60_000, 6 * 1440],
          ['0 6 1 oct *', 3600_000, 24 * 400],
        ] as const) {
          expect(previousFire(parseCron(expr), tz, at)?.toISOString(), `${expr} ${tz} ${at.toISOString()}`).toBe(brute(expr, tz, at, step, max).toISOString());
        }
      }
    }
  });

  it('the default schedule, 06:00 JST on 1 October: inclusive at the fire time, the year before just under it', () => {
    const f = parseCron('0 6 1 10 *');
    expect(previousFire(f, 'Asia/Tokyo', new Date('2025-11-24T03:00:00Z'))?.toISOString()).toBe('2025-09-30T21:00:00.000Z');
    expect(previousFire(f, 'Asia/Tokyo', new Date('2025-09-30T21:00:00.000Z'))?.toISOString()).toBe('2025-09-30T21:00:00.000Z');
    expect(previousFire(f, 'Asia/Tokyo', new Date('2025-09-30T20:59:59.999Z'))?.toISOString()).toBe('2024-09-30T21:00:00.000Z');
    expect(previousFire(parseCron('0 0 29 2 *'), 'Asia/Tokyo', new Date('2028-02-28T00:00:00Z'))?.toISOString()).toBe('2024-02-28T15:00:00.000Z');
    expect(previousFire(parseCron('0 0 30 2 *'), 'UTC', new Date('2025-01-01T00:00:00Z'))).toBeNull();
    // New York, 2 November 2025: 01:30 happens twice (EDT, then EST); the later one counts once it has passed.
    const ny = parseCron('0 30 1 * * *');
    expect(previousFire(ny, 'America/New_York', new Date('2025-11-02T06:45:00Z'))?.toISOString()).toBe('2025-11-02T06:30:00.000Z');
    expect(previousFire(ny, 'America/New_York', new Date('2025-11-02T06:00:00Z'))?.toISOString()).toBe('2025-11-02T05:30:00.000Z');
    // 01:40 EST (second pass): 01:50 EDT came before 01:30 EST in real time; the latter is the answer.
    expect(previousFire(parseCron('0 30,50 1 * * *'), 'America/New_York', new Date('2025-11-02T06:40:00Z'))?.toISOString()).toBe('2025-11-02T06:30:00.000Z');
    // 9 March 2025: 02:30 does not exist in New York; the previous fire is the day before.
    expect(previousFire(parseCron('0 30 2 * * *'), 'America/New_York', new Date('2025-03-09T12:00:00Z'))?.toISOString()).toBe('2025-03-08T07:30:00.000Z');
  });

  it('matches the next fire time node-cron computes', () => {
    for (const [expr, tz] of [['0 6 1 10 *', 'Asia/Tokyo'], ['*/5 * * * * *', 'UTC'], ['0 30 2 * * *', 'America/New_York']] as const) {
      const task = createTask(expr, () => {}, { timezone: tz });
      task.start();
      const next = task.getNextRun()!;
      void task.destroy();
      expect(previousFire(parseCron(expr), tz, next)?.getTime()).toBe(next.getTime());
      expect(previousFire(parseCron(expr), tz, new Date(next.getTime() - 1))!.getTime()).toBeLessThan(next.getTime());
    }
  });

  it('parses names, Sunday as 7, steps and lists, and rejects nonsense', () => {
    expect(parseCron('0 6 1 oct *')).toEqual(parseCron('0 0 6 1 10 *'));
    expect(parseCron('0 0 * * 7').weekday).toEqual([0]);
    expect(parseCron('0 0 * * sun,Saturday').weekday).toEqual([0, 6]);
    expect(parseCron('*/20 * * * *').minute).toEqual([0, 20, 40]);
    expect(parseCron('0 1-10/3 * * *').hour).toEqual([1, 4, 7, 10]);
    for (const bad of ['', '* * * *', '61 * * * *', '0 6 1 13 *', '0 6 1 10 8', '0 10-2 * * *', '0 */0 * * *', '0 6 1 foo *']) expect(() => parseCron(bad), bad).toThrow(CronError);
  });
});

describe('run lock', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'sousei-lock-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('is exclusive while held and free after release', () => {
    const path = join(dir, 'runs', 'lock');
    const a = acquireLock(path, { purpose: 'a' });
    expect(a.ok).toBe(true);
    const b = acquireLock(path, { purpose: 'b' });
    expect(b).toMatchObject({ ok: false, holder: { pid: process.pid, purpose: 'a' } });
    if (a.ok) a.release();
    expect(existsSync(path)).toBe(false);
    const c = acquireLock(path, { purpose: 'c' });
    expect(c).toMatchObject({ ok: true, tookOver: null });
    if (c.ok) c.release();
  });

  it('takes over a lock whose process is gone, one older than the maximum age, and an unreadable one', () => {
    const path = join(dir, 'lock');
    const gone = spawnSync(process.execPath, ['-e', '']).pid!;
    const write = (pid: number, started: string) => writeFileSync(path, JSON.stringify({ pid, hostname: hostname(), started_at: started, purpose: 'crashed run', token: 'x' }));

    write(gone, new Date().toISOString());
    const a = acquireLock(path, { purpose: 'next' });
    expect(a).toMatchObject({ ok: true, tookOver: `took over a stale lock (process ${gone} is not running)` });
    expect(readLock(path)).toMatchObject({ pid: process.pid, purpose: 'next' });
    if (a.ok) a.release();

    write(process.pid, '2000-01-01T00:00:00.000Z'); // alive (this process) but far too old
    const b = acquireLock(path, { purpose: 'next', maxAgeMs: 3600_000 });
    expect(b.ok && b.tookOver).toMatch(/held since 2000-01-01T00:00:00.000Z, longer than the maximum of 3600 s/);
    if (b.ok) b.release();

    write(process.pid, new Date().toISOString()); // alive and fresh: respected
    expect(acquireLock(path, { purpose: 'next' }).ok).toBe(false);

    writeFileSync(path, '');
    const c = acquireLock(path, { purpose: 'next' });
    expect(c).toMatchObject({ ok: true, tookOver: 'took over a stale lock (unreadable lock file)' });
    if (c.ok) c.release();
    expect(readdirSync(dir)).toEqual([]);
  });
});

describe('scheduler', () => {
  let out: string;
  beforeEach(() => {
    out = mkdtempSync(join(tmpdir(), 'sousei-sched-'));
  });
  afterEach(() => rmSync(out, { recursive: true, force: true }));

  interface Rec {
    kind: string;
    fire: Date | null;
    start: number;
    end: number;
  }

  it('per-second cron with a slow run: runs never overlap, fires during a run are skipped', async () => {
    const runs: Rec[] = [];
    const lines: string[] = [];
    let active = 0;
    let maxActive = 0;
    const run: RunFunction = async ({ kind, fire }) => {
      const rec: Rec = { kind, fire, start: Date.now(), end: 0 };
      runs.push(rec);
      maxActive = Math.max(maxActive, ++active);
      await sleep(1500);
      active--;
      rec.end = Date.now();
      return { id: `run-${runs.length}`, status: 'ok' };
    };
    const s = createScheduler({ rawDir: out, outDir: out, cron: '* * * * * *', timezone: 'UTC', run, log: (l) => lines.push(l) });
    s.start();
    await until(() => runs.filter((r) => r.end > 0).length >= 3);
    await s.stop();
    expect(maxActive).toBe(1);
    for (let i = 1; i < runs.length; i++) expect(runs[i]!.start).toBeGreaterThanOrEqual(runs[i - 1]!.end);
    expect(runs[0]!.kind).toBe('catch-up'); // no state yet: a run at start-up
    const scheduled = runs.filter((r) => r.kind === 'scheduled');
    expect(scheduled.length).toBeGreaterThanOrEqual(1);
    for (const r of scheduled) expect(r.fire!.getMilliseconds()).toBe(0);
    expect(lines.some((l) => /^scheduled run for .* skipped: a run is in progress$/.test(l))).toBe(true);
    const state = loadState(stateFile(out))!;
    expect(state).toMatchObject({ cron: '* * * * * *', timezone: 'UTC', last_run: { status: 'ok' }, last_success: { status: 'ok' } });
    expect(Date.parse(state.last_fire_handled!)).toBeGreaterThan(runs[0]!.start - 2000);
    expect(s.nextRun()).toBeNull();
  });

  it('catches up a run missed while it was down, and only then', async () => {
    const cron = '0 6 1 10 *';
    saveState(stateFile(out), { cron, timezone: 'Asia/Tokyo', last_fire_handled: '2001-10-01T06:00:00.000Z', last_run: null, last_success: null });
    const runs: Rec[] = [];
    const run: RunFunction = async ({ kind, fire }) => {
      runs.push({ kind, fire, start: Date.now(), end: Date.now() });
      return { id: `run-${runs.length}`, status: 'ok', releaseId: 'rel-1' };
    };
    const expected = previousFire(parseCron(cron), 'Asia/Tokyo', new Date())!;
    const s = createScheduler({ rawDir: out, outDir: out, cron, run });
    s.start();
    await s.idle();
    expect(runs.map((r) => [r.kind, r.fire?.toISOString()])).toEqual([['catch-up', expected.toISOString()]]);
    expect(s.nextRun()!.getTime()).toBeGreaterThan(Date.now());
    await s.stop();
    const state = loadState(stateFile(out))!;
    expect(state.last_fire_handled).toBe(expected.toISOString());
    expect(state.last_success).toMatchObject({ kind: 'catch-up', status: 'ok', release_id: 'rel-1' });

    const again = createScheduler({ rawDir: out, outDir: out, cron, run });
    again.start();
    await again.idle();
    await again.stop();
    expect(runs.length).toBe(1); // handled already: nothing to catch up
  });

  it('retries a failed run, and a stop cancels a run in progress', async () => {
    const kinds: string[] = [];
    let stateSeenByRetry: unknown = undefined;
    const run: RunFunction = async ({ kind }) => {
      kinds.push(kind);
      if (kinds.length === 1) return { id: 'r1', status: 'failed' };
      stateSeenByRetry = loadState(stateFile(out));
      return { id: 'r2', status: 'ok' };
    };
    const s = createScheduler({ rawDir: out, outDir: out, cron: '0 6 1 10 *', run, retryDelayMs: 20, maxRetries: 2 });
    s.start();
    await until(() => kinds.length === 2);
    await s.idle();
    await s.stop();
    expect(kinds).toEqual(['catch-up', 'retry']);
    expect(stateSeenByRetry).toMatchObject({ last_fire_handled: null, last_run: { id: 'r1', status: 'failed' }, last_success: null });
    expect(loadState(stateFile(out))).toMatchObject({ last_run: { id: 'r2', kind: 'retry', status: 'ok' } });

    rmSync(stateFile(out));
    let sawAbort = false;
    const slow: RunFunction = ({ signal }) =>
      new Promise((resolve) => {
        signal.addEventListener('abort', () => {
          sawAbort = true;
          resolve({ id: 'slow', status: 'aborted' });
        });
      });
    const t = createScheduler({ rawDir: out, outDir: out, cron: '0 6 1 10 *', run: slow, retryDelayMs: 1 });
    t.start();
    await t.stop();
    expect(sawAbort).toBe(true);
    expect(loadState(stateFile(out))).toMatchObject({ last_fire_handled: null, last_run: { status: 'aborted' } });
  });
});

describe('scheduled runs end to end (real report, real HTTP on 127.0.0.1, real pipeline)', () => {
  it('publishes, changes nothing when nothing is new, keeps the last good release when a run fails, and completes the work on the next run', async () => {
    const server = await startServer({ '/report.pdf': pdfRoute(REAL_PDF, '"a"') });
    const t = makeRaw({ url: server.url('/report.pdf') });
    try {
      // In-process extraction keeps this test independent of dist/; the worker-pool default runs in schedule-signal.test.ts.
      const s = createScheduler({ rawDir: t.raw, outDir: t.out, maxRetries: 0, limits: { retries: 0, stallTimeoutMs: 5000 }, extract: extractReport });
      const releases = () => readdirSync(join(t.out, 'releases'), { withFileTypes: true }).filter((d) => d.isDirectory() && !d.name.startsWith('.')).map((d) => d.name).sort();
      const latest = () => readlinkSync(join(t.out, 'latest'));
      const report = (r: { id: string } | null) => readFileSync(join(t.out, 'runs', `${r!.id}.txt`), 'utf8');

      // 1. First run: fetch (same bytes as registered), publish.
      const r1 = await s.runNow();
      expect(r1).toMatchObject({ status: 'ok' });
      expect(releases()).toHaveLength(1);
      expect(latest()).toBe(`releases/${r1!.releaseId}`);
      expect(report(r1)).toMatch(/Published: NEW release/);
      const raw1 = t.files();
      const reg1 = readFileSync(t.sourcesPath, 'utf8');

      // 2. Nothing new: 304, same release, no new file, registry untouched.
      const r2 = await s.runNow();
      expect(r2).toMatchObject({ status: 'ok', releaseId: r1!.releaseId });
      expect(report(r2)).toContain('not modified (304)');
      expect(report(r2)).toMatch(/Published: no change, release/);
      // …and the unchanged report is not parsed again: its extraction comes from the cache under the output folder.
      const events = readFileSync(join(t.out, 'runs', `${r2!.id}.jsonl`), 'utf8');
      expect(events).toMatch(/pipeline-extract.*from the cache/u);
      expect(readFileSync(join(t.out, 'runs', `${r1!.id}.jsonl`), 'utf8')).not.toMatch(/from the cache/u);
      expect(releases()).toHaveLength(1);
      expect(t.files()).toEqual(raw1);
      expect(readFileSync(t.sourcesPath, 'utf8')).toBe(reg1);

      // 3. The server fails: the run fails, raw/ and the release stay as they were.
      server.route('/report.pdf', (_req, res) => void res.writeHead(502).end());
      const r3 = await s.runNow();
      expect(r3!.status).toBe('failed');
      expect(report(r3)).toContain('kurume-h28: FAILED — HTTP 502');
      expect(latest()).toBe(`releases/${r1!.releaseId}`);
      expect(t.files()).toEqual(raw1);

      // 4. A broken new edition (PDF signature, unreadable): kept as v2, but nothing is published.
      server.route('/report.pdf', pdfRoute(Buffer.from('%PDF-1.7\nthis is not really a PDF\n'), '"broken"'));
      const r4 = await s.runNow();
      expect(r4!.status).toBe('failed');
      expect(report(r4)).toContain('Published: nothing (the previous release stays latest)');
      expect(latest()).toBe(`releases/${r1!.releaseId}`);
      expect(releases()).toHaveLength(1);
      expect(t.sources().reports[0]!.file).toBe('kurume-sousei-h28-progress.v2.pdf');
      expect(loadState(s.stateFile)).toMatchObject({ last_run: { status: 'failed' }, last_success: { release_id: r1!.releaseId } });

      // 5. The corrected edition: v3, a new release, latest moves.
      server.route('/report.pdf', pdfRoute(CHANGED_PDF, '"c"'));
      const r5 = await s.runNow();
      expect(r5!.status).toBe('ok');
      expect(r5!.releaseId).not.toBe(r1!.releaseId);
      expect(releases()).toHaveLength(2);
      expect(latest()).toBe(`releases/${r5!.releaseId}`);
      expect(t.sources().reports[0]!.file).toBe('kurume-sousei-h28-progress.v3.pdf');
      expect(t.files()).toEqual(['indicators.json', 'kurume-sousei-h28-progress.pdf', 'kurume-sousei-h28-progress.v2.pdf', 'kurume-sousei-h28-progress.v3.pdf', 'sources.json']);
      expect(loadState(s.stateFile)).toMatchObject({ last_success: { release_id: r5!.releaseId, kind: 'manual' } });
      const numeric = JSON.parse(readFileSync(join(t.out, 'latest', 'numeric_targets.json'), 'utf8')) as Array<Record<string, unknown>>;
      expect(numeric).toHaveLength(35);
      expect(new Set(numeric.map((r) => r.source_file))).toEqual(new Set(['kurume-sousei-h28-progress.v3.pdf']));
      await s.stop();
      expect(existsSync(join(t.out, 'runs', 'lock'))).toBe(false);
    } finally {
      await server.close();
      t.cleanup();
    }
  });

  it('a run while another process holds the lock is reported busy and changes nothing', async () => {
    const t = makeRaw({ url: null });
    try {
      mkdirSync(join(t.out, 'runs'), { recursive: true });
      const holder = acquireLock(join(t.out, 'runs', 'lock'), { purpose: 'someone else' });
      const s = createScheduler({ rawDir: t.raw, outDir: t.out, maxRetries: 0 });
      const r = await s.runNow();
      await s.stop();
      expect(r!.status).toBe('busy');
      expect(existsSync(join(t.out, 'releases'))).toBe(false);
      if (holder.ok) holder.release();
    } finally {
      t.cleanup();
    }
  });
});
