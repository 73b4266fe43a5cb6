/**
 * A re-run on unchanged input (cli/rerun.ts) through the real CLI: it prints what the
 * full run prints (stdout, the [summary] lines, the exit status) without loading the
 * pipeline or forking a worker, and every change to what a run reads — a PDF, a raw/
 * file, an option, the build, the release folder, the review queue, latest — makes
 * the next run a full one that publishes (or refuses) as it always did.
 *
 * Forks are counted by a preload in the CLI process that wraps child_process.fork
 * (the extraction workers are forked with it); whether a run was skipped is read from
 * the unchanged_input field of --timings. One fresh run parses the bundled report; every
 * other output folder starts from a copy of its extraction cache, so the full runs here
 * are the cheap ones (normalize, validate, publish).
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, renameSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runRecordPath } from '../pipeline/cli/run-record.js';
import { snapshot } from './support/snapshot.js';

const ROOT = join(import.meta.dirname, '..');
const CLI = join(ROOT, 'dist/pipeline/cli/main.js');
const PDF_NAME = 'kurume-sousei-h28-progress.pdf';
const TOURISTS = '402036/2016/402036-G2-tourists/2015';
const HELD_PDF = join(ROOT, 'test/fixtures/review/doubtful-table.pdf');
const HELD_META = ['--municipality-code', '402036', '--municipality-name', '福岡県久留米市', '--year', '2016'];

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
  timings: Record<string, unknown> | null;
  summary: string[];
  /** child_process.fork calls of the CLI process. */
  forks: number;
}

interface Fixture {
  raw: string;
  out: string;
}

const tmp = (prefix: string) => mkdtempSync(join(tmpdir(), `sousei-rerun-${prefix}-`));
/** Preload counting forks; preload listing every module file loaded (ES modules through a resolve hook). */
let spy: string;
let moduleSpy: string;
/** Most modules a skipped run may load: the CLI entry, the check and the small modules it imports (14 when written). */
const MOST_MODULES_OF_A_SKIPPED_RUN = 20;

function cli(args: string[], main = CLI, preload = spy): Run {
  const r = spawnSync(process.execPath, ['--import', preload, main, ...args], { cwd: ROOT, encoding: 'utf8' });
  const m = /^\[timings\] (.*)$/mu.exec(r.stderr);
  return {
    status: r.status,
    stdout: r.stdout,
    stderr: r.stderr,
    timings: m ? (JSON.parse(m[1]!) as Record<string, unknown>) : null,
    summary: r.stderr.split('\n').filter((l) => l.startsWith('[summary]')),
    forks: r.stderr.split('\n').filter((l) => l === '[test] fork').length,
  };
}

/** `run` on a fixture, quiet, with --timings. */
const run = (f: Fixture, extra: string[] = [], main = CLI) => cli(['run', '--raw', f.raw, '--out', f.out, '--quiet', '--timings', ...extra], main);

/** The summary a full run on the same input prints after `r`: the release exists by then. */
const summaryAfter = (r: Run) => r.summary.map((l) => l.replace(/ \(new\)$/u, ' (unchanged content: existing release)'));

/** `r` was skipped, and printed what a full run after `like` (on the same input) would. */
function expectSkipped(r: Run, like: Run): void {
  expect(r.timings, r.stderr).toMatchObject({ unchanged_input: true, parsed: 0, workers: 0 });
  expect(r.forks).toBe(0);
  expect([r.status, r.stdout, r.summary]).toEqual([like.status, like.stdout, summaryAfter(like)]);
}

function expectFull(r: Run, status: number): void {
  expect(r.status, r.stderr).toBe(status);
  // A run stopped before the end prints no timings; one that got there says it ran.
  if (r.timings) expect(r.timings.unchanged_input).toBe(false);
  else expect(r.stderr).not.toContain('[summary] release');
}

/** The full run's answer and the skipped run's after it are the same. */
function fullThenSkipped(f: Fixture, extra: string[] = [], status = 0): Run {
  const full = run(f, extra);
  expectFull(full, status);
  expectSkipped(run(f, extra), full);
  return full;
}

let base: Fixture;
let fresh: Run;

/** A raw folder copied from the project's, and an output folder seeded with the fresh run's extraction cache. */
function fixture(): Fixture {
  const dir = tmp('fx');
  const f = { raw: join(dir, 'raw'), out: join(dir, 'out') };
  cpSync(join(ROOT, 'raw'), f.raw, { recursive: true });
  mkdirSync(join(f.out, '.cache'), { recursive: true });
  cpSync(join(base.out, '.cache', 'extract'), join(f.out, '.cache', 'extract'), { recursive: true });
  return f;
}

/** A fixture after one full run (which records it). */
function recorded(extra: string[] = []): Fixture {
  const f = fixture();
  const first = run(f, extra);
  expectFull(first, 0);
  expect(first.timings).toMatchObject({ parsed: 0, cached: 1 });
  expect(existsSync(runRecordPath(f.out))).toBe(true);
  return f;
}

const releaseOf = (out: string) => readlinkSync(join(out, 'latest')).replace(/^releases\//u, '');

beforeAll(() => {
  const dir = tmp('spy');
  spy = join(dir, 'fork-spy.mjs');
  writeFileSync(
    spy,
    [
      "import cp from 'node:child_process';",
      "import { syncBuiltinESMExports } from 'node:module';",
      'const fork = cp.fork;',
      "cp.fork = function (...args) { process.stderr.write('[test] fork\\n'); return fork.apply(this, args); };",
      'syncBuiltinESMExports();',
      '',
    ].join('\n'),
  );
  moduleSpy = join(dir, 'module-spy.mjs');
  const hook = "export async function resolve(s, c, next) { const r = await next(s, c); if (r.url.startsWith('file:')) process.stderr.write(`[test] module ${r.url}\\n`); return r; }";
  // The libraries are CommonJS, loaded with require() where first used (lib/lazy.ts): listed from require.cache at exit.
  const cjs = "process.on('exit', () => { for (const k of Object.keys(createRequire(import.meta.url).cache)) process.stderr.write(`[test] module file://${k}\\n`); });";
  writeFileSync(moduleSpy, `import { createRequire, register } from 'node:module';\nregister(${JSON.stringify(`data:text/javascript,${encodeURIComponent(hook)}`)});\n${cjs}\n`);
  base = { raw: join(dir, 'raw'), out: join(dir, 'out') };
  cpSync(join(ROOT, 'raw'), base.raw, { recursive: true });
  fresh = run(base);
});

describe('a run on unchanged input', () => {
  it('is answered from the record: the full run\'s stdout, summary and exit status, no worker, nothing written', () => {
    expectFull(fresh, 0);
    expect(fresh.timings).toMatchObject({ parsed: 1 });
    expect(fresh.forks).toBeGreaterThan(0); // the spy sees the workers a run forks
    expect(fresh.summary[1]).toMatch(/ \(new\)$/u);
    const before = snapshot(base.out);
    const again = run(base);
    expect(again.timings).toMatchObject({ unchanged_input: true, parsed: 0, cached: 0, workers: 0, extract_ms: 0, publish_ms: 0, reports: 1, pages: 5 });
    expect(Object.keys(again.timings!)).toEqual(Object.keys(fresh.timings!));
    expect([again.status, again.forks, again.stdout]).toEqual([0, 0, fresh.stdout]);
    expect(snapshot(base.out)).toEqual(before);
    // What the full run prints on the same input (the record forgotten, the cache used).
    rmSync(runRecordPath(base.out));
    const full = run(base);
    expectFull(full, 0);
    expect(full.timings).toMatchObject({ cached: 1, parsed: 0 });
    expect(full.summary[1]).toBe(`[summary] release ${join(base.out, 'releases', releaseOf(base.out))} (unchanged content: existing release)`);
    expectSkipped(again, full);
  });

  it('loads none of the pipeline and none of its libraries', () => {
    const f = recorded();
    const modules = (r: Run) => [...new Set(r.stderr.split('\n').filter((l) => l.startsWith('[test] module file://')).map((l) => l.slice('[test] module file://'.length).replace(`${ROOT}/`, '')))];
    const skipped = modules(cli(['run', '--raw', f.raw, '--out', f.out, '--quiet'], CLI, moduleSpy));
    rmSync(runRecordPath(f.out));
    const full = modules(cli(['run', '--raw', f.raw, '--out', f.out, '--quiet'], CLI, moduleSpy));
    // The spy sees what a full run loads…
    expect(full).toContain('dist/pipeline/cli/cmd-run.js');
    expect(full.some((m) => m.includes('node_modules/'))).toBe(true);
    // …and a skipped run loads the CLI entry and the check only.
    expect(skipped).toContain('dist/pipeline/cli/rerun.js');
    expect(skipped.filter((m) => m.includes('node_modules/') || /cli\/(cmd-run|prestart|run)\.js$|publish\/index\.js$|extract\/(spawn|pool|cache)\.js$/u.test(m))).toEqual([]);
    expect(skipped.length).toBeLessThanOrEqual(MOST_MODULES_OF_A_SKIPPED_RUN);
  });

  it('says so in one line instead of the progress when not --quiet', () => {
    const f = recorded();
    const r = cli(['run', '--raw', f.raw, '--out', f.out]);
    expect(r.status).toBe(0);
    expect(r.stderr).toContain(`[unchanged] the input is identical to the last run's: release ${releaseOf(f.out)} stands`);
    expect(r.stderr).not.toMatch(/^\[(done|sources|extract|progress|publish)\]/mu);
    expect(r.summary).toHaveLength(2);
  });

  it('holds on a later day: a release of an earlier day with the same content stands, in the full run and in the skipped one', () => {
    const f = recorded();
    const id = releaseOf(f.out);
    const earlier = `2000-01-01-${id.slice(-12)}`;
    renameSync(join(f.out, 'releases', id), join(f.out, 'releases', earlier));
    rmSync(join(f.out, 'latest'));
    symlinkSync(join('releases', earlier), join(f.out, 'latest'));
    const full = fullThenSkipped(f);
    expect(full.summary[1]).toBe(`[summary] release ${join(f.out, 'releases', earlier)} (unchanged content: existing release)`);
    expect(releaseOf(f.out)).toBe(earlier);
  });
});

describe('a change makes the next run a full one', () => {
  it('one byte of a registered PDF: the full run refuses it as not the registered file; put back, the last good run stands', () => {
    const f = fixture();
    const good = run(f);
    expectFull(good, 0);
    const pdf = join(f.raw, PDF_NAME);
    const original = readFileSync(pdf);
    const data = Buffer.from(original);
    data[data.length - 1] = 0x20; // the newline after %%EOF
    writeFileSync(pdf, data);
    const r = run(f);
    expectFull(r, 1);
    expect(r.stderr).toContain(`${pdf}: sha256`);
    expect(r.stderr).toContain('does not match the registry');
    expectFull(run(f), 1); // a failed run records nothing
    // …and changes nothing: the record of the last good run still describes input and folder.
    writeFileSync(pdf, original);
    expectSkipped(run(f), good);
  });

  it('one byte of a PDF given on the command line: parsed again and published', () => {
    const f = fixture();
    const pdf = join(f.raw, PDF_NAME);
    fullThenSkipped(f, [pdf]);
    const data = readFileSync(pdf);
    data[data.length - 1] = 0x20;
    writeFileSync(pdf, data);
    const r = fullThenSkipped(f, [pdf]);
    expect(r.timings).toMatchObject({ parsed: 1 });
    expect(r.summary[1]).toMatch(/ \(new\)$/u);
  });

  it('a correction in raw/corrections.csv: published with the corrected value', () => {
    const f = recorded();
    const before = releaseOf(f.out);
    writeFileSync(join(f.raw, 'corrections.csv'), `record_key,field,corrected_value,reason,author,date\n${TOURISTS},actual_value,5400000,Final figure,open-data team,2026-10-01\n`);
    const r = fullThenSkipped(f);
    expect(r.summary[1]).toMatch(/ \(new\)$/u);
    expect(releaseOf(f.out)).not.toBe(before);
    const row = (JSON.parse(readFileSync(join(f.out, 'latest', 'numeric_targets.json'), 'utf8')) as Array<Record<string, unknown>>).find((x) => x.record_key === TOURISTS)!;
    expect([row.actual_value, row.extraction_status]).toEqual([5400000, 'corrected']);
  });

  it('raw/publication.json: a new release with the new publisher', () => {
    const f = recorded();
    const path = join(f.raw, 'publication.json');
    writeFileSync(path, readFileSync(path, 'utf8').replace('Kurume City open-data team', 'Kurume City data office'));
    const r = fullThenSkipped(f);
    expect(r.summary[1]).toMatch(/ \(new\)$/u);
    expect(readFileSync(join(f.out, 'latest', 'datapackage.json'), 'utf8')).toContain('Kurume City data office');
  });

  it.each(['sources.json', 'indicators.json'])('raw/%s with other bytes but the same content: a full run that adopts the release', (name) => {
    const f = recorded();
    const before = releaseOf(f.out);
    const path = join(f.raw, name);
    writeFileSync(path, JSON.stringify(JSON.parse(readFileSync(path, 'utf8'))));
    const r = fullThenSkipped(f);
    expect(r.summary[1]).toMatch(/ \(unchanged content: existing release\)$/u);
    expect(releaseOf(f.out)).toBe(before);
  });

  it('--sjis: a new release with the Shift_JIS copies; without it again, latest goes back', () => {
    const f = recorded();
    const plain = releaseOf(f.out);
    fullThenSkipped(f, ['--sjis']);
    expect(existsSync(join(f.out, 'latest', 'sjis', 'numeric_targets.csv'))).toBe(true);
    const back = run(f);
    expectFull(back, 0);
    expect(back.stderr).toContain(`latest -> releases/${plain} (was releases/`);
    expect(releaseOf(f.out)).toBe(plain);
  });

  it('--no-cache: parsed again; the run after it is skipped', () => {
    const f = recorded();
    const r = run(f, ['--no-cache']);
    expectFull(r, 0);
    expect(r.timings).toMatchObject({ parsed: 1 });
    expectSkipped(run(f), r);
  });

  it.each([
    { change: 'a file of the release changed', act: (dir: string) => writeFileSync(join(dir, 'numeric_targets.csv'), 'changed\n') },
    { change: 'a file of the release deleted', act: (dir: string) => rmSync(join(dir, 'goals.json')) },
    { change: 'a file added to the release', act: (dir: string) => writeFileSync(join(dir, 'extra.txt'), 'x') },
  ])('$change: the full run refuses to adopt the release', ({ act }) => {
    const f = recorded();
    const dir = join(f.out, 'releases', releaseOf(f.out));
    act(dir);
    const r = run(f);
    expectFull(r, 1);
    expect(r.stderr).toContain(`${dir}: has the name of this release but is not a release this pipeline wrote, or was changed since`);
  });

  it('the release folder deleted: published again', () => {
    const f = recorded();
    const id = releaseOf(f.out);
    rmSync(join(f.out, 'releases', id), { recursive: true });
    fullThenSkipped(f);
    expect(existsSync(join(f.out, 'latest', 'manifest.json'))).toBe(true);
  });

  it('latest pointed at another release: the full run points it back', () => {
    const f = recorded(['--sjis']);
    const other = releaseOf(f.out);
    fullThenSkipped(f);
    const plain = releaseOf(f.out);
    rmSync(join(f.out, 'latest'));
    symlinkSync(join('releases', other), join(f.out, 'latest'));
    const r = fullThenSkipped(f);
    expect(r.stderr).toContain(`latest -> releases/${plain} (was releases/${other}; existing release with the same content)`);
  });

  it('a leftover of a killed run: the full run cleans it', () => {
    const f = recorded();
    const left = join(f.out, 'releases', '.tmp-4000000-0badc0de');
    mkdirSync(left);
    fullThenSkipped(f);
    expect(existsSync(left)).toBe(false);
  });

  it('another build: a changed pipeline version runs in full; without the version file every run does', () => {
    // A copy of the project whose dist/ may be edited (ROOT is where package.json and schemas/ are).
    const project = tmp('project');
    cpSync(join(ROOT, 'dist'), join(project, 'dist'), { recursive: true });
    cpSync(join(ROOT, 'package.json'), join(project, 'package.json'));
    symlinkSync(join(ROOT, 'schemas'), join(project, 'schemas'));
    symlinkSync(join(ROOT, 'node_modules'), join(project, 'node_modules'));
    const main = join(project, 'dist/pipeline/cli/main.js');
    const f = recorded();
    const like = run(f);
    expectSkipped(run(f, [], main), like); // the same build contents: the same version
    const versionFile = join(project, 'dist', 'pipeline-version.json');
    writeFileSync(versionFile, JSON.stringify({ version: 'f'.repeat(64) }));
    const full = run(f, [], main);
    expectFull(full, 0);
    expectSkipped(run(f, [], main), full);
    expectFull(run(f), 0); // and the record of that build is not this one's
    rmSync(versionFile);
    const record = readFileSync(runRecordPath(f.out), 'utf8');
    expectFull(run(f, [], main), 0);
    expectFull(run(f, [], main), 0);
    expect(readFileSync(runRecordPath(f.out), 'utf8')).toBe(record); // nothing recorded without a version
  });

  it('a run lock held by a running process: the full run says so, as always', () => {
    const f = recorded();
    writeFileSync(join(f.out, 'runs', 'lock'), JSON.stringify({ pid: process.pid, hostname: hostname(), started_at: new Date().toISOString(), purpose: 'run', token: 'feedface' }));
    const r = run(f);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('another run holds the lock');
    rmSync(join(f.out, 'runs', 'lock'));
    expect(run(f).timings).toMatchObject({ unchanged_input: true });
  });

  it('a PDF far over the size limit is refused without being read, fingerprint included', () => {
    const f = recorded();
    const huge = join(f.raw, 'huge.pdf');
    writeFileSync(huge, '%PDF-1.7\n');
    truncateSync(huge, 64 * 2 ** 30); // sparse: 64 GiB that would take minutes to hash
    const started = performance.now();
    const r = run(f, [huge, ...HELD_META]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('larger than the limit of 100.0 MiB');
    expect(performance.now() - started).toBeLessThan(20_000);
  });

  it('a record that cannot be written is a warning, and the next run is a full one', () => {
    const f = fixture();
    writeFileSync(join(f.out, '.cache', 'run'), 'a file where the record folder would be');
    const r = run(f);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/^sousei-kpi: warning: the run record .*last\.json cannot be written \(EEXIST\); the next run on the same input runs in full$/mu);
    expectFull(run(f), 0);
  });
});

describe('rows held for review (exit 4)', () => {
  let f: Fixture;
  let first: Run;
  beforeAll(() => {
    f = { raw: tmp('held-raw'), out: tmp('held-out') };
    cpSync(join(ROOT, 'raw', 'indicators.json'), join(f.raw, 'indicators.json'));
    first = run(f, [HELD_PDF, ...HELD_META]);
  });

  it('a re-run gives exit 4 and the held-rows summary again, without running', () => {
    expectFull(first, 4);
    expect(first.summary.some((l) => l.includes('2 doubtful row(s) held'))).toBe(true);
    const again = run(f, [HELD_PDF, ...HELD_META]);
    expect(again.timings).toMatchObject({ unchanged_input: true });
    expect(again.summary[1]).toMatch(/ \(unchanged content: existing release\)$/u);
    expectSkipped(again, first);
  });

  it('a deleted review queue: the full run writes it again', () => {
    const queue = join(f.out, 'review', 'queue.json');
    const text = readFileSync(queue, 'utf8');
    rmSync(queue);
    fullThenSkipped(f, [HELD_PDF, ...HELD_META], 4);
    expect(readFileSync(queue, 'utf8')).toBe(text);
  });

  it('a row accepted in raw/review-decisions.csv: the full run publishes it', () => {
    const queue = JSON.parse(readFileSync(join(f.out, 'review', 'queue.json'), 'utf8')) as { tables: Array<{ rows: Array<{ record_key: string }> }> };
    const key = queue.tables[0]!.rows[0]!.record_key;
    const acc = cli(['review', 'accept', key, '--by', 'suzuki', '--note', 'checked', '--raw', f.raw, '--out', f.out]);
    expect(acc.status, acc.stderr).toBe(0);
    const r = fullThenSkipped(f, [HELD_PDF, ...HELD_META], 4);
    expect(r.summary.some((l) => l.includes('1 doubtful row(s) held'))).toBe(true);
  });

  it('no rows held any more: the review folder goes, and a folder put back makes the next run a full one', () => {
    const queue = JSON.parse(readFileSync(join(f.out, 'review', 'queue.json'), 'utf8')) as { tables: Array<{ rows: Array<{ record_key: string }> }> };
    const key = queue.tables[0]!.rows[0]!.record_key;
    expect(cli(['review', 'accept', key, '--by', 'suzuki', '--raw', f.raw, '--out', f.out]).status).toBe(0);
    fullThenSkipped(f, [HELD_PDF, ...HELD_META], 0);
    expect(existsSync(join(f.out, 'review'))).toBe(false);
    mkdirSync(join(f.out, 'review'));
    fullThenSkipped(f, [HELD_PDF, ...HELD_META], 0);
    expect(readdirSync(f.out)).not.toContain('review');
  });
});
