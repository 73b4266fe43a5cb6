/**
 * Before `run` loads the pipeline: fork the first extraction worker now, so its pdf.js
 * load overlaps the CLI's own start (issue 15), unless the run will most likely not parse
 * anything, i.e. every registered report is in the extraction cache already; then the
 * worker would only take CPU from the re-run. Best effort: a wrong guess costs the
 * overlap or a worker that is stopped unused, never a wrong result. Loads only small modules.
 */
import { parseArgs } from 'node:util';
import { cacheHolds } from '../extract/cache.js';
import { prestartWorker } from '../extract/spawn.js';
import { SOURCES_FILE } from '../lib/inputs.js';
import { DEFAULT_OUT_DIR, DEFAULT_RAW_DIR } from '../lib/paths.js';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { RUN_OPTIONS } from './run-options.js';

/**
 * What to do for these `run` arguments: the worker memory limit to fork one with
 * (undefined: the default), or null for no early worker (help, a usage error, or
 * everything cached).
 */
export function earlyWorker(argv: string[]): { memoryMb: number | undefined } | null {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: RUN_OPTIONS, allowPositionals: true });
  } catch {
    return null; // a usage error follows
  }
  const v = parsed.values;
  if (v.help) return null;
  const raw = v['max-memory'];
  if (raw !== undefined && !(/^\d+$/u.test(raw) && Number(raw) >= 64)) return null;
  const memoryMb = raw === undefined ? undefined : Number(raw);
  if (!v['no-cache'] && parsed.positionals.length === 0 && registryCached(resolve(v.raw ?? DEFAULT_RAW_DIR), resolve(v.out ?? DEFAULT_OUT_DIR))) return null;
  return { memoryMb };
}

/** Whether the cache holds an extraction for every report of the registry (by the sha256 it records). */
function registryCached(rawDir: string, outDir: string): boolean {
  try {
    const reports = (JSON.parse(readFileSync(join(rawDir, SOURCES_FILE), 'utf8')) as { reports?: Array<{ sha256?: unknown }> }).reports;
    if (!Array.isArray(reports) || reports.length === 0) return false;
    return cacheHolds(outDir, reports.map((r) => String(r.sha256)));
  } catch {
    return false;
  }
}

/** Fork the early worker when earlyWorker says so. */
export function prestart(argv: string[]): void {
  const plan = earlyWorker(argv);
  if (plan) prestartWorker(plan.memoryMb);
}
