/**
 * The extraction cache: each PDF's extraction (ExtractedReport) kept under the
 * output folder (DIR/.cache/extract/), so a run on unchanged input costs hashing the
 * files and the publish check, not a parse.
 *
 * An entry is keyed on the PDF's sha256 and on the extractor: the version written by
 * `npm run build` (dist/extractor-version.json: a hash of the compiled extract stage and
 * the pdfjs-dist version, so changing the extractor's code invalidates every entry), the
 * entry format and the V8 serialization format. Limits (--max-pages, --max-bytes) are not
 * part of the key: they decide whether a document is refused, not what is extracted, and
 * the run checks them again on a hit.
 *
 * An entry is an envelope: a magic line, a JSON header (the full key, the PDF's sha256,
 * the payload's length and sha256) and the payload (v8.serialize of the report). One
 * that is truncated, corrupt, made by another extractor or for another file is ignored
 * and rebuilt, never trusted. Entries are replaced atomically (temporary file + rename).
 * A cache that cannot be written is a warning: the run goes on without it (it is never
 * an environment fault of the run in the sense of lib/faults.ts: the cache only saves
 * time; a disk that is really full or read-only fails the publish step, which names it).
 *
 * A read-only cache (`check`, `run --dry-run`) takes entries from the real output
 * folder but writes, renames and removes nothing there: what the check parses is not
 * kept (identical files being parsed at the same time are still parsed once, see run.ts).
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { deserialize, serialize } from 'node:v8';
import { processAlive, writeFileReplace } from '../lib/durable.js';
import { sha256Hex } from '../lib/hash.js';
import { builtVersion, ROOT } from '../lib/paths.js';
import type { ExtractedReport } from './index.js';

/** Bumped when the envelope or what it holds changes shape (the extractor's own changes are in its version). */
export const CACHE_FORMAT = 1;
const MAGIC = Buffer.from('sousei-kpi extract cache\n', 'utf8');
/** Largest header accepted (a real one is ~300 bytes). */
const MAX_HEADER_BYTES = 4096;

interface Header {
  key: string;
  sha256: string;
  payload_bytes: number;
  payload_sha256: string;
}

export interface CacheCounters {
  /** Entries found valid and used. */
  hits: number;
  /** Lookups with no entry. */
  misses: number;
  /** Entries found but not trusted (damaged, foreign, other extractor): parsed again and rewritten. */
  rejected: number;
  /** Entries written by this run. */
  written: number;
}

/** The extractor version from `npm run build`, or null when the build did not write it. */
export function extractorVersion(root = ROOT): string | null {
  return builtVersion('extractor-version.json', root);
}

/** The cache folder of an output folder. */
export const cacheDirOf = (outDir: string): string => join(outDir, '.cache', 'extract');

/** The full key of this extractor's entries: format, extractor version, V8 serialization. */
const keyOf = (version: string | null): string => JSON.stringify({ format: CACHE_FORMAT, extractor: version, v8: process.versions.v8 });
/** Where the entries of one key live: a folder per key, so another extractor's entries are simply not looked at. */
const entryDir = (outDir: string, key: string): string => join(cacheDirOf(outDir), sha256Hex(key).slice(0, 16));

/**
 * Whether an entry exists for each of these sha256s (not whether it is valid: that is
 * checked when it is read). For guessing, before a run loads, whether it will parse anything.
 */
export function cacheHolds(outDir: string, sha256s: string[], version = extractorVersion()): boolean {
  if (version === null) return false;
  const dir = entryDir(outDir, keyOf(version));
  return sha256s.every((s) => /^[0-9a-f]{64}$/u.test(s) && existsSync(join(dir, `${s}.bin`)));
}

export interface CacheOptions {
  /** Extractor version (default: dist/extractor-version.json). null disables the cache. */
  version?: string | null;
  /** Do not use entries made before this run (they are rebuilt); entries this run writes still serve its duplicate files. */
  refresh?: boolean;
  /** Told once when the cache cannot be used or written (the run goes on without it). */
  warn?: (message: string) => void;
  /** Read entries but never change the cache folder (no writes, no clean-up): for check, which writes nothing to the output folder. */
  readOnly?: boolean;
}

export class ExtractCache {
  readonly dir: string | null;
  readonly counters: CacheCounters = { hits: 0, misses: 0, rejected: 0, written: 0 };
  readonly #key: string;
  readonly #refresh: boolean;
  readonly #warn: (message: string) => void;
  /** Entries written by this run (usable even with refresh). */
  readonly #fresh = new Set<string>();
  readonly #readOnly: boolean;
  #writable = true;

  constructor(outDir: string, opts: CacheOptions = {}) {
    const version = opts.version === undefined ? extractorVersion() : opts.version;
    this.#warn = opts.warn ?? (() => {});
    this.#refresh = opts.refresh ?? false;
    this.#readOnly = opts.readOnly ?? false;
    this.#key = keyOf(version);
    if (version === null) {
      this.dir = null;
      this.#warn('extraction cache off: dist/extractor-version.json is missing (run `npm run build`)');
    } else {
      this.dir = entryDir(outDir, this.#key);
      if (!this.#readOnly) removeStaleTemporaries(this.dir);
    }
  }

  #path(sha256: string): string {
    return join(this.dir!, `${sha256}.bin`);
  }

  /** The cached extraction of the PDF with this sha256, or null (no entry, or one not to be trusted). */
  get(sha256: string): ExtractedReport | null {
    if (!this.dir) return null;
    if (this.#refresh && !this.#fresh.has(sha256)) return null;
    let data: Buffer;
    try {
      data = readFileSync(this.#path(sha256));
    } catch {
      this.counters.misses++;
      return null;
    }
    const report = decodeEntry(data, this.#key, sha256);
    if (report) this.counters.hits++;
    else this.counters.rejected++;
    return report;
  }

  /** Keep an extraction. Failing to write turns writing off for the rest of the run, with one warning. */
  put(sha256: string, report: ExtractedReport): void {
    if (!this.dir || !this.#writable) return;
    if (this.#readOnly) return;
    try {
      if (this.counters.written === 0) removeOtherKeys(this.dir);
      mkdirSync(this.dir, { recursive: true });
      writeFileReplace(this.#path(sha256), encodeEntry(report, this.#key, sha256));
      this.#fresh.add(sha256);
      this.counters.written++;
    } catch (err) {
      this.#writable = false;
      const e = err as NodeJS.ErrnoException;
      this.#warn(`the extraction cache ${this.dir} cannot be written (${e.code ?? e.message}); going on without it`);
    }
  }
}

/**
 * The folders of other keys beside `dir` (entries of an earlier extractor, never to be read
 * again), so the cache does not grow with every change to the extractor. Done when the
 * current key first writes, so a run that only reads changes nothing.
 */
function removeOtherKeys(dir: string): void {
  const base = dirname(dir);
  let names: string[];
  try {
    names = readdirSync(base);
  } catch {
    return;
  }
  for (const n of names) if (/^[0-9a-f]{16}$/u.test(n) && join(base, n) !== dir) rmSync(join(base, n), { recursive: true, force: true });
}

/** Temporary files of entries whose writer was killed before renaming them (writeFileReplace names them .NAME.tmp-PID-RANDOM). */
function removeStaleTemporaries(dir: string): void {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const n of names) {
    const m = /^\..*\.tmp-(\d+)-[0-9a-f]+$/u.exec(n);
    try {
      if (m && !processAlive(Number(m[1]))) rmSync(join(dir, n), { force: true });
    } catch {
      // a cache folder that cannot be cleaned is no reason to stop a run; put() warns if it cannot be written either
    }
  }
}

export function encodeEntry(report: ExtractedReport, key: string, sha256: string): Buffer {
  const payload = serialize(report);
  const header: Header = { key, sha256, payload_bytes: payload.byteLength, payload_sha256: sha256Hex(payload) };
  const head = Buffer.from(JSON.stringify(header), 'utf8');
  const len = Buffer.alloc(4);
  len.writeUInt32BE(head.byteLength);
  return Buffer.concat([MAGIC, len, head, payload]);
}

/** The report in an entry, or null unless every check passes: magic, key, file hash, payload length and hash, shape. */
export function decodeEntry(data: Buffer, key: string, sha256: string): ExtractedReport | null {
  if (data.byteLength < MAGIC.byteLength + 4 || !data.subarray(0, MAGIC.byteLength).equals(MAGIC)) return null;
  const headLen = data.readUInt32BE(MAGIC.byteLength);
  const start = MAGIC.byteLength + 4;
  if (headLen > MAX_HEADER_BYTES || start + headLen > data.byteLength) return null;
  let header: Partial<Header>;
  try {
    header = JSON.parse(data.subarray(start, start + headLen).toString('utf8')) as Partial<Header>;
  } catch {
    return null;
  }
  const payload = data.subarray(start + headLen);
  if (header.key !== key || header.sha256 !== sha256 || header.payload_bytes !== payload.byteLength || header.payload_sha256 !== sha256Hex(payload)) return null;
  let report: unknown;
  try {
    report = deserialize(payload);
  } catch {
    return null;
  }
  return looksExtracted(report, sha256) ? report : null;
}

/** The fields the run reads first, so an entry of another shape is a miss rather than a crash later. */
function looksExtracted(v: unknown, sha256: string): v is ExtractedReport {
  if (typeof v !== 'object' || v === null) return false;
  const r = v as Partial<Record<keyof ExtractedReport, unknown>>;
  return r.sha256 === sha256 && typeof r.pageCount === 'number' && Array.isArray(r.numericTables) && Array.isArray(r.kpiTables) && typeof r.info === 'object' && r.info !== null;
}
