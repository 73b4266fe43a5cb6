/**
 * The extraction cache (pipeline/extract/cache.ts) through the real CLI on the bundled
 * report: whether a file was parsed is read from the counters of --timings (parsed:
 * the extraction worker was asked; cached: taken from the cache; shared: an identical
 * file of the same run was being parsed), never from how long a run took.
 * Also: lazy loading of the optional dependencies, and the build-time code version
 * the cache is keyed on. Uses dist/ (npm test builds first).
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cacheDirOf, decodeEntry, encodeEntry, ExtractCache, extractorVersion } from '../pipeline/extract/cache.js';
import { extractReport } from '../pipeline/extract/index.js';
import { earlyWorker } from '../pipeline/cli/prestart.js';
import { createExtractPool } from '../pipeline/extract/pool.js';
import { dropPrestarted, prestartedPid, prestartWorker } from '../pipeline/extract/spawn.js';
import { codeVersion } from '../pipeline/lib/code-version.js';
import { runRecordPath } from '../pipeline/cli/run-record.js';
import { runCli, type CliRun } from './support/cli.js';
import { snapshot } from './support/snapshot.js';

const ROOT = join(import.meta.dirname, '..');
const RAW = join(ROOT, 'raw');
const REPORT = join(RAW, 'kurume-sousei-h28-progress.pdf');
const REPORT_SHA = '4ab504eaacc91d16cd7ed245896860b6d385300c7f8f293da224d026614472b0';

interface Run extends CliRun {
  /** The --timings line. */
  timings: { parsed: number; cached: number; shared: number; cache_rejected: number; cache_written: number; reports: number };
}

async function cli(args: string[], env: NodeJS.ProcessEnv = {}, command: 'run' | 'check' = 'run'): Promise<Run> {
  const r = await runCli([command, '--quiet', '--timings', ...args], env);
  const m = /^\[timings\] (.*)$/mu.exec(r.stderr);
  return { ...r, timings: m ? JSON.parse(m[1]!) : null };
}

const tmp = () => mkdtempSync(join(tmpdir(), 'sousei-cache-'));
/**
 * Forget the last run of an output folder: a run on input identical to it is answered
 * from its record before the cache is looked at (cli/rerun.ts); these tests are about
 * the cache, so the runs that must go through it come after this.
 */
const forgetRun = (out: string) => rmSync(runRecordPath(out), { force: true });
/** The one cache entry of an output folder (path). */
function entryOf(out: string): string {
  const base = cacheDirOf(out);
  const [dir] = readdirSync(base);
  return join(base, dir!, `${REPORT_SHA}.bin`);
}

describe('extraction cache through the CLI', () => {
  it('a second run on unchanged input takes the extraction from the cache and publishes the same release', async () => {
    const out = tmp();
    const first = await cli(['--out', out]);
    expect(first.status, first.stderr).toBe(0);
    expect(first.timings).toMatchObject({ parsed: 1, cached: 0, cache_written: 1 });
    expect(existsSync(entryOf(out))).toBe(true);
    const release = readlinkSync(join(out, 'latest'));
    forgetRun(out);
    const second = await cli(['--out', out]);
    expect(second.status, second.stderr).toBe(0);
    expect(second.timings).toMatchObject({ parsed: 0, cached: 1, cache_rejected: 0, cache_written: 0 });
    expect(readlinkSync(join(out, 'latest'))).toBe(release);
    expect(second.stdout).toBe(first.stdout);
    // --no-cache parses again (and rewrites the entry).
    const forced = await cli(['--out', out, '--no-cache']);
    expect(forced.status, forced.stderr).toBe(0);
    expect(forced.timings).toMatchObject({ parsed: 1, cached: 0, cache_written: 1 });
    expect(readlinkSync(join(out, 'latest'))).toBe(release);
  });

  it('a corrupted or truncated entry is not trusted: the PDF is parsed again and the entry rebuilt', async () => {
    const out = tmp();
    expect((await cli(['--out', out])).status).toBe(0);
    const entry = entryOf(out);
    const good = readFileSync(entry);
    const flipped = Buffer.from(good);
    flipped[flipped.length - 100] ^= 0x01; // one bit of the payload
    for (const damaged of [flipped, good.subarray(0, Math.floor(good.length / 2)), Buffer.from('not an entry')]) {
      writeFileSync(entry, damaged);
      forgetRun(out);
      const r = await cli(['--out', out]);
      expect(r.status, r.stderr).toBe(0);
      expect(r.timings).toMatchObject({ parsed: 1, cached: 0, cache_rejected: 1, cache_written: 1 });
      expect(readFileSync(entry).equals(good)).toBe(true);
    }
    forgetRun(out);
    expect((await cli(['--out', out])).timings).toMatchObject({ parsed: 0, cached: 1 });
  });

  it('two identical files (same sha256) in one run are parsed once', async () => {
    const raw = tmp();
    const out = tmp();
    copyFileSync(join(RAW, 'indicators.json'), join(raw, 'indicators.json'));
    const reports = ['a', 'b', 'c'].map((k, i) => {
      copyFileSync(REPORT, join(raw, `copy-${k}.pdf`));
      return { id: `copy-${k}`, file: `copy-${k}.pdf`, municipality_code: String(900001 + i), municipality_name: `Copy ${k}`, report_fiscal_year: 2016, sha256: REPORT_SHA, synthetic: true };
    });
    writeFileSync(join(raw, 'sources.json'), JSON.stringify({ reports }));
    const r = await cli(['--raw', raw, '--out', out]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.timings.reports).toBe(3);
    expect(r.timings.parsed).toBe(1);
    expect(r.timings.shared + r.timings.cached).toBe(2);
    // Each copy is published under its own file name.
    const sourcesCsv = readFileSync(join(out, 'latest', 'numeric_targets.csv'), 'utf8');
    for (const k of ['a', 'b', 'c']) expect(sourcesCsv).toContain(`copy-${k}.pdf`);
  });

  it('a temporary file left by a writer that was killed is removed by the next run', async () => {
    const out = tmp();
    expect((await cli(['--out', out])).status).toBe(0);
    const entry = entryOf(out);
    const dir = join(entry, '..');
    // writeFileReplace names its temporary file .NAME.tmp-PID-RANDOM; this pid is not running.
    const left = join(dir, `.${REPORT_SHA}.bin.tmp-4000000-0badc0de`);
    writeFileSync(left, readFileSync(entry).subarray(0, 100));
    forgetRun(out);
    expect((await cli(['--out', out])).timings).toMatchObject({ parsed: 0, cached: 1 });
    expect(existsSync(left)).toBe(false);
  });

  it('an unwritable cache is a warning, not a failure', async () => {
    const out = tmp();
    writeFileSync(join(out, '.cache'), 'a file where the cache folder would be');
    const r = await cli(['--out', out]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/^sousei-kpi: warning: the extraction cache .* cannot be written \(ENOTDIR\); going on without it$/mu);
    expect(r.timings).toMatchObject({ parsed: 1, cache_written: 0 });
    expect(existsSync(join(out, 'latest', 'numeric_targets.csv'))).toBe(true);
  });

  it('the page limit is checked again on a cached extraction', async () => {
    const out = tmp();
    expect((await cli(['--out', out])).status).toBe(0);
    const r = await cli(['--out', out, '--max-pages', '3']);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/kurume-sousei-h28-progress\.pdf: the PDF has 5 pages, more than the limit of 3 — .*--max-pages/u);
  });
});

describe('check and the extraction cache', () => {
  const check = (args: string[]) => cli(args, {}, 'check');

  it('check without a cache parses, and leaves the output folder as it was: no .cache is made', async () => {
    const out = tmp();
    const empty = await check(['--out', out]);
    expect(empty.status, empty.stderr).toBe(0);
    expect(empty.timings).toMatchObject({ parsed: 1, cached: 0, cache_written: 0 });
    expect(readdirSync(out)).toEqual([]);
    // A published release but no cache (e.g. deleted, as the README allows).
    expect((await cli(['--out', out, '--no-cache'])).status).toBe(0);
    rmSync(join(out, '.cache'), { recursive: true, force: true });
    const before = snapshot(out);
    const r = await check(['--out', out]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.timings).toMatchObject({ parsed: 1, cached: 0, cache_written: 0 });
    expect(snapshot(out)).toEqual(before);
    expect(existsSync(join(out, '.cache'))).toBe(false);
  });

  it('check uses an existing cache but never writes it, even with --no-cache or a damaged entry', async () => {
    const out = tmp();
    expect((await cli(['--out', out])).timings).toMatchObject({ parsed: 1, cache_written: 1 });
    const before = snapshot(out);
    expect(Object.keys(before).some((k) => k.startsWith('.cache/extract/'))).toBe(true);
    const hit = await check(['--out', out]);
    expect(hit.status, hit.stderr).toBe(0);
    expect(hit.timings).toMatchObject({ parsed: 0, cached: 1, cache_written: 0 });
    expect(hit.stdout).toContain('Against latest: no change');
    expect(snapshot(out)).toEqual(before);
    const forced = await check(['--out', out, '--no-cache']);
    expect(forced.timings).toMatchObject({ parsed: 1, cached: 0, cache_written: 0 });
    expect(snapshot(out)).toEqual(before);
    // A damaged entry is not trusted by check, and left for the next run to rebuild.
    const entry = entryOf(out);
    writeFileSync(entry, readFileSync(entry).subarray(0, 200));
    // A stale temporary of a killed writer: only a run removes it.
    const left = join(entry, '..', `.${REPORT_SHA}.bin.tmp-4000000-0badc0de`);
    writeFileSync(left, 'partial');
    const damaged = snapshot(out);
    const r = await check(['--out', out]);
    expect(r.timings).toMatchObject({ parsed: 1, cached: 0, cache_rejected: 1, cache_written: 0 });
    expect(snapshot(out)).toEqual(damaged);
    const dry = await cli(['--out', out, '--dry-run']);
    expect(dry.timings).toMatchObject({ parsed: 1, cache_written: 0 });
    expect(snapshot(out)).toEqual(damaged);
    // The next run rebuilds it.
    forgetRun(out);
    expect((await cli(['--out', out])).timings).toMatchObject({ parsed: 1, cache_rejected: 1, cache_written: 1 });
    expect(existsSync(left)).toBe(false);
  });
});

describe('cache entries', () => {
  const data = new Uint8Array(readFileSync(REPORT));
  const A = 'a'.repeat(64);
  const B = 'b'.repeat(64);

  it('round-trips an extraction, and rejects one made by another extractor version or for another file', async () => {
    const report = await extractReport(data, 'kurume-sousei-h28-progress.pdf');
    const out = tmp();
    const a = new ExtractCache(out, { version: A });
    expect(a.get(REPORT_SHA)).toBeNull();
    a.put(REPORT_SHA, report);
    expect(new ExtractCache(out, { version: A }).get(REPORT_SHA)).toEqual(report);
    // Another extractor version: a miss (its own folder)…
    const b = new ExtractCache(out, { version: B });
    expect(b.get(REPORT_SHA)).toBeNull();
    expect(b.counters).toMatchObject({ misses: 1, hits: 0 });
    // …and an entry of version A put where version B looks is foreign: rejected.
    mkdirSync(b.dir!, { recursive: true });
    copyFileSync(join(a.dir!, `${REPORT_SHA}.bin`), join(b.dir!, `${REPORT_SHA}.bin`));
    expect(b.get(REPORT_SHA)).toBeNull();
    expect(b.counters.rejected).toBe(1);
    // An entry filed under another file's hash: rejected.
    const other = 'c'.repeat(64);
    copyFileSync(join(a.dir!, `${REPORT_SHA}.bin`), join(a.dir!, `${other}.bin`));
    expect(a.get(other)).toBeNull();
    expect(a.counters.rejected).toBe(1);
    // Writing with version B removes version A's entries (they would never be read again).
    b.put(REPORT_SHA, report);
    expect(existsSync(a.dir!)).toBe(false);
    expect(readdirSync(cacheDirOf(out))).toEqual([basename(b.dir!)]);
    // decodeEntry checks the key it is given.
    const entry = encodeEntry(report, 'key-1', REPORT_SHA);
    expect(decodeEntry(entry, 'key-1', REPORT_SHA)).toEqual(report);
    expect(decodeEntry(entry, 'key-2', REPORT_SHA)).toBeNull();
  });

  it('the build wrote the extractor version the CLI keys on', () => {
    expect(extractorVersion()).toMatch(/^[0-9a-f]{64}$/u);
    expect(new ExtractCache(tmp(), { version: null }).dir).toBeNull();
  });
});

describe('code version of the extractor', () => {
  it('changes with any module the entries import, not with others', () => {
    const dir = tmp();
    const write = (name: string, text: string) => writeFileSync(join(dir, name), text);
    write('entry.js', "import { f } from './a.js';\nexport const g = () => import('./lazy.js');\n");
    write('a.js', "export * from './b.js';\nexport const f = 1;\n");
    write('b.js', 'export const b = 1;\n');
    write('lazy.js', 'export const l = 1;\n');
    write('other.js', 'export const o = 1;\n');
    const v = () => codeVersion(dir, [join(dir, 'entry.js')], 'pdfjs-dist 1');
    const v0 = v();
    write('other.js', 'export const o = 2;\n');
    expect(v()).toBe(v0);
    write('b.js', 'export const b = 2;\n');
    const v1 = v();
    expect(v1).not.toBe(v0);
    write('lazy.js', 'export const l = 2;\n');
    expect(v()).not.toBe(v1);
    expect(codeVersion(dir, [join(dir, 'entry.js')], 'pdfjs-dist 2')).not.toBe(v());
  });
});

describe('start-up', () => {
  /** CommonJS packages a CLI run loaded (require.cache of the CLI process, written at exit by a preload). */
  async function loadedPackages(args: string[]): Promise<string[]> {
    const dir = tmp();
    const list = join(dir, 'loaded.json');
    const preload = join(dir, 'preload.cjs');
    // Only in the CLI process (the extraction workers have an IPC channel).
    writeFileSync(preload, `if (!process.send) process.on('exit', () => require('fs').writeFileSync(${JSON.stringify(list)}, JSON.stringify(Object.keys(require.cache))));\n`);
    const r = await cli(['--out', join(dir, 'out'), ...args], { ...process.env, NODE_OPTIONS: `--require ${preload}` });
    expect(r.status, r.stderr).toBe(0);
    return (JSON.parse(readFileSync(list, 'utf8')) as string[]).map((p) => p.split('/node_modules/').at(-1)!);
  }

  it('a plain run loads neither the schema compiler, nor Shift_JIS encoding, nor the CSV parser; --sjis loads the encoding', async () => {
    const plain = await loadedPackages([]);
    expect(plain.some((p) => p.startsWith('csv-stringify/'))).toBe(true); // it writes CSV
    for (const p of ['ajv/dist/2020.js', 'ajv/dist/core.js', 'iconv-lite/', 'papaparse/', 'encoding-japanese/', 'cli-progress/', 'node-cron/']) expect(plain.filter((x) => x.startsWith(p))).toEqual([]);
    const sjis = await loadedPackages(['--sjis']);
    expect(sjis.some((p) => p.startsWith('iconv-lite/'))).toBe(true);
  });

  it('the early worker is forked with the --max-memory of the command line, and not for --help, a usage error or a run whose reports are all cached', async () => {
    const empty = tmp();
    expect(earlyWorker(['--out', empty])).toEqual({ memoryMb: undefined });
    expect(earlyWorker(['--out', empty, '--max-memory', '512'])).toEqual({ memoryMb: 512 });
    expect(earlyWorker(['--out', empty, '--max-memory=300'])).toEqual({ memoryMb: 300 });
    expect(earlyWorker(['--out', empty, '--max-memory', 'lots'])).toBeNull();
    expect(earlyWorker(['--help'])).toBeNull();
    expect(earlyWorker(['--no-such-option'])).toBeNull();
    const out = tmp();
    expect((await cli(['--out', out])).status).toBe(0);
    expect(earlyWorker(['--out', out])).toBeNull();
    expect(earlyWorker(['--out', out, '--no-cache'])).toEqual({ memoryMb: undefined });
    expect(earlyWorker(['--out', out, REPORT])).toEqual({ memoryMb: undefined });
  });

  it('the pool adopts the early worker when its memory limit matches, and stops it when not', async () => {
    const alive = (pid: number) => existsSync(`/proc/${pid}`) && !/^State:\s+Z/mu.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
    const data = new Uint8Array(readFileSync(REPORT));
    prestartWorker();
    const early = prestartedPid()!;
    const pool = createExtractPool({ size: 1 });
    try {
      expect((await pool.extract(data, 'kurume.pdf')).pageCount).toBe(5);
      expect(pool.pids()).toEqual([early]);
    } finally {
      await pool.close();
    }
    prestartWorker(512);
    const other = prestartedPid()!;
    const pool2 = createExtractPool({ size: 1 }); // default memory limit: not the early worker's
    try {
      expect((await pool2.extract(data, 'kurume.pdf')).pageCount).toBe(5);
      expect(pool2.pids()).not.toContain(other);
    } finally {
      await pool2.close();
    }
    for (let k = 0; k < 100 && alive(other); k++) await new Promise((r) => setTimeout(r, 50));
    expect(alive(other)).toBe(false);
    prestartWorker();
    const unused = prestartedPid()!;
    dropPrestarted();
    for (let k = 0; k < 100 && alive(unused); k++) await new Promise((r) => setTimeout(r, 50));
    expect(alive(unused)).toBe(false);
    expect(prestartedPid()).toBeUndefined();
  });
});
