#!/usr/bin/env node
// Bounded, reproducible fuzzing of PDF extraction: mutated copies of the real report
// (bit flips, truncation, chunk duplication and deletion; seeded small PRNG) go through the
// extraction worker pool, and every case must end in a result or a clean per-file error
// (PdfInputError: a message and a hint), never an uncaught exception or a hang past the timeout.
//
//   npm run fuzz -- --cases 2000 --seed 7
//   npm run fuzz -- --cases 300 --seed 1 --cli 10       # also run the real CLI on 10 sampled cases
//   npm run fuzz -- --only 1234 --seed 7 --save /tmp/f  # one case, keep its input
//
// Options: --cases N (200) --seed S (1) --workers W (CPUs) --timeout-ms T (20000) --max-memory MB (1024)
//          --input FILE (raw/kurume-sousei-h28-progress.pdf) --cli K (0) --save DIR --only I
// Exit status 0 when every case behaved, 1 otherwise. Needs `npm run build` (uses dist/).
//
// The library part (mulberry32, mutate, caseSeed, runCases, checkCliCase) is shared with test/fuzz.test.ts.

import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** mulberry32: a tiny, well-distributed 32-bit PRNG; returns floats in [0, 1). */
export function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Seed of case `i` of a run with seed `seed`: each case is reproducible on its own. */
export function caseSeed(seed, i) {
  return createHash('sha256').update(`${seed}:${i}`).digest().readUInt32LE(0);
}

/** Mutations with their weights (a truncated file is refused at once, so it is drawn less often). */
export const MUTATIONS = [['bitflip', 3], ['duplicate', 2], ['delete', 2], ['truncate', 1]];
const pick = (r) => {
  let x = r * MUTATIONS.reduce((n, [, w]) => n + w, 0);
  for (const [op, w] of MUTATIONS) if ((x -= w) < 0) return op;
  return MUTATIONS[0][0];
};

/** One to three mutations of `input` (a Uint8Array/Buffer); returns { data, ops } with a description of each step. */
export function mutate(input, seed) {
  const rnd = mulberry32(seed);
  const int = (n) => Math.floor(rnd() * n);
  let data = Buffer.from(input);
  const ops = [];
  const steps = 1 + int(3);
  for (let s = 0; s < steps; s++) {
    const op = pick(rnd());
    if (op === 'bitflip') {
      const n = 1 + int(32);
      for (let k = 0; k < n; k++) {
        const at = int(data.length);
        data[at] ^= 1 << int(8);
      }
      ops.push(`bitflip x${n}`);
    } else if (op === 'truncate') {
      const at = int(data.length);
      data = data.subarray(0, at);
      ops.push(`truncate @${at}`);
    } else if (op === 'duplicate') {
      const len = 1 + int(8192);
      const from = int(Math.max(1, data.length - len));
      const at = int(data.length);
      data = Buffer.concat([data.subarray(0, at), data.subarray(from, from + len), data.subarray(at)]);
      ops.push(`duplicate ${len}B from @${from} to @${at}`);
    } else {
      const len = 1 + int(8192);
      const at = int(Math.max(1, data.length - len));
      data = Buffer.concat([data.subarray(0, at), data.subarray(at + len)]);
      ops.push(`delete ${len}B @${at}`);
    }
    if (data.length === 0) break;
  }
  return { data: new Uint8Array(data), ops };
}

/**
 * Run `count` cases through `extract` (a pool's extract function), all queued at once.
 * Returns one outcome per case: { i, seed, ops, bytes, status: 'ok' | 'error' | 'unexpected', message }.
 * 'error' is a clean per-file error (PdfInputError with a hint); 'unexpected' is anything else.
 */
export async function runCases({ input, seed, count, extract, only = null }) {
  const indices = only === null ? [...Array(count).keys()] : [only];
  return Promise.all(
    indices.map(async (i) => {
      const s = caseSeed(seed, i);
      const { data, ops } = mutate(input, s);
      const base = { i, seed: s, ops, bytes: data.length };
      try {
        const r = await extract(data, `fuzz-${seed}-${i}.pdf`);
        return { ...base, status: 'ok', message: `${r.pageCount} pages, ${r.numericTables.length} numeric-target tables` };
      } catch (err) {
        const clean = err?.name === 'PdfInputError' && typeof err.hint === 'string' && err.hint.length > 0 && typeof err.message === 'string' && err.message.length > 0;
        return { ...base, status: clean ? 'error' : 'unexpected', message: `${err?.name}: ${err?.message}` };
      }
    }),
  );
}

/** Group outcomes by status and message (numbers blanked) for a readable summary. */
export function summarise(outcomes) {
  const groups = new Map();
  for (const o of outcomes) {
    const key = `${o.status}: ${o.message.replace(/\d+/gu, 'N').slice(0, 160)}`;
    groups.set(key, (groups.get(key) ?? 0) + 1);
  }
  return [...groups.entries()].sort((a, b) => b[1] - a[1]);
}

/** Files and symlinks under `dir` with their sha256 (or link target): a snapshot to compare. */
export function snapshot(dir) {
  const out = {};
  const walk = (d, rel) => {
    for (const n of fs.readdirSync(d).sort()) {
      const p = path.join(d, n);
      const r = rel ? `${rel}/${n}` : n;
      const st = fs.lstatSync(p);
      if (st.isSymbolicLink()) out[r] = `-> ${fs.readlinkSync(p)}`;
      else if (st.isDirectory()) walk(p, r);
      else out[r] = createHash('sha256').update(fs.readFileSync(p)).digest('hex');
    }
  };
  walk(dir, '');
  return out;
}

/** Run the real CLI on one mutated input into `outDir`; a failure must leave `outDir` exactly as it was. */
export function checkCliCase({ data, outDir, workDir, name, timeoutMs = 20000 }) {
  const file = path.join(workDir, name);
  fs.writeFileSync(file, data);
  const before = snapshot(outDir);
  const r = spawnSync(
    process.execPath,
    [path.join(ROOT, 'dist/pipeline/cli/main.js'), 'run', file, '--out', outDir, '--quiet', '--municipality-code', '402036', '--municipality-name', '福岡県久留米市', '--year', '2016', '--timeout', String(timeoutMs / 1000)],
    { encoding: 'utf8', timeout: timeoutMs + 30000 },
  );
  const after = snapshot(outDir);
  const problems = [];
  if (r.status === 1) {
    if (JSON.stringify(before) !== JSON.stringify(after)) problems.push('the output folder changed although nothing was published');
    if (!r.stderr.includes(`sousei-kpi: ${file}: `)) problems.push(`stderr does not name the file: ${r.stderr.slice(0, 300)}`);
  } else if (r.status === 0) {
    const latest = fs.readlinkSync(path.join(outDir, 'latest'));
    const manifest = JSON.parse(fs.readFileSync(path.join(outDir, latest, 'manifest.json'), 'utf8'));
    for (const f of manifest.files) {
      const sum = createHash('sha256').update(fs.readFileSync(path.join(outDir, latest, f.path))).digest('hex');
      if (sum !== f.sha256) problems.push(`${f.path} does not match manifest.json`);
    }
  } else problems.push(`exit status ${r.status} (signal ${r.signal}): ${r.stderr.slice(0, 300)}`);
  const leftovers = Object.keys(after).filter((k) => /(^|\/)\.(tmp|latest)-/u.test(k));
  if (leftovers.length) problems.push(`temporary files left: ${leftovers.join(', ')}`);
  fs.rmSync(file, { force: true });
  return { status: r.status, problems, stderr: r.stderr };
}

async function main() {
  const { parseArgs } = await import('node:util');
  const { values: v } = parseArgs({
    options: {
      cases: { type: 'string', default: '200' },
      seed: { type: 'string', default: '1' },
      workers: { type: 'string' },
      'timeout-ms': { type: 'string', default: '20000' },
      'max-memory': { type: 'string', default: '1024' },
      input: { type: 'string', default: path.join(ROOT, 'raw/kurume-sousei-h28-progress.pdf') },
      cli: { type: 'string', default: '0' },
      save: { type: 'string' },
      only: { type: 'string' },
    },
  });
  const { createExtractPool } = await import(path.join(ROOT, 'dist/pipeline/extract/pool.js'));
  const seed = Number(v.seed);
  const count = Number(v.cases);
  const input = fs.readFileSync(v.input);
  const pool = createExtractPool({
    ...(v.workers ? { size: Number(v.workers) } : {}),
    limits: { timeoutMs: Number(v['timeout-ms']), maxMemoryMb: Number(v['max-memory']) },
  });
  const t0 = performance.now();
  let outcomes;
  try {
    outcomes = await runCases({ input, seed, count, extract: pool.extract, only: v.only === undefined ? null : Number(v.only) });
  } finally {
    await pool.close();
  }
  const secs = (performance.now() - t0) / 1000;
  console.log(`fuzz: ${outcomes.length} cases, seed ${seed}, ${pool.size} workers, ${secs.toFixed(1)} s`);
  for (const [k, n] of summarise(outcomes)) console.log(`${String(n).padStart(6)}  ${k}`);
  const bad = outcomes.filter((o) => o.status === 'unexpected');
  for (const o of bad) console.log(`UNEXPECTED case ${o.i} (seed ${o.seed}; ${o.ops.join(', ')}): ${o.message}`);
  if (v.save) {
    fs.mkdirSync(v.save, { recursive: true });
    for (const o of v.only !== undefined ? outcomes : bad) fs.writeFileSync(path.join(v.save, `case-${seed}-${o.i}.pdf`), mutate(input, o.seed).data);
  }
  let cliProblems = 0;
  const k = Number(v.cli);
  if (k > 0) {
    const work = fs.mkdtempSync(path.join(os.tmpdir(), 'sousei-fuzz-'));
    const outDir = path.join(work, 'out');
    const first = spawnSync(process.execPath, [path.join(ROOT, 'dist/pipeline/cli/main.js'), 'run', '--out', outDir, '--quiet'], { encoding: 'utf8' });
    if (first.status !== 0) throw new Error(`the baseline run failed: ${first.stderr}`);
    const rnd = mulberry32(seed);
    for (let j = 0; j < k; j++) {
      const o = outcomes[Math.floor(rnd() * outcomes.length)];
      const res = checkCliCase({ data: mutate(input, o.seed).data, outDir, workDir: work, name: `fuzz-${seed}-${o.i}.pdf`, timeoutMs: Number(v['timeout-ms']) });
      console.log(`cli case ${o.i}: exit ${res.status}${res.problems.length ? ` PROBLEMS: ${res.problems.join('; ')}` : ''}`);
      cliProblems += res.problems.length;
    }
    fs.rmSync(work, { recursive: true, force: true });
  }
  process.exitCode = bad.length === 0 && cliProblems === 0 ? 0 : 1;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main();
