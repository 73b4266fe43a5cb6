import { resolve } from 'node:path';
import { createExtractPool, DEFAULT_LIMITS, poolOptionsFromArgs } from '../extract/pool.js';
import { DEFAULT_OUT_DIR, DEFAULT_RAW_DIR } from '../lib/paths.js';
import { InputError } from '../lib/registry.js';
import { latestRelease } from '../publish/index.js';
import { acquireLock, runLockPath } from '../schedule/lock.js';
import { checkBaseUrl, parseCommand } from './args.js';
import type { Command } from './main.js';
import { describeError, runPipeline } from './run.js';

const usage = `Usage: sousei-kpi run [FILE.pdf ...] [options]

Without files, processes every report listed in raw/sources.json into output/.
With files, processes just those PDFs (metadata from the registry when the file
is registered there with the same sha256, else from the options below or the report).

Options:
  --out DIR                 publication folder (default: output/ of the project)
  --raw DIR                 folder with sources.json, indicators.json and the PDFs (default: raw/)
  --municipality-code CODE  6-digit 全国地方公共団体コード for unregistered files
  --municipality-name NAME  municipality name for unregistered files (e.g. 福岡県久留米市)
  --year YYYY               report fiscal year (Western) for unregistered files
  --keep-going              publish the reports that worked even if others failed (exit 3)
  --sjis                    also write Shift_JIS (CP932) copies of the CSV files under sjis/
  --base-url URL            URL the release folder will be served from (absolute download
                            URLs in dcat.jsonld and ckan-package.json; relative without it)
  --workers N               PDFs read in parallel, each in its own process (default: CPUs)
  --timeout SECONDS         time limit for reading one PDF (default ${DEFAULT_LIMITS.timeoutMs / 1000})
  --max-memory MIB          memory limit of one PDF reader process (default ${DEFAULT_LIMITS.maxMemoryMb})
  --max-pages N             refuse PDFs with more pages (default ${DEFAULT_LIMITS.maxPages})
  --max-bytes SIZE          refuse larger files, e.g. 20M (default ${DEFAULT_LIMITS.maxBytes / 2 ** 20}M)
  --quiet                   no progress messages on stderr
  --timings                 print time per stage on stderr at the end, as one JSON line
                            after "[timings] " (extract: worker time summed over files)
  -h, --help                this help

Writes a new release under DIR/releases/<date>-<hash>/ and points DIR/latest at it;
unchanged input publishes no new release. Every switch of latest is said on stderr and
recorded in DIR/releases/index.json. Takes the run lock DIR/runs/lock (as ingest and the
schedule do): while another run holds it, nothing is done (exit 1). Exit 0 when datasets
were written (findings or not), 1 with a one-line reason per failed file otherwise (or one
line naming the path and the fault when the machine failed: disk full, read-only…).`;

/** The run lock of the output folder (the one ingest and the schedule take), or null after saying who holds it. */
function takeLock(outDir: string, quiet: boolean): { release(): void } | null {
  const path = runLockPath(outDir);
  let lock: ReturnType<typeof acquireLock>;
  try {
    lock = acquireLock(path, { purpose: 'run' });
  } catch (err) {
    const f = describeError('(run)', err);
    process.stderr.write(`sousei-kpi: ${f.file}: ${f.problem} — ${f.hint}\n`);
    return null;
  }
  if (!lock.ok) {
    const h = lock.holder;
    process.stderr.write(
      `sousei-kpi: ${path}: another run holds the lock${h ? ` (pid ${h.pid} on ${h.hostname}, ${h.purpose}, since ${h.started_at})` : ''}; nothing was done — ` +
        'run again when it has finished (a lock whose process has ended is taken over automatically)\n',
    );
    return null;
  }
  if (lock.tookOver && !quiet) process.stderr.write(`[lock] ${lock.tookOver}\n`);
  return lock;
}

export const runCommand: Command = {
  summary: 'process report PDFs into published datasets (default: everything in raw/sources.json)',
  usage,
  async run(argv) {
    const args = parseCommand('run', usage, {
      args: argv,
      allowPositionals: true,
      options: {
        out: { type: 'string' },
        raw: { type: 'string' },
        'municipality-code': { type: 'string' },
        'municipality-name': { type: 'string' },
        year: { type: 'string' },
        'keep-going': { type: 'boolean', default: false },
        sjis: { type: 'boolean', default: false },
        'base-url': { type: 'string' },
        workers: { type: 'string' },
        timeout: { type: 'string' },
        'max-memory': { type: 'string' },
        'max-pages': { type: 'string' },
        'max-bytes': { type: 'string' },
        quiet: { type: 'boolean', default: false },
        timings: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }, checkBaseUrl);
    if (typeof args === 'number') return args;
    const v = args.values;
    const year = v.year === undefined ? undefined : Number(v.year);
    if (year !== undefined && !(Number.isInteger(year) && year >= 2014 && year <= 2100)) {
      process.stderr.write(`sousei-kpi run: --year must be a Western fiscal year such as 2016, not "${v.year}"\n`);
      return 2;
    }
    const code = v['municipality-code'];
    if (code !== undefined && !/^\d{6}$/u.test(code)) {
      process.stderr.write(`sousei-kpi run: --municipality-code must be the 6-digit 全国地方公共団体コード, not "${code}"\n`);
      return 2;
    }
    let poolOptions;
    try {
      poolOptions = poolOptionsFromArgs(v);
    } catch (err) {
      process.stderr.write(`sousei-kpi run: ${(err as Error).message}\n`);
      return 2;
    }
    const quiet = v.quiet;
    const started = performance.now();
    const outDir = resolve(v.out ?? DEFAULT_OUT_DIR);
    const lock = takeLock(outDir, quiet);
    if (!lock) return 1;
    const latestBefore = latestRelease(outDir);
    const pool = createExtractPool(poolOptions);
    try {
      const res = await runPipeline({
        rawDir: resolve(v.raw ?? DEFAULT_RAW_DIR),
        outDir,
        files: args.positionals,
        ...(code ? { municipalityCode: code } : {}),
        ...(v['municipality-name'] ? { municipalityName: v['municipality-name'] } : {}),
        ...(year !== undefined ? { year } : {}),
        keepGoing: v['keep-going'],
        sjis: v.sjis,
        ...(v['base-url'] ? { baseUrl: v['base-url'] } : {}),
        log: quiet ? () => {} : (stage, msg) => process.stderr.write(`[${stage}] ${msg}\n`),
        extract: pool.extract,
        limits: pool.limits,
      });
      for (const f of res.failures) process.stderr.write(`sousei-kpi: ${f.file}: ${f.problem} — ${f.hint}\n`);
      for (const note of res.published?.repaired ?? []) process.stderr.write(`sousei-kpi: repaired ${note}\n`);
      const sw = res.published?.switched;
      if (sw) process.stderr.write(`sousei-kpi: latest -> releases/${sw.to} (was ${sw.from ? `releases/${sw.from}` : 'unset'}; ${sw.reason}); recorded in releases/index.json\n`);
      if (!res.published) {
        if (res.failures.length === 0) process.stderr.write('sousei-kpi: nothing to publish (no reports)\n');
        else process.stderr.write('sousei-kpi: nothing was published; the previous release is unchanged\n');
        return 1;
      }
      if (!quiet) process.stderr.write(`[done] ${((performance.now() - started) / 1000).toFixed(2)} s\n`);
      if (v.timings) {
        const sum = (k: 'normalize' | 'validate') => Math.round(res.reports.reduce((n, r) => n + r.timings[k], 0));
        const timings = {
          reports: res.reports.length,
          pages: res.reports.reduce((n, r) => n + r.pages, 0),
          workers: pool.size,
          wall_ms: Math.round(performance.now() - started),
          extract_ms: Math.round(pool.stats().busyMs),
          normalize_ms: sum('normalize'),
          validate_ms: sum('validate'),
          publish_ms: Math.round(res.timings.publish),
        };
        process.stderr.write(`[timings] ${JSON.stringify(timings)}\n`);
      }
      process.stdout.write(`${res.published.releaseDir}\n`);
      return res.failures.length ? 3 : 0;
    } catch (err) {
      const f = err instanceof InputError ? { file: err.file, problem: err.problem, hint: err.hint } : describeError('(run)', err);
      process.stderr.write(`sousei-kpi: ${f.file}: ${f.problem} — ${f.hint}\n`);
      const after = latestRelease(outDir);
      process.stderr.write(after === latestBefore ? `sousei-kpi: nothing was published; latest is unchanged (${after ? `releases/${after}` : 'none'})\n` : `sousei-kpi: latest -> releases/${after} (was ${latestBefore ? `releases/${latestBefore}` : 'unset'}) before the failure\n`);
      return 1;
    } finally {
      await pool.close();
      lock.release();
    }
  },
};
