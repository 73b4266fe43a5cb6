/**
 * The extraction worker pool (pipeline/extract/pool.ts): documents are read in
 * child processes, in parallel, and a document that exhausts memory, runs past
 * the timeout or crashes its worker fails alone; the worker is replaced.
 * Uses the compiled worker (dist/), so `npm run build` must have run (npm test does).
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { extractReport, PdfInputError } from '../pipeline/extract/index.js';
import { createExtractPool, poolOptionsFromArgs, type ExtractPool } from '../pipeline/extract/pool.js';
import { runPipeline, type Stage } from '../pipeline/cli/run.js';

const ROOT = join(import.meta.dirname, '..');
const REPORT = join(ROOT, 'raw/kurume-sousei-h28-progress.pdf');
const bad = (name: string) => join(ROOT, 'test/fixtures/bad', name);
const bytes = (path: string) => new Uint8Array(readFileSync(path));

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

let pool: ExtractPool | null = null;
afterEach(async () => {
  await pool?.close();
  pool = null;
});

describe('extraction pool', () => {
  it('reads documents in parallel child processes and returns the same plain data as in-process extraction', async () => {
    pool = createExtractPool({ size: 2 });
    const files = [REPORT, bad('formula-injection.pdf')];
    const [a, b] = await Promise.all(files.map((f) => pool!.extract(bytes(f), f)));
    const pids = pool.pids();
    expect(pids).toHaveLength(2);
    expect(pids).not.toContain(process.pid);
    expect(a).toEqual(await extractReport(bytes(REPORT), REPORT));
    expect(b).toEqual(await extractReport(bytes(files[1]!), files[1]!));
    expect(a.numericTables.reduce((n, t) => n + t.rows.length, 0)).toBe(35);
  });

  it('starts no more workers than there are documents waiting', async () => {
    pool = createExtractPool({ size: 4 });
    await pool.extract(bytes(REPORT), 'one.pdf');
    expect(pool.pids()).toHaveLength(1);
  });

  it('stops a document that exhausts memory, fails that file only, and replaces the worker', async () => {
    pool = createExtractPool({ size: 1, limits: { maxMemoryMb: 256 } });
    await pool.extract(bytes(bad('encrypted.pdf')), 'warm-up.pdf').catch(() => {});
    const [first] = pool.pids();
    const bomb = pool.extract(bytes(bad('inflate-bomb.pdf')), 'inflate-bomb.pdf');
    const after = pool.extract(bytes(REPORT), 'report.pdf');
    await expect(bomb).rejects.toThrow('reading the PDF needed more than the memory limit of 256 MiB and was stopped');
    await expect(bomb).rejects.toBeInstanceOf(PdfInputError);
    await expect(bomb).rejects.toMatchObject({ hint: expect.stringContaining('--max-memory') });
    expect((await after).pageCount).toBe(5);
    expect(pool.pids()).toHaveLength(1);
    expect(pool.pids()).not.toContain(first);
    expect(alive(first!)).toBe(false);
  });

  it('stops a document that runs past the timeout, and the next file still works', async () => {
    pool = createExtractPool({ size: 1, limits: { timeoutMs: 1000, maxMemoryMb: 4096 } });
    const bomb = pool.extract(bytes(bad('inflate-bomb.pdf')), 'inflate-bomb.pdf');
    const after = pool.extract(bytes(bad('encrypted.pdf')), 'encrypted.pdf');
    await expect(bomb).rejects.toThrow('reading the PDF took longer than the limit of 1 s and was stopped');
    await expect(bomb).rejects.toMatchObject({ hint: expect.stringContaining('--timeout') });
    await expect(after).rejects.toThrow('the PDF is encrypted with a password');
  });

  it('turns a worker that dies mid-document into an error for that file', async () => {
    pool = createExtractPool({ size: 1, limits: { maxMemoryMb: 4096 } });
    await pool.extract(bytes(bad('encrypted.pdf')), 'warm-up.pdf').catch(() => {});
    const [pid] = pool.pids();
    const victim = pool.extract(bytes(bad('inflate-bomb.pdf')), 'inflate-bomb.pdf');
    const after = pool.extract(bytes(REPORT), 'report.pdf');
    process.kill(pid!, 'SIGKILL');
    await expect(victim).rejects.toThrow(/^the PDF reader stopped unexpectedly \(signal SIGKILL\)/u);
    await expect(victim).rejects.toBeInstanceOf(PdfInputError);
    expect((await after).pageCount).toBe(5);
  });

  it('refuses documents over the page and byte limits', async () => {
    pool = createExtractPool({ size: 1, limits: { maxPages: 4, maxBytes: 5_000_000 } });
    await expect(pool.extract(bytes(REPORT), 'report.pdf')).rejects.toThrow('the PDF has 5 pages, more than the limit of 4');
    const big = new Uint8Array(10_000_001);
    await expect(pool.extract(big, 'big.pdf')).rejects.toThrow('the file is 9.5 MiB, larger than the limit of 4.8 MiB');
  });

  it('close() rejects queued work and ends every worker process', async () => {
    pool = createExtractPool({ size: 1 });
    const jobs = [pool.extract(bytes(REPORT), 'a.pdf'), pool.extract(bytes(REPORT), 'b.pdf'), pool.extract(bytes(REPORT), 'c.pdf')];
    const settled = Promise.allSettled(jobs);
    await new Promise((r) => setTimeout(r, 50));
    const pids = pool.pids();
    expect(pids).toHaveLength(1);
    await pool.close();
    const results = await settled;
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected', 'rejected']);
    expect(pids.every((p) => !alive(p))).toBe(true);
    await expect(pool.extract(bytes(REPORT), 'd.pdf')).rejects.toThrow('the extraction pool is closed');
  });

  it('reads limits from command-line values and rejects nonsense', () => {
    expect(poolOptionsFromArgs({ workers: '3', timeout: '2.5', 'max-memory': '512', 'max-pages': '40', 'max-bytes': '20M' })).toEqual({
      size: 3,
      limits: { timeoutMs: 2500, maxMemoryMb: 512, maxPages: 40, maxBytes: 20 * 2 ** 20 },
    });
    expect(poolOptionsFromArgs({ 'max-bytes': '5000' }).limits.maxBytes).toBe(5000);
    expect(() => poolOptionsFromArgs({ workers: '0' })).toThrow('--workers must be a whole number of at least 1, not "0"');
    expect(() => poolOptionsFromArgs({ timeout: 'soon' })).toThrow('--timeout must be a number');
    expect(() => poolOptionsFromArgs({ 'max-memory': '16' })).toThrow('--max-memory must be a whole number of at least 64');
    expect(() => poolOptionsFromArgs({ 'max-bytes': 'lots' })).toThrow('--max-bytes must be a size');
  });
});

describe('runPipeline with concurrent extraction', () => {
  const files = [bad('formula-injection.pdf'), REPORT, bad('not-a-pdf.pdf')];

  /** Run the pipeline with an extract function whose results are released in `order` (indices into files). */
  async function runReleasing(order: number[]) {
    pool = createExtractPool({ size: 2 });
    const started: string[] = [];
    const gates = new Map<string, () => void>();
    let allStarted!: () => void;
    const whenAllStarted = new Promise<void>((r) => (allStarted = r));
    const extract = async (data: Uint8Array, file: string) => {
      started.push(file);
      const result = pool!.extract(data, file);
      result.catch(() => {}); // handled below, after the gate opens
      await new Promise<void>((open) => gates.set(file, open));
      return result;
    };
    const log: Array<[Stage, string]> = [];
    const run = runPipeline({
      rawDir: join(ROOT, 'raw'),
      outDir: mkdtempSync(join(tmpdir(), 'sousei-order-')),
      files,
      municipalityCode: '402036',
      municipalityName: '福岡県久留米市',
      year: 2018,
      keepGoing: true,
      extract: (data, file) => {
        const p = extract(data, file);
        if (started.length === files.length) allStarted();
        return p;
      },
      log: (stage, msg) => log.push([stage, msg]),
      now: new Date('2026-11-24T00:00:00Z'),
    });
    await whenAllStarted;
    // Every extraction is under way before any result is taken.
    expect(started).toEqual(files.map((f) => basename(f)));
    for (const i of order) gates.get(basename(files[i]!))!();
    return { res: await run, log };
  }

  it('starts every extraction at once and reports in registry order whatever finishes first', async () => {
    const forward = await runReleasing([0, 1, 2]);
    await pool!.close();
    const backward = await runReleasing([2, 1, 0]);
    for (const { res, log } of [forward, backward]) {
      expect(res.reports.map((r) => r.file)).toEqual(['formula-injection.pdf', 'kurume-sousei-h28-progress.pdf']);
      expect(res.failures.map((f) => basename(f.file))).toEqual(['not-a-pdf.pdf']);
      const order = log.filter(([stage]) => stage === 'extract').map(([, m]) => m.split(':')[0]!.replace(/^FAILED /u, ''));
      expect(order.map((f) => basename(f))).toEqual(['formula-injection.pdf', 'kurume-sousei-h28-progress.pdf', 'not-a-pdf.pdf']);
    }
    // The same release, byte for byte, either way.
    expect(backward.res.published!.releaseId).toBe(forward.res.published!.releaseId);
  });
});
