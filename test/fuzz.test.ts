/**
 * A bounded, seeded fuzz run: mutated copies of a page of the real report
 * (bit flips, truncation, chunk duplication and deletion) through the
 * extraction worker pool. Every case ends in a result or a clean per-file
 * error — no uncaught exception, nothing past the timeout — and a sample run
 * through the CLI leaves no partial output. More cases: npm run fuzz -- --cases N --seed S.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { createExtractPool } from '../pipeline/extract/pool.js';
// Plain ESM module shared with the fuzz script (no type declarations).
import { caseSeed, checkCliCase, mulberry32, mutate, runCases, summarise } from './fuzz/fuzz.mjs';

const ROOT = join(import.meta.dirname, '..');
const SEED_INPUT = readFileSync(join(ROOT, 'test/fixtures/bad/h28-page1.pdf'));
const CASES = 200;
const SEED = 20161;
const TIMEOUT_MS = 15_000;

interface Outcome {
  i: number;
  seed: number;
  ops: string[];
  bytes: number;
  status: 'ok' | 'error' | 'unexpected';
  message: string;
}

describe('mutation helpers', () => {
  it('are reproducible: the same seed gives the same bytes, another seed other bytes', () => {
    const a = mutate(SEED_INPUT, caseSeed(SEED, 7));
    const b = mutate(SEED_INPUT, caseSeed(SEED, 7));
    const c = mutate(SEED_INPUT, caseSeed(SEED, 8));
    expect(Buffer.from(a.data).equals(Buffer.from(b.data))).toBe(true);
    expect(a.ops).toEqual(b.ops);
    expect(Buffer.from(a.data).equals(Buffer.from(c.data))).toBe(false);
    const r = mulberry32(1);
    const xs = Array.from({ length: 1000 }, r);
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
    expect(new Set(xs).size).toBe(1000);
  });

  it('use every kind of mutation across a run', () => {
    const kinds = new Set<string>();
    for (let i = 0; i < CASES; i++) for (const op of mutate(SEED_INPUT, caseSeed(SEED, i)).ops) kinds.add(op.split(' ')[0]!);
    expect([...kinds].sort()).toEqual(['bitflip', 'delete', 'duplicate', 'truncate']);
  });
});

describe(`fuzzing extraction (${CASES} cases, seed ${SEED})`, () => {
  const pool = createExtractPool({ limits: { timeoutMs: TIMEOUT_MS, maxMemoryMb: 768 } });
  let outcomes: Outcome[] = [];
  afterAll(() => pool.close());

  it('every case ends in a result or a clean per-file error', { timeout: 180_000 }, async () => {
    outcomes = (await runCases({ input: SEED_INPUT, seed: SEED, count: CASES, extract: pool.extract })) as Outcome[];
    expect(outcomes).toHaveLength(CASES);
    const unexpected = outcomes.filter((o) => o.status === 'unexpected');
    // The summary names each case's seed and mutations, to reproduce it with the fuzz script.
    expect(unexpected, JSON.stringify(summarise(outcomes), null, 1)).toEqual([]);
    // The run is not vacuous: some cases still read, others fail in several distinct ways.
    const ok = outcomes.filter((o) => o.status === 'ok').length;
    expect(ok).toBeGreaterThan(CASES / 5);
    const kinds = new Set(outcomes.filter((o) => o.status === 'error').map((o) => o.message.replace(/\d+/gu, 'N').replace(/\(.*$/u, '')));
    expect(kinds.size).toBeGreaterThanOrEqual(3);
  });

  it('a sample of failing and passing cases through the CLI leaves no partial output', { timeout: 180_000 }, () => {
    const work = mkdtempSync(join(tmpdir(), 'sousei-fuzz-cli-'));
    try {
      const outDir = join(work, 'out');
      const first = spawnSync(process.execPath, [join(ROOT, 'dist/pipeline/cli/main.js'), 'run', '--out', outDir, '--quiet'], { encoding: 'utf8' });
      expect(first.status, first.stderr).toBe(0);
      // Three failing cases of different kinds and one case that still reads.
      const failing = [...new Map(outcomes.filter((o) => o.status === 'error').map((o) => [o.message.slice(0, 30), o])).values()];
      const sample = [...failing.slice(0, 3), ...outcomes.filter((o) => o.status === 'ok').slice(0, 1)];
      expect(sample.length).toBe(4);
      for (const o of sample) {
        const res = checkCliCase({ data: mutate(SEED_INPUT, o.seed).data, outDir, workDir: work, name: `fuzz-${SEED}-${o.i}.pdf`, timeoutMs: TIMEOUT_MS });
        expect(res.problems, `case ${o.i} (${o.ops.join(', ')}): ${res.stderr}`).toEqual([]);
        expect(res.status).toBe(o.status === 'ok' ? 0 : 1);
      }
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });
});
