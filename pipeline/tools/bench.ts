/**
 * `npm run bench`: how fast is the pipeline? Not a test: it prints figures, and at
 * the end each target of issue 15 beside its figure.
 *
 *  0. start-up: Node alone, the CLI's --help, and what importing each dependency costs
 *  1. the main command on the bundled report, from a cold start (child process), beside
 *     pdfplumber's extract_tables on the same file in the same run (skipped with a note
 *     when Python or pdfplumber is missing); then a re-run on the unchanged input
 *  2. per-stage times on the bundled report (extract / normalize / validate / publish),
 *     and where the extraction worker's time goes (pdf.js text pass, operator-list pass,
 *     rest of reading, our analysis)
 *  3. extraction speed in pages per second on one worker, over the PDF corpus,
 *     and pdftotext -bbox-layout (poppler, C++) on the same PDFs as a reference floor
 *  4. a batch: N reports (copies of the corpus PDFs, each a different file and
 *     municipality) through the worker pool with 1 worker and with all cores:
 *     throughput, pages/s per worker, scaling, a re-run on the unchanged batch,
 *     and peak memory of the whole process tree
 *
 * Every figure is the median of several runs (min–max beside it); ratios are medians of
 * paired runs (each pair run back to back), which keeps them steadier than the times
 * when other work shares the machine.
 * Usage: node dist/pipeline/tools/bench.js [--runs N] [--batch N] [--batch-runs N]
 */
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createExtractPool } from '../extract/pool.js';
import { DEFAULT_WORKER_MEMORY_MB, workerExecArgv } from '../extract/spawn.js';
import { runPipeline, type RunResult } from '../cli/run.js';
import { sha256File } from '../ingest/index.js';
import { LAZY_PACKAGES } from '../lib/lazy.js';
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

/** The targets of issue 15 (figures from this run are set beside them at the end). */
const TARGETS = {
  /** Main command on the bundled report, cold, ÷ pdfplumber extract_tables on the same file: at most. */
  coldVsPdfplumber: 0.8,
  /** Re-run on unchanged input ÷ a fresh run, one report: at most. */
  rerunOne: 0.25,
  /** Re-run on unchanged input ÷ a fresh run, the whole batch: at most. */
  rerunBatch: 0.1,
  /** Batch wall time with 1 worker ÷ with 2 workers: at least. */
  scaling: 1.7,
  /** Peak memory of the full batch ÷ of a quarter batch (CLI and largest worker): at most ("flat"). */
  memoryGrowth: 1.15,
} as const;
const verdicts: Array<{ target: string; figure: string; met: boolean | null }> = [];
const verdict = (target: string, figure: string, met: boolean | null) => verdicts.push({ target, figure, met });

/** Wall seconds of a child process (spawnSync); throws when it fails. */
function timed(cmd: string, args: string[]): number {
  const t = performance.now();
  // From the project folder, so that bare package names resolve as the pipeline's do.
  const res = spawnSync(cmd, args, { encoding: 'utf8', cwd: ROOT });
  const wall = (performance.now() - t) / 1000;
  if (res.status !== 0) throw new Error(`${cmd} ${args.slice(0, 3).join(' ')} failed: ${(res.stderr ?? '').slice(-500)}`);
  return wall;
}

const PDFPLUMBER = 'import sys, pdfplumber\nwith pdfplumber.open(sys.argv[1]) as pdf:\n    for page in pdf.pages: page.extract_tables()';

/** Why pdfplumber cannot be compared, or null when python3 has it. */
function pdfplumberMissing(): string | null {
  const r = spawnSync('python3', ['-c', 'import pdfplumber; print(pdfplumber.__version__)'], { encoding: 'utf8' });
  if (r.error) return 'python3 is not installed';
  if (r.status !== 0) return 'pdfplumber is not installed (pip install pdfplumber)';
  return null;
}

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

/** 0. Start-up: Node alone, the CLI's own start (--help), and each dependency's import on top of Node. */
function startup() {
  section('0. Start-up (child processes; import cost = time beyond Node alone)');
  const node = (args: string[]) => timed(process.execPath, args);
  const reps = Math.max(5, 2 * RUNS);
  const base: number[] = [];
  const help: number[] = [];
  for (let i = 0; i < reps; i++) {
    base.push(node(['-e', '0']));
    help.push(node([CLI, '--help']));
  }
  line('node -e 0', fmt(base.map((x) => x * 1000), 'ms', 0));
  line('sousei-kpi --help', fmt(help.map((x) => x * 1000), 'ms', 0));
  const imports: Array<{ label: string; code: string; when: string; flags?: string[] }> = [
    ...LAZY_PACKAGES.map((p) => ({ label: `import ${p}`, code: `await import(${JSON.stringify(p)})`, when: p === 'node-cron' ? 'schedule only' : 'on first use only' })),
    { label: 'import pdfjs-dist (pdf.mjs, pdf.worker.mjs)', code: `await import('pdfjs-dist/legacy/build/pdf.mjs'); await import('pdfjs-dist/legacy/build/pdf.worker.mjs')`, when: 'never as modules (below)' },
    {
      label: 'pdf.js as a worker loads it',
      code: `await (await import('./dist/pipeline/extract/pdf.js')).pdfjs()`,
      when: 'extraction workers only: built scripts with V8 code cache, worker flags',
      flags: workerExecArgv(DEFAULT_WORKER_MEMORY_MB),
    },
    { label: 'import ./dist/pipeline/cli/cmd-run.js', code: `await import('./dist/pipeline/cli/cmd-run.js')`, when: 'the run command and all it loads at start' },
  ];
  for (const { label, code, when, flags = [] } of imports) {
    const xs: number[] = [];
    for (let i = 0; i < reps; i++) xs.push(node([...flags, '--input-type=module', '-e', code]) - median(base));
    line(label, `${fmt(xs.map((x) => x * 1000), 'ms', 0)} — loaded: ${when}`);
  }
}

/** 1. The main command on the bundled report, cold, beside pdfplumber; then a re-run on the unchanged input. */
function coldAndRerun(tmp: string) {
  section('1. Main command on the bundled report (cold start, child process)');
  const report = join(ROOT, 'raw', 'kurume-sousei-h28-progress.pdf');
  const missing = pdfplumberMissing();
  const ours: number[] = [];
  const rerun: number[] = [];
  const plumber: number[] = [];
  for (let i = 0; i <= RUNS; i++) {
    const out = join(tmp, `cold-${i}`);
    const fresh = timed(process.execPath, [CLI, 'run', '--out', out, '--quiet']);
    const again = timed(process.execPath, [CLI, 'run', '--out', out, '--quiet']);
    const ref = missing ? null : timed('python3', ['-c', PDFPLUMBER, report]);
    if (i === 0) continue; // warm-up (file cache)
    ours.push(fresh);
    rerun.push(again);
    if (ref !== null) plumber.push(ref);
  }
  line('wall time, fresh output folder', fmt(ours, 's'));
  if (missing) {
    line('pdfplumber extract_tables, same file', `skipped: ${missing}`);
    verdict(`cold main command ≤ ${TARGETS.coldVsPdfplumber}× pdfplumber extract_tables`, `not measured (${missing})`, null);
  } else {
    const ratio = median(ours.map((x, k) => x / plumber[k]!));
    line('pdfplumber extract_tables, same file', fmt(plumber, 's'));
    line('ours ÷ pdfplumber (median of pairs)', `${ratio.toFixed(2)}×`);
    verdict(`cold main command ≤ ${TARGETS.coldVsPdfplumber}× pdfplumber extract_tables`, `${ratio.toFixed(2)}× (${median(ours).toFixed(2)} s vs ${median(plumber).toFixed(2)} s)`, ratio <= TARGETS.coldVsPdfplumber);
  }
  const ratio = median(rerun.map((x, k) => x / ours[k]!));
  line('re-run on unchanged input (run record)', fmt(rerun, 's'));
  line('re-run ÷ fresh run (median of pairs)', `${ratio.toFixed(2)}×`);
  verdict(`re-run, one report ≤ ${TARGETS.rerunOne}× a fresh run`, `${ratio.toFixed(2)}× (${median(rerun).toFixed(2)} s vs ${median(ours).toFixed(2)} s)`, ratio <= TARGETS.rerunOne);
}

function summary() {
  section('Targets (issue 15) — figures from this run; the machine may be shared, so they are noisy');
  for (const v of verdicts) line(v.target, `${v.figure}: ${v.met === null ? 'not measured' : v.met ? 'met' : 'NOT met'}`);
}

async function main() {
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  console.log(`sousei-kpi benchmark — node ${process.version}, ${availableParallelism()} cores (${cpu}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB`);
  const tmp = mkdtempSync(join(tmpdir(), 'sousei-bench-'));
  try {
    startup();
    coldAndRerun(tmp);

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
      const before = pool1.stats().profile;
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
      // Where the worker's time went over those reads (sums, as shares of the worker's total).
      const after = pool1.stats().profile;
      const part = (k: keyof typeof after) => after[k] - before[k];
      const total = part('total');
      line('worker time: pdf.js text pass', `${((100 * part('text')) / total).toFixed(0)}%`);
      line('worker time: pdf.js operator-list pass', `${((100 * part('operators')) / total).toFixed(0)}%`);
      line('worker time: rest of reading (open, pages, ours)', `${((100 * part('otherRead')) / total).toFixed(0)}%`);
      line('worker time: our analysis (layout, tables, …)', `${((100 * part('analysis')) / total).toFixed(0)}%`);

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
    const batchRun = async (size: number, out: string, rawDir = raw, keep = false) => {
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
      if (!keep) rmSync(out, { recursive: true, force: true });
      const m = /^\[timings\] (.*)$/mu.exec(stderr);
      if (!m) throw new Error(`the CLI printed no timings: ${stderr.slice(-300)}`);
      const timings = JSON.parse(m[1]!) as Record<'extract_ms' | 'normalize_ms' | 'validate_ms' | 'publish_ms' | 'pages' | 'parsed' | 'cached', number>;
      const workers = [...seen.entries()].filter(([p]) => p !== child.pid).map(([, v]) => v);
      const cpuAll = [...cpu.values()].reduce((a, b) => a + b, 0);
      return { wall, timings, cli: seen.get(child.pid!) ?? 0, worker: Math.max(0, ...workers), total: [...seen.values()].reduce((a, b) => a + b, 0), cpuAll, cpuCli: cpu.get(child.pid!) ?? 0 };
    };
    type BatchRun = Awaited<ReturnType<typeof batchRun>>;
    const full = availableParallelism();
    const sizes = [...new Set([1, full])];
    const runs: Record<number, BatchRun[]> = Object.fromEntries(sizes.map((n) => [n, []]));
    const reruns: BatchRun[] = [];
    const rerunRatios: number[] = [];
    // Paired: each round runs 1 worker, all workers, and a re-run of the latter on its unchanged output.
    for (let i = 0; i < BATCH_RUNS; i++) {
      for (const size of sizes) {
        const out = join(tmp, `batch-${size}-${i}`);
        const r = await batchRun(size, out, raw, size === full);
        runs[size]!.push(r);
        if (size !== full) continue;
        const again = await batchRun(size, out, raw);
        if (again.timings.parsed !== 0) throw new Error(`the re-run parsed ${again.timings.parsed} files again`);
        reruns.push(again);
        rerunRatios.push(again.wall / r.wall);
      }
    }
    for (const size of sizes) printBatch(size, runs[size]!, batchPages);
    if (sizes.length > 1) {
      const ratios = runs[1]!.map((r, k) => r.wall / runs[full]![k]!.wall);
      const scaling = median(ratios);
      line(`scaling, ${full} workers vs 1 (median of pairs)`, `${scaling.toFixed(2)}×`);
      const ceiling = await machineCeiling(full, corpus);
      line(`machine ceiling: ${full} bare extraction processes vs 1`, `${ceiling.toFixed(2)}× (the same reads, no CLI, no pool, no publishing)`);
      line('scaling ÷ machine ceiling', `${(scaling / ceiling).toFixed(2)}`);
      verdict(`batch of ${BATCH}, ${full} workers vs 1 ≥ ${TARGETS.scaling}×`, `${scaling.toFixed(2)}× (this machine gives ${full} bare extraction processes ${ceiling.toFixed(2)}×)`, full === 2 ? scaling >= TARGETS.scaling : null);
    } else verdict(`batch of ${BATCH}, 2 workers vs 1 ≥ ${TARGETS.scaling}×`, 'one core: no scaling to measure', null);
    const rerunRatio = median(rerunRatios);
    line('re-run on the unchanged batch', fmt(reruns.map((r) => r.wall), 's'));
    line('re-run ÷ fresh run (median of pairs)', `${rerunRatio.toFixed(3)}×`);
    verdict(`re-run, batch of ${BATCH} ≤ ${TARGETS.rerunBatch}× a fresh run`, `${rerunRatio.toFixed(3)}× (${median(reruns.map((r) => r.wall)).toFixed(2)} s vs ${median(runs[full]!.map((r) => r.wall)).toFixed(2)} s)`, rerunRatio <= TARGETS.rerunBatch);
    // Memory must stay flat as the batch grows: the same run on a quarter of the batch.
    const quarter = Math.max(1, Math.floor(BATCH / 4));
    const rawQ = join(tmp, 'batch-raw-quarter');
    mkdirSync(rawQ);
    copyFileSync(join(raw, 'indicators.json'), join(rawQ, 'indicators.json'));
    for (const r of reports.slice(0, quarter)) copyFileSync(join(raw, r.file), join(rawQ, r.file));
    writeFileSync(join(rawQ, 'sources.json'), JSON.stringify({ reports: reports.slice(0, quarter) }));
    const q: BatchRun[] = [];
    for (let i = 0; i < BATCH_RUNS; i++) q.push(await batchRun(full, join(tmp, `batch-quarter-${i}`), rawQ));
    const mem = (rs: BatchRun[]) => `${median(rs.map((r) => r.cli)).toFixed(0)} / ${median(rs.map((r) => r.worker)).toFixed(0)} / ${median(rs.map((r) => r.total)).toFixed(0)} MiB`;
    line('peak memory, CLI / largest worker / all:', '');
    line(`  ${quarter} reports`, mem(q));
    line(`  ${BATCH} reports`, mem(runs[full]!));
    const growth = Math.max(median(runs[full]!.map((r) => r.cli)) / median(q.map((r) => r.cli)), median(runs[full]!.map((r) => r.worker)) / median(q.map((r) => r.worker)));
    verdict(`memory flat: ${BATCH} vs ${quarter} reports ≤ ${TARGETS.memoryGrowth}×`, `${growth.toFixed(2)}× (CLI / largest worker at ${BATCH}: ${median(runs[full]!.map((r) => r.cli)).toFixed(0)} / ${median(runs[full]!.map((r) => r.worker)).toFixed(0)} MiB)`, growth <= TARGETS.memoryGrowth);
    summary();
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/**
 * What the machine gives `n` extraction processes that share nothing: the same reads
 * (every corpus file, several times over) done by one process, and split over `n` processes
 * started at once; wall of the one ÷ wall of the slowest of the n (median of paired rounds).
 * Below n it is the hardware (shared caches, memory bandwidth, a hypervisor's vCPUs), and
 * no pipeline can scale past it.
 */
async function machineCeiling(n: number, files: string[]): Promise<number> {
  const script = join(ROOT, 'dist', 'pipeline', 'tools', 'extract-loop.js');
  const loop = (repeat: number) =>
    new Promise<number>((resolve, reject) => {
      const child = spawn(process.execPath, [...workerExecArgv(DEFAULT_WORKER_MEMORY_MB), script, '--repeat', String(repeat), ...files], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      child.stdout.on('data', (b: Buffer) => (out += b.toString()));
      child.stderr.on('data', (b: Buffer) => (err += b.toString()));
      child.on('exit', (code) => (code === 0 ? resolve(Number(out.trim())) : reject(new Error(`extract-loop failed (exit ${code}): ${err.slice(-300)}`))));
    });
  const per = 4; // rounds of the corpus per process when n run at once; the one process does n × per
  const ratios: number[] = [];
  for (let i = 0; i < BATCH_RUNS; i++) {
    const one = await loop(n * per);
    const many = await Promise.all(Array.from({ length: n }, () => loop(per)));
    ratios.push(one / Math.max(...many));
  }
  return median(ratios);
}

interface BatchFigures {
  wall: number;
  timings: Record<'extract_ms' | 'normalize_ms' | 'validate_ms' | 'publish_ms', number>;
  cli: number;
  worker: number;
  total: number;
  cpuAll: number;
  cpuCli: number;
}

/** The figures of the batch runs with `size` workers. */
function printBatch(size: number, runs: BatchFigures[], batchPages: number) {
  const pick = (f: (r: BatchFigures) => number) => runs.map(f);
  const wall = pick((r) => r.wall);
  line(`${size} worker(s): wall`, fmt(wall, 's'));
  line(`${size} worker(s): reports per second`, `${(BATCH / median(wall)).toFixed(1)} (${(batchPages / median(wall)).toFixed(0)} pages/s, ${(batchPages / median(wall) / size).toFixed(1)} pages/s per worker)`);
  line(`${size} worker(s): extract (worker time, all files)`, fmt(pick((r) => r.timings.extract_ms / 1000), 's'));
  line(`${size} worker(s): extract, pages per second per core`, `${(batchPages / (median(pick((r) => r.timings.extract_ms)) / 1000)).toFixed(1)}`);
  line(`${size} worker(s): normalize (all files)`, fmt(pick((r) => r.timings.normalize_ms), 'ms', 0));
  line(`${size} worker(s): validate (all files)`, fmt(pick((r) => r.timings.validate_ms), 'ms', 0));
  line(`${size} worker(s): publish`, fmt(pick((r) => r.timings.publish_ms), 'ms', 0));
  line(`${size} worker(s): CPU time, all processes`, `${fmt(pick((r) => r.cpuAll), 's', 1)}; cores busy ${(median(pick((r) => r.cpuAll)) / median(wall)).toFixed(2)}`);
  line(`${size} worker(s): CPU time, CLI process`, fmt(pick((r) => r.cpuCli), 's', 1));
  line(`${size} worker(s): peak memory, CLI process`, fmt(pick((r) => r.cli), 'MiB', 0));
  line(`${size} worker(s): peak memory, largest worker`, fmt(pick((r) => r.worker), 'MiB', 0));
  line(`${size} worker(s): peak memory, all processes`, fmt(pick((r) => r.total), 'MiB', 0));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
