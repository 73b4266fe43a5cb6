/**
 * `npm run bench`: how fast is the pipeline? Not a test: it prints figures.
 *
 *  1. the main command on the bundled report, from a cold start (child process)
 *  2. per-stage times on the bundled report (extract / normalize / validate / publish)
 *  3. extraction speed in pages per second on one worker, over the PDF corpus,
 *     and pdftotext -bbox-layout (poppler, C++) on the same PDFs as a reference floor
 *  4. a batch: N reports (copies of the corpus PDFs, each a different file and
 *     municipality) through the worker pool with 1 worker and with all cores:
 *     throughput, scaling, and peak memory of the whole process tree
 *
 * Every figure is the median of several runs (min–max beside it).
 * Usage: node dist/pipeline/tools/bench.js [--runs N] [--batch N] [--batch-runs N]
 */
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createExtractPool } from '../extract/pool.js';
import { runPipeline, type RunResult } from '../cli/run.js';
import { sha256File } from '../ingest/index.js';
import { ROOT } from '../lib/paths.js';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '5' }, batch: { type: 'string', default: '200' }, 'batch-runs': { type: 'string', default: '3' } } });
const RUNS = Math.max(1, Number(values.runs));
const BATCH = Math.max(1, Number(values.batch));
const BATCH_RUNS = Math.max(1, Number(values['batch-runs']));
const CLI = join(ROOT, 'dist', 'pipeline', 'cli', 'main.js');
const CORPUS = join(ROOT, 'test', 'fixtures', 'pdf');

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const fmt = (xs: number[], unit: string, digits = 2) => `${median(xs).toFixed(digits)} ${unit} (min ${Math.min(...xs).toFixed(digits)}, max ${Math.max(...xs).toFixed(digits)}, n=${xs.length})`;
const line = (label: string, value: string) => console.log(`  ${label.padEnd(44)} ${value}`);

/** Peak resident set (VmHWM) of a process, in MiB, from /proc (Linux). */
function peakRssMb(pid: number): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/u.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

/** CPU time (user + system) a process has used so far, in seconds (Linux /proc; 100 ticks per second). */
function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return 0;
  }
}

/** Process ids whose parent is `pid` (Linux /proc). */
function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/u.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'latin1');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) out.push(Number(d));
    } catch {
      /* gone */
    }
  }
  return out;
}

function pdfPages(file: string): number {
  // Count /Type /Page objects (not /Pages); good enough for the corpus, which has no object streams for pages.
  const text = readFileSync(file).toString('latin1');
  return (text.match(/\/Type\s*\/Page(?![s\w])/gu) ?? []).length;
}

function section(title: string) {
  console.log(`\n${title}`);
}

async function main() {
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  console.log(`sousei-kpi benchmark — node ${process.version}, ${availableParallelism()} cores (${cpu}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB`);
  const tmp = mkdtempSync(join(tmpdir(), 'sousei-bench-'));
  try {
    // 1. Cold start of the main command.
    section('1. Main command on the bundled report (cold start, child process)');
    const hasTime = existsSync('/usr/bin/time');
    const walls: number[] = [];
    const rss: number[] = [];
    for (let i = 0; i <= RUNS; i++) {
      const out = join(tmp, `cold-${i}`);
      const t = performance.now();
      const args = hasTime ? ['-f', '%M', process.execPath, CLI, 'run', '--out', out, '--quiet'] : [CLI, 'run', '--out', out, '--quiet'];
      const res = spawnSync(hasTime ? '/usr/bin/time' : process.execPath, args, { encoding: 'utf8' });
      const wall = (performance.now() - t) / 1000;
      if (res.status !== 0) throw new Error(`main command failed: ${res.stderr}`);
      if (i === 0) continue; // warm-up (file cache)
      walls.push(wall);
      if (hasTime) rss.push(Number(res.stderr.trim().split('\n').at(-1)) / 1024);
    }
    line('wall time', fmt(walls, 's'));
    if (rss.length) line('peak memory (largest process)', fmt(rss, 'MiB', 0));

    // 2. Per-stage times, in-process with one worker.
    section('2. Stages on the bundled report (one worker already running)');
    const pool1 = createExtractPool({ size: 1 });
    const stages: Record<string, number[]> = { extract: [], normalize: [], validate: [], publish: [] };
    try {
      for (let i = 0; i <= RUNS; i++) {
        const res: RunResult = await runPipeline({ rawDir: join(ROOT, 'raw'), outDir: join(tmp, `stages-${i}`), extract: pool1.extract, limits: pool1.limits });
        if (i === 0) continue;
        const r = res.reports[0]!;
        stages.extract!.push(r.timings.extract);
        stages.normalize!.push(r.timings.normalize);
        stages.validate!.push(r.timings.validate);
        stages.publish!.push(res.timings.publish);
      }
      for (const [k, v] of Object.entries(stages)) line(k, fmt(v, 'ms', 1));
      const pages = 5;
      line('extract: A3 pages per second (one worker)', `${(pages / (median(stages.extract!) / 1000)).toFixed(1)}`);
      // Steady state, as in a batch: the same worker reads the report again and again.
      const h28 = new Uint8Array(readFileSync(join(ROOT, 'raw', 'kurume-sousei-h28-progress.pdf')));
      const steady: number[] = [];
      for (let i = 0; i < 5 + 4 * RUNS; i++) {
        const t = performance.now();
        await pool1.extract(h28, 'kurume-sousei-h28-progress.pdf');
        if (i >= 5) steady.push(performance.now() - t);
      }
      line('extract, warm worker (after 5 reads)', fmt(steady, 'ms', 1));
      line('extract, warm worker: A3 pages per second', `${(pages / (median(steady) / 1000)).toFixed(1)}`);

      // 3. Extraction speed over the corpus, and poppler's pdftotext as the floor.
      section('3. Extraction over the PDF corpus, one worker');
      const files = readdirSync(CORPUS).filter((f) => f.endsWith('.pdf')).map((f) => join(CORPUS, f));
      const totalPages = files.reduce((n, f) => n + pdfPages(f), 0);
      const ours: number[] = [];
      for (let i = 0; i <= RUNS; i++) {
        const t = performance.now();
        for (const f of files) await pool1.extract(new Uint8Array(readFileSync(f)), f);
        if (i > 0) ours.push((performance.now() - t) / 1000);
      }
      line(`${files.length} PDFs, ${totalPages} pages`, fmt(ours, 's'));
      line('pages per second (one core)', `${(totalPages / median(ours)).toFixed(1)}`);
      const poppler = spawnSync('pdftotext', ['-v'], { encoding: 'utf8' });
      if (poppler.status === 0 || /pdftotext/u.test(poppler.stderr ?? '')) {
        const ref: number[] = [];
        for (let i = 0; i <= RUNS; i++) {
          const t = performance.now();
          for (const f of files) spawnSync('pdftotext', ['-bbox-layout', f, join(tmp, 'ref.html')]);
          if (i > 0) ref.push((performance.now() - t) / 1000);
        }
        line('pdftotext -bbox-layout, same PDFs', fmt(ref, 's'));
        line('ours ÷ pdftotext', `${(median(ours) / median(ref)).toFixed(2)}×`);
      } else line('pdftotext -bbox-layout', 'not installed (apt-get install poppler-utils for the reference)');
    } finally {
      await pool1.close();
    }

    // 4. Batch through the pool.
    section(`4. Batch of ${BATCH} reports (copies of the corpus, each its own file and municipality)`);
    const raw = join(tmp, 'batch-raw');
    mkdirSync(raw);
    copyFileSync(join(ROOT, 'raw', 'indicators.json'), join(raw, 'indicators.json'));
    const corpus = readdirSync(CORPUS).filter((f) => f.endsWith('.pdf') && !f.startsWith('synthetic')).map((f) => join(CORPUS, f));
    corpus.push(join(ROOT, 'raw', 'kurume-sousei-h28-progress.pdf'));
    const reports = [];
    let batchPages = 0;
    for (let i = 0; i < BATCH; i++) {
      const src = corpus[i % corpus.length]!;
      const name = `bench-${String(i).padStart(4, '0')}.pdf`;
      // A trailing comment makes every copy a different file (own hash) with the same content.
      writeFileSync(join(raw, name), Buffer.concat([readFileSync(src), Buffer.from(`\n%bench copy ${i}\n`)]));
      batchPages += pdfPages(src);
      reports.push({ id: `bench-${i}`, file: name, municipality_code: String(900000 + i), municipality_name: `Bench ${i}`, report_fiscal_year: 2016, sha256: sha256File(join(raw, name)), synthetic: true });
    }
    writeFileSync(join(raw, 'sources.json'), JSON.stringify({ reports }));
    /**
     * One batch run of the real CLI in a child process: wall seconds, its per-stage
     * timings (--timings), and peak resident memory (MiB) of the CLI process, of the
     * largest extraction worker and of all of them together.
     */
    const batchRun = async (size: number, out: string, rawDir = raw) => {
      const t = performance.now();
      const child = spawn(process.execPath, [CLI, 'run', '--raw', rawDir, '--out', out, '--quiet', '--timings', '--workers', String(size)], { stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
      const seen = new Map<number, number>();
      const cpu = new Map<number, number>();
      const sample = () => {
        if (!child.pid) return;
        for (const p of [child.pid, ...childrenOf(child.pid)]) {
          seen.set(p, Math.max(seen.get(p) ?? 0, peakRssMb(p)));
          cpu.set(p, Math.max(cpu.get(p) ?? 0, cpuSeconds(p)));
        }
      };
      const watch = setInterval(sample, 100);
      const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
      clearInterval(watch);
      if (code !== 0) throw new Error(`batch failed (exit ${code}): ${stderr.slice(-500)}`);
      const wall = (performance.now() - t) / 1000;
      rmSync(out, { recursive: true, force: true });
      const m = /^\[timings\] (.*)$/mu.exec(stderr);
      if (!m) throw new Error(`the CLI printed no timings: ${stderr.slice(-300)}`);
      const timings = JSON.parse(m[1]!) as Record<'extract_ms' | 'normalize_ms' | 'validate_ms' | 'publish_ms' | 'pages', number>;
      const workers = [...seen.entries()].filter(([p]) => p !== child.pid).map(([, v]) => v);
      const cpuAll = [...cpu.values()].reduce((a, b) => a + b, 0);
      return { wall, timings, cli: seen.get(child.pid!) ?? 0, worker: Math.max(0, ...workers), total: [...seen.values()].reduce((a, b) => a + b, 0), cpuAll, cpuCli: cpu.get(child.pid!) ?? 0 };
    };
    const sizes = [...new Set([1, availableParallelism()])];
    const per: Record<number, number[]> = {};
    let lastFull: Awaited<ReturnType<typeof batchRun>>[] = [];
    for (const size of sizes) {
      per[size] = [];
      const runs: Awaited<ReturnType<typeof batchRun>>[] = [];
      for (let i = 0; i < BATCH_RUNS; i++) runs.push(await batchRun(size, join(tmp, `batch-${size}-${i}`)));
      per[size] = runs.map((r) => r.wall);
      lastFull = runs;
      const pick = (f: (r: (typeof runs)[number]) => number) => runs.map(f);
      line(`${size} worker(s): wall`, fmt(per[size]!, 's'));
      line(`${size} worker(s): reports per second`, `${(BATCH / median(per[size]!)).toFixed(1)} (${(batchPages / median(per[size]!)).toFixed(0)} pages/s)`);
      line(`${size} worker(s): extract (worker time, all files)`, fmt(pick((r) => r.timings.extract_ms / 1000), 's'));
      line(`${size} worker(s): extract, pages per second per core`, `${(batchPages / (median(pick((r) => r.timings.extract_ms)) / 1000)).toFixed(1)}`);
      line(`${size} worker(s): normalize (all files)`, fmt(pick((r) => r.timings.normalize_ms), 'ms', 0));
      line(`${size} worker(s): validate (all files)`, fmt(pick((r) => r.timings.validate_ms), 'ms', 0));
      line(`${size} worker(s): publish`, fmt(pick((r) => r.timings.publish_ms), 'ms', 0));
      line(`${size} worker(s): CPU time, all processes`, `${fmt(pick((r) => r.cpuAll), 's', 1)}; cores busy ${(median(pick((r) => r.cpuAll)) / median(per[size]!)).toFixed(2)}`);
      line(`${size} worker(s): CPU time, CLI process`, fmt(pick((r) => r.cpuCli), 's', 1));
      line(`${size} worker(s): peak memory, CLI process`, fmt(pick((r) => r.cli), 'MiB', 0));
      line(`${size} worker(s): peak memory, largest worker`, fmt(pick((r) => r.worker), 'MiB', 0));
      line(`${size} worker(s): peak memory, all processes`, fmt(pick((r) => r.total), 'MiB', 0));
    }
    if (sizes.length > 1) line(`scaling, ${sizes.at(-1)} workers vs 1`, `${(median(per[1]!) / median(per[sizes.at(-1)!]!)).toFixed(2)}×`);
    // Memory must stay flat as the batch grows: the same run on a quarter of the batch.
    const quarter = Math.max(1, Math.floor(BATCH / 4));
    const rawQ = join(tmp, 'batch-raw-quarter');
    mkdirSync(rawQ);
    copyFileSync(join(raw, 'indicators.json'), join(rawQ, 'indicators.json'));
    for (const r of reports.slice(0, quarter)) copyFileSync(join(raw, r.file), join(rawQ, r.file));
    writeFileSync(join(rawQ, 'sources.json'), JSON.stringify({ reports: reports.slice(0, quarter) }));
    const q: Awaited<ReturnType<typeof batchRun>>[] = [];
    for (let i = 0; i < BATCH_RUNS; i++) q.push(await batchRun(sizes.at(-1)!, join(tmp, `batch-quarter-${i}`), rawQ));
    const mem = (rs: typeof q) => `${median(rs.map((r) => r.cli)).toFixed(0)} / ${median(rs.map((r) => r.worker)).toFixed(0)} / ${median(rs.map((r) => r.total)).toFixed(0)} MiB`;
    line('peak memory, CLI / largest worker / all:', '');
    line(`  ${quarter} reports`, mem(q));
    line(`  ${BATCH} reports`, mem(lastFull));
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
