import { resolve } from 'node:path';
import { ExtractCache } from '../extract/cache.js';
import { createExtractPool, DEFAULT_LIMITS, poolOptionsFromArgs, type ExtractPool } from '../extract/pool.js';
import { dropPrestarted } from '../extract/spawn.js';
import { DEFAULT_OUT_DIR, DEFAULT_RAW_DIR } from '../lib/paths.js';
import { InputError } from '../lib/registry.js';
import { checkBaseUrl, parseCommand } from './args.js';
import type { Command } from './main.js';
import { describeError, runPipeline, type RunResult } from './run.js';
import { RUN_OPTIONS } from './run-options.js';

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
  --no-cache                parse every PDF again instead of taking its extraction from
                            the cache (DIR/.cache/extract/, keyed on the file's sha256 and
                            the extractor's version); the cache entries are rewritten
  --quiet                   no progress messages on stderr
  --timings                 print time per stage on stderr at the end, as one JSON line
                            after "[timings] " (extract: worker time summed over files;
                            parsed / cached / shared: how each file's extraction was got)
  -h, --help                this help

Writes a new release under DIR/releases/<date>-<hash>/ and points DIR/latest at it;
unchanged input publishes no new release. Exit 0 when datasets were written (findings or
not), 1 with a one-line reason per failed file otherwise.`;

/** Extractions a run keeps going or finished-but-not-yet-taken per worker (RunOptions.inFlight); each held result is a report's extraction, tens of KiB for a typical report. */
const IN_FLIGHT_PER_WORKER = 4;

export const runCommand: Command = {
  usage,
  async run(argv) {
    const args = parseCommand('run', usage, {
      args: argv,
      allowPositionals: true,
      options: RUN_OPTIONS,
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
    const pool = createExtractPool(poolOptions);
    const outDir = resolve(v.out ?? DEFAULT_OUT_DIR);
    const cache = new ExtractCache(outDir, { refresh: v['no-cache'], warn: (msg) => process.stderr.write(`sousei-kpi: warning: ${msg}\n`) });
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
        cache,
        // Files read ahead of the one being normalized: enough that a slow file at the head
        // does not leave the other workers without work (results are taken in order).
        inFlight: IN_FLIGHT_PER_WORKER * pool.size,
      });
      for (const f of res.failures) process.stderr.write(`sousei-kpi: ${f.file}: ${f.problem} — ${f.hint}\n`);
      if (!res.published) {
        if (res.failures.length === 0) process.stderr.write('sousei-kpi: nothing to publish (no reports)\n');
        else process.stderr.write('sousei-kpi: nothing was published; the previous release is unchanged\n');
        return 1;
      }
      if (!quiet) process.stderr.write(`[done] ${((performance.now() - started) / 1000).toFixed(2)} s\n`);
      if (v.timings) process.stderr.write(`[timings] ${JSON.stringify(timingsLine(res, pool, cache, started))}\n`);
      process.stdout.write(`${res.published.releaseDir}\n`);
      return res.failures.length ? 3 : 0;
    } catch (err) {
      const f = err instanceof InputError ? { file: err.file, problem: err.problem, hint: err.hint } : describeError('(run)', err);
      process.stderr.write(`sousei-kpi: ${f.file}: ${f.problem} — ${f.hint}\n`);
      return 1;
    } finally {
      dropPrestarted();
      await pool.close();
    }
  },
};

/** The --timings line: stage times, how the extractions were got, and where the workers' time went. */
function timingsLine(res: RunResult, pool: ExtractPool, cache: ExtractCache, started: number) {
  const sum = (k: 'normalize' | 'validate') => Math.round(res.reports.reduce((n, r) => n + r.timings[k], 0));
  const stats = pool.stats();
  const ms = (x: number) => Math.round(x);
  return {
    reports: res.reports.length,
    pages: res.reports.reduce((n, r) => n + r.pages, 0),
    workers: pool.size,
    wall_ms: ms(performance.now() - started),
    extract_ms: ms(stats.busyMs),
    normalize_ms: sum('normalize'),
    validate_ms: sum('validate'),
    publish_ms: ms(res.timings.publish),
    // Extractions: parsed by a worker, taken from the cache, shared with an identical file.
    ...res.extraction,
    cache_rejected: cache.counters.rejected,
    cache_written: cache.counters.written,
    // Worker time of the parsed files: pdf.js text pass, operator-list pass, rest of reading, our analysis.
    extract_split_ms: { text: ms(stats.profile.text), operators: ms(stats.profile.operators), other_read: ms(stats.profile.otherRead), analysis: ms(stats.profile.analysis) },
  };
}
