/**
 * Pool size and limits from the command line (run, check). Apart from pool.ts so the
 * options can be checked before the pipeline loads (cli/run-options.ts, cli/prestart.ts).
 */
import { numberOption } from '../lib/options.js';
import type { ExtractLimits, PoolOptions } from './pool.js';

/** Largest PDF read by default (--max-bytes); here rather than in pool.ts so the re-run check (cli/run-record.ts) knows it without loading the pool. */
export const DEFAULT_MAX_BYTES = 100 * 1024 * 1024;

/** The run command's limit options, as typed. */
export interface LimitArgs {
  workers?: string | undefined;
  timeout?: string | undefined;
  'max-memory'?: string | undefined;
  'max-pages'?: string | undefined;
  'max-bytes'?: string | undefined;
}

/** Pool size and limits from command-line values; throws an Error whose message is the usage problem. */
export function poolOptionsFromArgs(a: LimitArgs): PoolOptions & { limits: Partial<ExtractLimits> } {
  const num = (flag: string, raw: string, min: number, integer: boolean) => numberOption(flag, raw, { min, integer });
  const limits: Partial<ExtractLimits> = {};
  const out: PoolOptions & { limits: Partial<ExtractLimits> } = { limits };
  if (a.workers !== undefined) out.size = num('workers', a.workers, 1, true);
  if (a.timeout !== undefined) limits.timeoutMs = Math.round(num('timeout', a.timeout, 0.01, false) * 1000);
  if (a['max-memory'] !== undefined) limits.maxMemoryMb = num('max-memory', a['max-memory'], 64, true);
  if (a['max-pages'] !== undefined) limits.maxPages = num('max-pages', a['max-pages'], 1, true);
  if (a['max-bytes'] !== undefined) {
    const m = /^(\d+(?:\.\d+)?)\s*([KMG]?)(?:i?B)?$/iu.exec(a['max-bytes'].trim());
    if (!m) throw new Error(`--max-bytes must be a size such as 100M or 5000000, not "${a['max-bytes']}"`);
    const scale = { '': 1, K: 2 ** 10, M: 2 ** 20, G: 2 ** 30 }[m[2]!.toUpperCase() as '' | 'K' | 'M' | 'G'];
    limits.maxBytes = Math.floor(Number(m[1]) * scale);
    if (limits.maxBytes < 1) throw new Error(`--max-bytes must be at least 1 byte, not "${a['max-bytes']}"`);
  }
  return out;
}
