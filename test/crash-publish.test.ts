/**
 * Crash safety of publishing: the real CLI publishes into an output folder that
 * already holds a release and is killed with SIGKILL at seeded random moments —
 * most of them inside the publishing window, some anywhere in the run. After
 * every kill, `latest` must resolve to a complete release whose manifest.json
 * sha256s match its files, every release folder must be complete, and the
 * extraction workers of the killed run must go away. A final uninterrupted run
 * must then complete, leave no temporary files, and leave releases/index.json
 * listing every release folder and every switch of latest (a run killed between
 * its rename and its index update is repaired by the next). Uses dist/.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, watch, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
// Plain ESM module shared with the fuzz script (no type declarations).
import { mulberry32 } from './fuzz/fuzz.mjs';

const ROOT = join(import.meta.dirname, '..');
const CLI = join(ROOT, 'dist/pipeline/cli/main.js');
const INPUT = join(ROOT, 'test/fixtures/bad/h28-page1.pdf');
const KILLS = 26;
const SEED = 402036;

const work = mkdtempSync(join(tmpdir(), 'sousei-crash-'));
const out = join(work, 'out');
afterAll(() => rmSync(work, { recursive: true, force: true }));

interface Run {
  status: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
  /** ms from the "[validate]" log line (publishing starts right after it) to the exit. */
  publishWindow: number | null;
  /** ms from the first temporary file in releases/ (the writing starts) to the exit. */
  writeWindow: number | null;
  /** Worker processes the CLI had started, read from /proc just before it was killed. */
  children: number[];
}

/** Child processes of `pid` (Linux /proc; empty elsewhere). */
function childrenOf(pid: number): number[] {
  try {
    return readdirSync(`/proc/${pid}/task`).flatMap((t) => readFileSync(`/proc/${pid}/task/${t}/children`, 'utf8').trim().split(/\s+/u).filter(Boolean).map(Number));
  } catch {
    return [];
  }
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return !readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.startsWith('Z');
  } catch {
    return false;
  }
};

type Kill = { afterWriteStartMs: number } | { afterValidateMs: number } | { afterStartMs: number };

/** Run the CLI once (run i adds a unique failing file, so every completed run makes a new release); kill it as `kill` says. */
function publishRun(i: number, kill: Kill | null): Promise<Run> {
  const junk = join(work, `junk-${i}.pdf`);
  writeFileSync(junk, `not a pdf ${i}\n`);
  const args = [CLI, 'run', INPUT, junk, '--keep-going', '--workers', '1', '--out', out, '--municipality-code', '402036', '--municipality-name', '福岡県久留米市', '--year', '2016'];
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    let validatedAt: number | null = null;
    let writingAt: number | null = null;
    let children: number[] = [];
    const doKill = () => {
      if (p.exitCode !== null || p.signalCode !== null) return;
      children = childrenOf(p.pid!);
      p.kill('SIGKILL');
    };
    if (kill && 'afterStartMs' in kill) setTimeout(doKill, kill.afterStartMs);
    // The release is written into releases/.tmp-* first: inotify tells when that starts.
    const watcher = existsSync(join(out, 'releases'))
      ? watch(join(out, 'releases'), (_event, name) => {
          if (writingAt !== null || !String(name).startsWith('.tmp-')) return;
          writingAt = performance.now();
          if (kill && 'afterWriteStartMs' in kill) setTimeout(doKill, kill.afterWriteStartMs);
        })
      : null;
    p.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (validatedAt === null && stderr.includes('[validate]')) {
        validatedAt = performance.now();
        if (kill && 'afterValidateMs' in kill) setTimeout(doKill, kill.afterValidateMs);
      }
    });
    p.on('error', reject);
    p.on('close', (status, signal) => {
      watcher?.close();
      const now = performance.now();
      resolve({ status, signal, stderr, publishWindow: validatedAt === null ? null : now - validatedAt, writeWindow: writingAt === null ? null : now - writingAt, children });
    });
  });
}

const sha = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');

/** Files under `dir`, relative, recursively. */
function listFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((n) => !lstatSync(join(dir, n)).isDirectory())
    .map((n) => relative(dir, join(dir, n)))
    .sort();
}

/** Problems of a release folder: every manifest entry present with its sha256 and size, nothing else in it. */
function releaseProblems(dir: string): string[] {
  const mf = join(dir, 'manifest.json');
  if (!existsSync(mf)) return [`${dir}: no manifest.json`];
  let manifest: { files: Array<{ path: string; bytes: number; sha256: string }> };
  try {
    manifest = JSON.parse(readFileSync(mf, 'utf8'));
  } catch (err) {
    return [`${dir}: manifest.json is not JSON (${(err as Error).message})`];
  }
  const problems: string[] = [];
  for (const f of manifest.files) {
    const p = join(dir, f.path);
    if (!existsSync(p)) problems.push(`${f.path} is missing`);
    else if (sha(p) !== f.sha256 || readFileSync(p).byteLength !== f.bytes) problems.push(`${f.path} does not match manifest.json`);
  }
  const extra = listFiles(dir).filter((n) => n !== 'manifest.json' && !manifest.files.some((f) => f.path === n));
  if (extra.length) problems.push(`files not in manifest.json: ${extra.join(', ')}`);
  return problems.map((p) => `${dir}: ${p}`);
}

/** The invariants that must hold whenever the CLI is not running. */
function checkOutput(): { latest: string; problems: string[]; leftovers: string[]; releases: string[] } {
  const problems: string[] = [];
  const link = join(out, 'latest');
  const target = readlinkSync(link);
  expect(target).toMatch(/^releases\/[^/]+$/u);
  const latest = target.slice('releases/'.length);
  problems.push(...releaseProblems(join(out, target)));
  const releasesDir = join(out, 'releases');
  const names = readdirSync(releasesDir);
  const releases = names.filter((n) => !n.startsWith('.') && n !== 'index.json');
  for (const r of releases) problems.push(...releaseProblems(join(releasesDir, r)));
  if (existsSync(join(releasesDir, 'index.json'))) {
    try {
      JSON.parse(readFileSync(join(releasesDir, 'index.json'), 'utf8'));
    } catch (err) {
      problems.push(`releases/index.json is not JSON: ${(err as Error).message}`);
    }
  }
  const leftovers = [...names.filter((n) => n.startsWith('.')), ...readdirSync(out).filter((n) => n.startsWith('.') && n !== '.cache')]; // .cache: the extraction cache, checked on reading
  return { latest, problems, leftovers, releases };
}

async function gone(pids: number[]): Promise<number[]> {
  for (let k = 0; k < 200 && pids.some(alive); k++) await new Promise((r) => setTimeout(r, 50));
  return pids.filter(alive);
}

describe('publishing survives kill -9 at any moment', () => {
  it(`${KILLS} kills at seeded moments leave a complete release behind latest; a final run completes`, { timeout: 240_000 }, async () => {
    // The folder already holds a release; the second run tells how long publishing and writing take here.
    const first = await publishRun(0, null);
    expect(first.status, first.stderr).toBe(3);
    const second = await publishRun(0.5, null);
    expect(second.status, second.stderr).toBe(3);
    const window = second.publishWindow!;
    const writing = second.writeWindow!;
    expect(writing).toBeGreaterThan(0);
    let state = checkOutput();
    expect(state.problems).toEqual([]);

    const rnd = mulberry32(SEED);
    const phases = { before: 0, during: 0, after: 0 };
    for (let i = 1; i <= KILLS; i++) {
      const before = state;
      // Most kills fall while the release is written, some while it is built, a few anywhere in the run.
      const r = rnd();
      const kill: Kill = r < 0.6 ? { afterWriteStartMs: rnd() * writing * 1.2 } : r < 0.85 ? { afterValidateMs: rnd() * window } : { afterStartMs: rnd() * 2500 };
      const run = await publishRun(i, kill);
      state = checkOutput();
      expect(state.problems, `kill ${i} (${JSON.stringify(kill)}): ${run.stderr}`).toEqual([]);
      // latest is the previous release or a new, complete one — never anything else.
      expect([before.latest, ...state.releases.filter((r) => !before.releases.includes(r))]).toContain(state.latest);
      if (run.signal === 'SIGKILL') {
        const created = state.releases.some((r) => !before.releases.includes(r));
        const leftBehind = state.leftovers.some((n) => !before.leftovers.includes(n));
        if (state.latest !== before.latest) phases.after++;
        else if (created || leftBehind) phases.during++;
        else phases.before++;
        // The killed run's worker processes end too (they exit when the channel to their parent closes).
        expect(await gone(run.children), `workers of kill ${i}`).toEqual([]);
      } else {
        expect(run.status, run.stderr).toBe(3);
        phases.after++;
      }
    }
    console.log(`kill -9 phases (publishing ${window.toFixed(0)} ms, writing ${writing.toFixed(0)} ms): ${JSON.stringify(phases)}`);
    // The kills did land in the publishing window, not only around it.
    expect(phases.during).toBeGreaterThan(0);

    const final = await publishRun(KILLS + 1, null);
    expect(final.status, final.stderr).toBe(3);
    state = checkOutput();
    expect(state.problems).toEqual([]);
    expect(state.leftovers).toEqual([]);
    const index = JSON.parse(readFileSync(join(out, 'releases', 'index.json'), 'utf8')) as { releases: Array<{ id: string }>; latest_history: Array<{ from: string | null; to: string }> };
    expect(index.releases.map((r) => r.id)).toContain(state.latest);
    // No release is lost from the index, whenever its run was killed (repaired at the start of the next publish),
    // and the history of latest ends where latest is, each switch starting where the one before ended.
    expect(index.releases.map((r) => r.id).sort()).toEqual([...state.releases].sort());
    expect(index.latest_history.at(-1)!.to).toBe(state.latest);
    for (const [i, sw] of index.latest_history.entries()) expect(sw.from).toBe(i === 0 ? null : index.latest_history[i - 1]!.to);
    expect(readFileSync(join(out, 'latest', 'findings.csv'), 'utf8')).toContain(`junk-${KILLS + 1}.pdf was not processed`);
  });
});
