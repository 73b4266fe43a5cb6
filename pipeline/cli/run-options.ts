/**
 * The options run and check share (parseArgs), and their checks (usage errors exit 2).
 * Also read by the early-worker check before either command loads (prestart.ts), so this
 * module imports only types and small modules at run time.
 */
import { resolve } from 'node:path';
import type { ParseArgsConfig } from 'node:util';
import { poolOptionsFromArgs } from '../extract/pool-options.js';
import { DEFAULT_OUT_DIR, DEFAULT_RAW_DIR } from '../lib/paths.js';
import type { RunOptions } from './run.js';

/** Extractions a run keeps going or finished-but-not-yet-taken per worker (RunOptions.inFlight); each held result is a report's extraction, tens of KiB for a typical report. */
export const IN_FLIGHT_PER_WORKER = 4;

export const RUN_OPTIONS = {
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
  'no-cache': { type: 'boolean', default: false },
  quiet: { type: 'boolean', default: false },
  timings: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const satisfies ParseArgsConfig['options'];

export type RunValues = { [K in keyof typeof RUN_OPTIONS]?: (typeof RUN_OPTIONS)[K]['type'] extends 'string' ? string : boolean };

/** The run options from the parsed values, or a one-line usage error. */
export function runOptionsFrom(command: string, v: RunValues, files: string[]): { ok: true; options: Omit<RunOptions, 'extract' | 'limits' | 'log'>; pool: ReturnType<typeof poolOptionsFromArgs> } | { ok: false; message: string } {
  const year = v.year === undefined ? undefined : Number(v.year);
  if (year !== undefined && !(Number.isInteger(year) && year >= 2014 && year <= 2100)) return { ok: false, message: `sousei-kpi ${command}: --year must be a Western fiscal year such as 2016, not "${v.year}"` };
  const code = v['municipality-code'];
  if (code !== undefined && !/^\d{6}$/u.test(code)) return { ok: false, message: `sousei-kpi ${command}: --municipality-code must be the 6-digit 全国地方公共団体コード, not "${code}"` };
  let pool;
  try {
    pool = poolOptionsFromArgs(v as Parameters<typeof poolOptionsFromArgs>[0]);
  } catch (err) {
    return { ok: false, message: `sousei-kpi ${command}: ${(err as Error).message}` };
  }
  return {
    ok: true,
    pool,
    options: {
      rawDir: resolve(v.raw ?? DEFAULT_RAW_DIR),
      outDir: resolve(v.out ?? DEFAULT_OUT_DIR),
      files,
      ...(code ? { municipalityCode: code } : {}),
      ...(v['municipality-name'] ? { municipalityName: v['municipality-name'] } : {}),
      ...(year !== undefined ? { year } : {}),
      keepGoing: v['keep-going'] === true,
      sjis: v.sjis === true,
      ...(v['base-url'] ? { baseUrl: v['base-url'] } : {}),
    },
  };
}

