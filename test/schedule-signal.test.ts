/**
 * SIGTERM to a real `sousei-kpi schedule` child process: while a download is in progress
 * (the test server stalls) and while idle. It must exit 0 without leaving a lock, partial
 * files or a changed registry. The CLI is compiled with tsc into a private folder first,
 * so the test runs the current sources without touching dist/.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parseCron, previousFire } from '../pipeline/schedule/cron.js';
import { loadState, saveState, stateFile } from '../pipeline/schedule/index.js';
import { makeRaw, pdfRoute, REAL_PDF, ROOT, stallRoute, startServer, type RawDir, type TestServer } from './ingest-server.js';

const BUILD = join(ROOT, `dist.tmp.schedule-signal-${process.pid}`); // *.tmp.* is git-ignored
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let server: TestServer;
let t: RawDir;
let child: ChildProcess | null = null;

beforeAll(() => {
  execFileSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(ROOT, 'tsconfig.json'), '--outDir', BUILD], { stdio: 'inherit' });
});
afterAll(() => rmSync(BUILD, { recursive: true, force: true }));

beforeEach(async () => {
  server = await startServer({ '/report.pdf': stallRoute });
  t = makeRaw({ url: server.url('/report.pdf') });
});
afterEach(async () => {
  if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await server.close();
  t.cleanup();
});

function startSchedule(...extra: string[]): { proc: ChildProcess; stderr: () => string; exit: Promise<{ code: number | null; signal: string | null }> } {
  let err = '';
  const proc = spawn(process.execPath, [join(BUILD, 'pipeline', 'cli', 'main.js'), 'schedule', '--raw', t.raw, '--out', t.out, '--stall-timeout', '60', '--retries', '0', ...extra], { stdio: ['ignore', 'ignore', 'pipe'] });
  proc.stderr!.on('data', (b: Buffer) => (err += b.toString()));
  child = proc;
  const exit = new Promise<{ code: number | null; signal: string | null }>((resolve) => proc.on('exit', (code, signal) => resolve({ code, signal })));
  return { proc, stderr: () => err, exit };
}

/** Wait for the child to exit, at most ~20 s; kill it and fail otherwise. */
async function exited(exit: Promise<{ code: number | null; signal: string | null }>, proc: ChildProcess) {
  const timeout = sleep(20_000).then(() => null);
  const r = await Promise.race([exit, timeout]);
  if (!r) {
    proc.kill('SIGKILL');
    throw new Error('the schedule process did not exit within 20 s of SIGTERM');
  }
  return r;
}

async function until(cond: () => boolean, what: string) {
  for (let i = 0; i < 300 && !cond(); i++) await sleep(50);
  if (!cond()) throw new Error(`timed out waiting for ${what}`);
}

describe('schedule child process and SIGTERM', () => {
  it('abandons a download in progress cleanly and exits 0', async () => {
    const registry = readFileSync(t.sourcesPath, 'utf8');
    const { proc, stderr, exit } = startSchedule();
    await until(() => server.count('/report.pdf') > 0, 'the catch-up run to request the report');
    await until(() => existsSync(join(t.out, 'runs', 'lock')), 'the run lock');
    proc.kill('SIGTERM');
    const r = await exited(exit, proc);
    expect(r, stderr()).toEqual({ code: 0, signal: null });
    expect(stderr()).toContain('SIGTERM: stopping');
    expect(stderr()).toContain('stopped');
    expect(existsSync(join(t.out, 'runs', 'lock'))).toBe(false);
    expect(readdirSync(t.raw).filter((n) => n.startsWith('.'))).toEqual([]);
    expect(readFileSync(t.sourcesPath, 'utf8')).toBe(registry);
    expect(existsSync(join(t.out, 'latest'))).toBe(false);
    const state = loadState(stateFile(t.out))!;
    expect(state).toMatchObject({ last_fire_handled: null, last_run: { kind: 'catch-up', status: 'aborted' }, last_success: null });
    const report = readFileSync(join(t.out, 'runs', `${state.last_run!.id}.txt`), 'utf8');
    expect(report).toMatch(/catch-up run .*: ABORTED/);
    expect(report).toContain('stopped on request');
    expect(server.count('/report.pdf')).toBe(1);
  });

  it('stops an idle schedule at once and exits 0', async () => {
    const cron = '0 6 1 10 *';
    const prev = previousFire(parseCron(cron), 'Asia/Tokyo', new Date())!;
    saveState(stateFile(t.out), { cron, timezone: 'Asia/Tokyo', last_fire_handled: prev.toISOString(), last_run: null, last_success: null });
    const { proc, stderr, exit } = startSchedule();
    await until(() => stderr().includes('scheduled "0 6 1 10 *" (Asia/Tokyo); next run'), 'the schedule to start');
    proc.kill('SIGTERM');
    const r = await exited(exit, proc);
    expect(r, stderr()).toEqual({ code: 0, signal: null });
    expect(server.count('/report.pdf')).toBe(0);
    expect(readdirSync(join(t.out, 'runs'))).toEqual(['state.json']);
  });

  it('--once-now makes one whole run (worker-pool extraction, as in production) and exits 0', async () => {
    server.route('/report.pdf', pdfRoute(REAL_PDF, '"a"'));
    const { proc, stderr, exit } = startSchedule('--once-now', '--quiet');
    const r = await exited(exit, proc);
    expect(r, stderr()).toEqual({ code: 0, signal: null });
    const state = loadState(stateFile(t.out))!;
    expect(state.last_success).toMatchObject({ kind: 'manual', status: 'ok' });
    expect(existsSync(join(t.out, 'releases', state.last_success!.release_id!, 'numeric_targets.csv'))).toBe(true);
    expect(readFileSync(join(t.out, 'runs', `${state.last_run!.id}.txt`), 'utf8')).toMatch(/Published: NEW release/);
    expect(existsSync(join(t.out, 'runs', 'lock'))).toBe(false);
  });
});
