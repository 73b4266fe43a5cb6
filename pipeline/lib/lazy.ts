/**
 * Dependencies loaded on first use rather than at start-up, so a command pays only
 * for what it uses (issue 15: together they cost about a third of a second of CPU
 * before the first page was read). Each is a CommonJS package, so it can be loaded
 * synchronously with require() where it is first needed, without making the
 * callers async. `npm run bench` shows what each import costs.
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** A value computed on the first call and kept. */
export function once<T>(load: () => T): () => T {
  let loaded: { value: T } | null = null;
  return () => (loaded ??= { value: load() }).value;
}

/** ajv for draft 2020-12: only when the record validators precompiled at build time do not match schemas/. */
export const ajv2020 = once(() => require('ajv/dist/2020.js') as typeof import('ajv/dist/2020.js'));
/** ajv for draft-07: only when the precompiled Data Package profile validator does not match. */
export const ajv07 = once(() => require('ajv') as typeof import('ajv'));
/** Shift_JIS (CP932) encoding: only for --sjis. */
export const iconvLite = once(() => require('iconv-lite') as typeof import('iconv-lite'));
/** Encoding detection (UTF-8 or Shift_JIS): only when a corrections file exists. */
export const encodingJapanese = once(() => require('encoding-japanese') as typeof import('encoding-japanese'));
/** CSV parser: only when a corrections file exists (and for the review command's decisions). */
export const papaparse = once(() => require('papaparse') as typeof import('papaparse'));
/** Progress bar: only when stderr is a terminal. */
export const cliProgress = once(() => require('cli-progress') as typeof import('cli-progress'));
/** CSV writer: only when a release is written. */
export const csvStringify = once(() => require('csv-stringify/sync') as typeof import('csv-stringify/sync'));

/** The packages above, and node-cron (loaded only with the schedule command's module), by name, for the bench's import-cost figures. */
export const LAZY_PACKAGES = ['ajv/dist/2020.js', 'ajv', 'iconv-lite', 'encoding-japanese', 'papaparse', 'csv-stringify/sync', 'cli-progress', 'node-cron'] as const;
