/**
 * The machine failing under a run, and runs colliding (issue 14, items 3 and 4), through
 * the real CLI (dist/):
 * - a full $TMPDIR, a full or read-only output file system (small tmpfs mounts: these
 *   tests need root, as the project's test machine has) fail the run with one line
 *   naming the path and the fault — never a PDF — and publish nothing, --keep-going or not;
 * - `run` takes the run lock the scheduler and `ingest` take: while it is held nothing
 *   is done and the message names the holder; a lock left by a dead process is taken
 *   over; two runs started together never collide; check (and run --dry-run) neither takes
 *   nor waits for it, and refuses a planted link in releases/ as run does, naming the real path.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { describeError } from '../pipeline/cli/run.js';
import { ingest } from '../pipeline/ingest/index.js';
import { acquireLock, runLockPath } from '../pipeline/schedule/lock.js';
import { CHANGED_PDF, makeRaw, pdfRoute, startServer } from './ingest-server.js';
import { runCli } from './support/cli.js';
import { snapshot } from './support/snapshot.js';

const ROOT = join(import.meta.dirname, '..');
const INPUT = join(ROOT, 'test/fixtures/bad/h28-page1.pdf');
const META = ['--municipality-code', '402036', '--municipality-name', '福岡県久留米市', '--year', '2016'];

const work = mkdtempSync(join(tmpdir(), 'sousei-faults-'));
const mounts: string[] = [];
afterAll(() => {
  for (const m of mounts.reverse()) execFileSync('umount', [m]);
  rmSync(work, { recursive: true, force: true });
});

/** A tmpfs of `size` mounted at a new folder (root only). */
function tmpfs(name: string, size: string): string {
  const dir = join(work, name);
  mkdirSync(dir);
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0755`, 'tmpfs', dir]);
  mounts.push(dir);
  return dir;
}

const cli = (args: string[], env: Record<string, string> = {}) => runCli(['run', ...args], env);
/** Any sousei-kpi command line. */
const command = runCli;

/** A second input that fails on its own (so --keep-going has something to keep going past). */
function junk(): string {
  const p = join(work, `junk-${Math.random().toString(16).slice(2)}.pdf`);
  writeFileSync(p, 'not a pdf\n');
  return p;
}

const LINE = /^sousei-kpi: (.+?): (.+) — (.+)$/u;

describe('environment faults are the run’s failure, not a PDF’s', () => {
  it('a full $TMPDIR with --keep-going: one line naming the folder and ENOSPC, nothing published', async () => {
    const tmp = tmpfs('tmpdir-full', '4k');
    const out = join(work, 'out-tmpdir');
    const r = await cli([INPUT, junk(), '--keep-going', '--workers', '1', '--out', out, '--quiet', ...META], { TMPDIR: tmp });
    expect(r.status, r.stderr).toBe(1);
    const lines = r.stderr.trim().split('\n');
    const m = LINE.exec(lines[0]!);
    expect(m, r.stderr).not.toBeNull();
    expect(m![1]!.startsWith(join(tmp, 'sousei-kpi-run-'))).toBe(true);
    expect(m![2]).toMatch(/^no space left on the device \(the disk is full\) \(ENOSPC in write\)$/u);
    expect(m![3]).toMatch(/^an environment fault, not a problem of any report: free space/u);
    expect(r.stderr).not.toContain(`${INPUT}:`); // the good report is not blamed
    expect(r.stderr).not.toContain('unexpected error');
    expect(lines.at(-1)).toBe('sousei-kpi: nothing was published; latest is unchanged (none)');
    expect(existsSync(join(out, 'latest'))).toBe(false);
    expect(r.stdout).toBe('');
  });

  it('a full output file system: the release being written is named, removed, latest unchanged', async () => {
    const out = join(tmpfs('out-full', '48k'), 'out');
    const r = await cli([INPUT, '--workers', '1', '--out', out, '--quiet', ...META]);
    expect(r.status, r.stderr).toBe(1);
    const m = LINE.exec(r.stderr.trim().split('\n')[0]!);
    expect(m, r.stderr).not.toBeNull();
    expect(m![1]).toMatch(new RegExp(`^${join(out, 'releases')}/`, 'u'));
    expect(m![2]).toMatch(/\(ENOSPC/u);
    expect(r.stderr).toContain('sousei-kpi: nothing was published; latest is unchanged (none)');
    expect(readdirSync(join(out, 'releases')).filter((n) => n.startsWith('.'))).toEqual([]);
    expect(existsSync(join(out, 'latest'))).toBe(false);
  });

  it('a read-only output file system: EROFS named, the release before it unchanged', async () => {
    const mount = tmpfs('out-ro', '16m');
    const out = join(mount, 'out');
    const first = await cli([INPUT, '--workers', '1', '--out', out, '--quiet', ...META]);
    expect(first.status, first.stderr).toBe(0);
    const latest = readlinkSync(join(out, 'latest'));
    execFileSync('mount', ['-o', 'remount,ro', mount]);
    const r = await cli([INPUT, junk(), '--keep-going', '--workers', '1', '--out', out, '--quiet', ...META]);
    expect(r.status, r.stderr).toBe(1);
    const m = LINE.exec(r.stderr.trim().split('\n')[0]!);
    expect(m, r.stderr).not.toBeNull();
    expect(m![1].startsWith(out)).toBe(true);
    expect(m![2]).toMatch(/^the file system is read-only \(EROFS/u);
    expect(m![3]).toMatch(/environment fault/u);
    expect(readlinkSync(join(out, 'latest'))).toBe(latest);
  });

  it('ingest into a full raw/: the download fails naming the temporary file and ENOSPC, nothing is left behind', async () => {
    const server = await startServer({ '/report.pdf': pdfRoute(CHANGED_PDF, '"v2"') });
    const t = makeRaw({ url: server.url('/report.pdf') });
    const raw = tmpfs('raw-full', '900k');
    try {
      for (const n of readdirSync(t.raw)) writeFileSync(join(raw, n), readFileSync(join(t.raw, n)));
      const registry = readFileSync(join(raw, 'sources.json'), 'utf8');
      const r = await ingest({ rawDir: raw, limits: { retries: 0 } });
      expect(r.fetched[0]).toMatchObject({ outcome: 'failed' });
      expect(r.fetched[0]!.error).toMatch(new RegExp(`^${raw}/\\.ingest-\\d+-[0-9a-f]+\\.part: no space left on the device \\(the disk is full\\) \\(ENOSPC in write\\) — an environment fault`, 'u'));
      expect(readdirSync(raw).filter((n) => n.startsWith('.'))).toEqual([]);
      expect(readFileSync(join(raw, 'sources.json'), 'utf8')).toBe(registry);
    } finally {
      await server.close();
      t.cleanup();
    }
  });

  it('ENOTEMPTY from the file system is described as a fault with its path', () => {
    const a = join(work, 'a');
    const b = join(work, 'b');
    mkdirSync(a);
    mkdirSync(join(b, 'x'), { recursive: true });
    let err: unknown;
    try {
      renameSync(a, b);
    } catch (e) {
      err = e;
    }
    expect(describeError('(run)', err)).toEqual({
      file: a,
      problem: 'a folder that should be empty or absent is not (ENOTEMPTY in rename)',
      hint: 'an environment fault, not a problem of any report: another process may be writing into the same output folder; run one at a time (runs/lock)',
    });
  });
});

describe('the run lock', () => {
  it('while another process holds it, run does nothing and names the holder; then it runs', async () => {
    const out = join(work, 'out-locked');
    const lock = acquireLock(runLockPath(out), { purpose: 'scheduled test' });
    expect(lock.ok).toBe(true);
    try {
      const r = await cli([INPUT, '--out', out, '--quiet', ...META]);
      expect(r.status).toBe(1);
      expect(r.stderr.trim()).toBe(
        `sousei-kpi: ${runLockPath(out)}: another run holds the lock (pid ${process.pid} on ${hostname()}, scheduled test, since ${(lock as { info: { started_at: string } }).info.started_at}); nothing was done — run again when it has finished (a lock whose process has ended is taken over automatically)`,
      );
      expect(existsSync(join(out, 'releases'))).toBe(false);
    } finally {
      if (lock.ok) lock.release();
    }
    const r = await cli([INPUT, '--out', out, '--quiet', ...META]);
    expect(r.status, r.stderr).toBe(0);
    expect(existsSync(runLockPath(out))).toBe(false);
  });

  it('check and run --dry-run neither take nor wait for it, and still compare with the real latest', async () => {
    const out = join(work, 'out-check');
    const first = await cli([INPUT, '--out', out, '--quiet', ...META]);
    expect(first.status, first.stderr).toBe(0);
    const id = first.stdout.trim().split('/').at(-1)!;
    const lock = acquireLock(runLockPath(out), { purpose: 'scheduled test' });
    expect(lock.ok).toBe(true);
    try {
      const lockText = readFileSync(runLockPath(out), 'utf8');
      const before = snapshot(out);
      for (const args of [['check'], ['run', '--dry-run']]) {
        const r = await command([...args, INPUT, '--out', out, '--quiet', ...META]);
        expect(r.status, r.stderr).toBe(0);
        // The release folders reached check through its stand-in and passed the same verification a run applies.
        expect(r.stdout).toContain(`Against latest: no change — the content equals release ${id} already in ${out}`);
        expect(r.stderr).not.toContain('lock');
        expect(snapshot(out)).toEqual(before); // the lock file too: still the holder's, untouched
      }
      expect(readFileSync(runLockPath(out), 'utf8')).toBe(lockText);
    } finally {
      if (lock.ok) lock.release();
    }
  });

  it('check refuses what run refuses in releases/, naming the real output folder', async () => {
    const out = join(work, 'out-check-link');
    const first = await cli([INPUT, '--out', out, '--quiet', ...META]);
    expect(first.status, first.stderr).toBe(0);
    const dir = first.stdout.trim();
    const elsewhere = join(work, 'release-elsewhere');
    cpSync(dir, elsewhere, { recursive: true });
    rmSync(dir, { recursive: true });
    symlinkSync(elsewhere, dir);
    const run = await cli([INPUT, '--out', out, '--quiet', ...META]);
    const check = await command(['check', INPUT, '--out', out, '--quiet', ...META]);
    expect([run.status, check.status]).toEqual([1, 1]);
    const line = `sousei-kpi: ${dir}: latest points at it, but it is a symbolic link, not a release folder this pipeline wrote`;
    expect(run.stderr.split('\n')[0]).toMatch(new RegExp(`^${line.replace(/[.*+?^${}()|[\]\\/]/gu, '\\$&')} — `, 'u'));
    expect(check.stderr.split('\n')[0]).toBe(run.stderr.split('\n')[0]);
    expect(check.stdout).toBe('');
  });

  it('a lock left by a process that is gone is taken over', async () => {
    const out = join(work, 'out-stale');
    mkdirSync(join(out, 'runs'), { recursive: true });
    writeFileSync(runLockPath(out), JSON.stringify({ pid: 2 ** 22 + 1, hostname: hostname(), started_at: new Date().toISOString(), purpose: 'run', token: 'dead' }));
    const r = await cli([INPUT, '--out', out, ...META]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toContain(`[lock] took over a stale lock (process ${2 ** 22 + 1} is not running)`);
    expect(existsSync(runLockPath(out))).toBe(false);
  });

  it('two runs started together on one output folder: each publishes or waits its turn, never collides', async () => {
    const out = join(work, 'out-race');
    for (let i = 0; i < 4; i++) {
      const runs = await Promise.all([cli([INPUT, '--workers', '1', '--out', out, '--quiet', ...META]), cli([INPUT, junk(), '--keep-going', '--workers', '1', '--out', out, '--quiet', ...META])]);
      for (const r of runs) {
        if (r.status === 1) expect(r.stderr, r.stderr).toContain('another run holds the lock');
        else expect([0, 3], r.stderr).toContain(r.status);
      }
      expect(runs.some((r) => r.status !== 1)).toBe(true);
    }
    const manifest = JSON.parse(readFileSync(join(out, 'latest', 'manifest.json'), 'utf8')) as { files: unknown[] };
    expect(manifest.files.length).toBeGreaterThan(10);
  });
});

/** stderr up to the end-of-run summary (its lines start with "[summary] "; they come last). */
function beforeSummary(stderr: string): string {
  const i = stderr.indexOf('[summary] ');
  expect(i, stderr).toBeGreaterThanOrEqual(0);
  expect(stderr.slice(i).split('\n').filter(Boolean).every((l) => l.startsWith('[summary] ')), stderr).toBe(true);
  return stderr.slice(0, i);
}

describe('every switch of latest is said on stderr (also with --quiet) and recorded', () => {
  it('forward to a new release, and back to an existing one', async () => {
    const out = join(work, 'out-switch');
    const a = await cli([INPUT, '--out', out, '--quiet', ...META]);
    expect(a.status, a.stderr).toBe(0);
    const idA = a.stdout.trim().split('/').at(-1)!;
    // With --quiet, the switch line is followed only by the end-of-run summary.
    expect(beforeSummary(a.stderr)).toBe(`sousei-kpi: latest -> releases/${idA} (was unset; new release); recorded in releases/index.json\n`);
    expect(a.stderr).toContain(`[summary] release ${join(out, 'releases', idA)} (new)\n`);
    const b = await cli([INPUT, '--out', out, '--quiet', '--sjis', ...META]);
    const idB = b.stdout.trim().split('/').at(-1)!;
    expect(beforeSummary(b.stderr)).toBe(`sousei-kpi: latest -> releases/${idB} (was releases/${idA}; new release); recorded in releases/index.json\n`);
    const back = await cli([INPUT, '--out', out, '--quiet', ...META]);
    expect(back.status, back.stderr).toBe(0);
    expect(beforeSummary(back.stderr)).toBe(`sousei-kpi: latest -> releases/${idA} (was releases/${idB}; existing release with the same content); recorded in releases/index.json\n`);
    expect(back.stderr).toContain(`[summary] release ${join(out, 'releases', idA)} (unchanged content: existing release)\n`);
    const same = await cli([INPUT, '--out', out, '--quiet', ...META]);
    expect(beforeSummary(same.stderr)).toBe('');
    expect(same.stderr).toMatch(/^\[summary\] reports 1 /u);
    const index = JSON.parse(readFileSync(join(out, 'releases', 'index.json'), 'utf8')) as { latest_history: Array<{ from: string | null; to: string }> };
    expect(index.latest_history.map((s) => [s.from, s.to])).toEqual([
      [null, idA],
      [idA, idB],
      [idB, idA],
    ]);
  });
});
