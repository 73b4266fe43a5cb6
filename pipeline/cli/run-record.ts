/**
 * The run record (issue 15, "re-runs that cost nothing"): what the last full `run` of an
 * output folder was given and what it left, in OUT/.cache/run/last.json. A later run
 * whose input has the same fingerprint, on an output folder still in the recorded state,
 * would publish exactly what is there already; cli/rerun.ts then says so without loading
 * the pipeline.
 *
 * - The input fingerprint: the sha256 of canonical JSON over the pipeline version (built
 *   by `npm run build`: code, validators, schemas, vocabulary, library versions), Node's
 *   version, the options that change what is published or whether a file is refused, and
 *   the sha256 of every input the run reads: each file of lib/inputs.ts RAW_INPUT_FILES
 *   in the raw folder (absent is recorded as absent) and every PDF the run processes.
 * - The output state: what publish reads or rewrites when the input is unchanged —
 *   `latest`, the sha256 of its release's manifest.json, releases/index.json and the
 *   names in releases/ (a folder the index does not list is repaired into it, a leftover
 *   of a killed writer is cleaned), the review queue and the names in review/ (a run with
 *   no held rows removes the folder), and leftover `latest` links of killed writers.
 *
 * A run that fails, or publishes with a failed file, writes no record and leaves the last
 * one as it is (a failed run leaves the whole output folder as it was). That is safe: the
 * record answers only a run whose input and output folder are again exactly those of the
 * run it records, whatever ran in between, and the pipeline publishes the same release
 * and prints the same summary for the same input on the same folder.
 *
 * Nothing in the state depends on the day: on unchanged content publish adopts the
 * existing release whatever its date (its id is looked up by content hash, the date part
 * only names a new release), so a record made on one day holds on the next.
 *
 * Imports only node builtins and small modules: the re-run check loads it before anything else.
 */
import { closeSync, constants, fstatSync, mkdirSync, openSync, readdirSync, readFileSync, readSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { dirname, join, resolve } from 'node:path';
import { DEFAULT_MAX_BYTES } from '../extract/pool-options.js';
import { writeFileAtomic } from '../lib/durable.js';
import { sha256Hex } from '../lib/hash.js';
import { RAW_INPUT_FILES, SOURCES_FILE } from '../lib/inputs.js';
import { builtVersion, ROOT } from '../lib/paths.js';
import { latestRelease } from '../publish/release-folder.js';
import type { RunOptions } from './run.js';

/** Format of the record file and of the fingerprinted document; a change makes every old record a miss. */
export const RUN_RECORD_FORMAT = 2;

/** Bytes read at a time when hashing a PDF (one buffer reused for every file). */
const HASH_CHUNK_BYTES = 1 << 20;

export const runRecordPath = (outDir: string): string => join(outDir, '.cache', 'run', 'last.json');

/** The options of a run that decide what it publishes, or whether it refuses a file. */
export type FingerprintOptions = Pick<RunOptions, 'rawDir' | 'outDir' | 'files' | 'municipalityCode' | 'municipalityName' | 'year' | 'keepGoing' | 'sjis' | 'baseUrl'> & {
  /**
   * The limits given on the command line (--timeout, --max-memory, --max-pages,
   * --max-bytes): they can make a file fail rather than change its records, but a
   * file that fails must never be hidden by an earlier run that read it.
   */
  limits?: Record<string, number | undefined>;
};

/** The fingerprint options of a parsed `run` command line (run-options.ts runOptionsFrom). */
export function fingerprintOptions(run: { options: Omit<FingerprintOptions, 'limits'>; pool: { limits: FingerprintOptions['limits'] } }): FingerprintOptions {
  return { ...run.options, limits: run.pool.limits };
}

/** What a run leaves in the output folder that a run on the same input would find or rewrite. */
export interface OutState {
  latest: string | null;
  manifest: string | null;
  index: string | null;
  releases: string[];
  queue: string | null;
  review: string[] | null;
  leftovers: string[];
}

export interface RunRecord {
  format: typeof RUN_RECORD_FORMAT;
  fingerprint: string;
  /**
   * The raw folder's input files (rawInputsNow), also inside the fingerprint: checked first,
   * so that a run whose registry or corrections changed is a full one without hashing every PDF.
   */
  raw_inputs: string;
  /** The release the run published (or adopted): state.latest. */
  release: string;
  state: OutState;
  /** 0, or 4 with rows held for review; a run with failures leaves no record. */
  exit_code: number;
  /** What a run on the same input prints: stdout, and the [summary] lines on stderr. */
  stdout: string;
  summary: string[];
  /** For --timings. */
  reports: number;
  pages: number;
}

/** The version dist/pipeline-version.json holds (written by `npm run build`), or null: without it no run is skipped. */
export function pipelineVersion(root = ROOT): string | null {
  return builtVersion('pipeline-version.json', root);
}

/** JSON with object keys sorted at every level, so equal documents hash equal. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * sha256 of a regular file, read in chunks; 'absent' when nothing is there. Throws for
 * anything else (a folder, a FIFO — opened without waiting and never read —, a device,
 * no permission, more than maxBytes): the run itself will say what is wrong with it. The
 * run refuses a PDF over --max-bytes before reading it, and so must this (one of many
 * gigabytes would otherwise be read to no purpose).
 */
function digestOf(path: string, chunk: Buffer, maxBytes = Infinity): string | 'absent' {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 'absent';
    throw err;
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new Error(`${path} is not a regular file`);
    if (st.size > maxBytes) throw new Error(`${path} is larger than the limit`);
    const h = createHash('sha256');
    for (let n; (n = readSync(fd, chunk, 0, chunk.length, null)) > 0; ) h.update(chunk.subarray(0, n));
    return h.digest('hex');
  } finally {
    closeSync(fd);
  }
}

/** The PDFs a run processes, as run.ts finds them: the FILE arguments, else each report's file in the registry. */
function pdfPaths(o: FingerprintOptions): string[] {
  if (o.files && o.files.length > 0) return o.files.map((f) => resolve(f));
  const reports = (JSON.parse(readFileSync(join(o.rawDir, SOURCES_FILE), 'utf8')) as { reports?: unknown }).reports;
  if (!Array.isArray(reports)) throw new Error(`${SOURCES_FILE} lists no reports`);
  return reports.map((r: { file?: unknown }) => {
    if (typeof r?.file !== 'string') throw new Error(`a report of ${SOURCES_FILE} has no file`);
    return join(o.rawDir, r.file);
  });
}

/** The sha256 of each input file of the raw folder ('absent' when missing), by name. Throws when one cannot be read. */
function rawInputDigests(o: FingerprintOptions, chunk: Buffer): Record<string, string> {
  return Object.fromEntries(RAW_INPUT_FILES.map((name) => [name, digestOf(join(o.rawDir, name), chunk)]));
}

/** The raw folder's input files as they are now (see rawInputDigests), or null when one cannot be read. */
export function rawInputsNow(o: FingerprintOptions): string | null {
  try {
    return canonicalJson(rawInputDigests(o, Buffer.allocUnsafe(HASH_CHUNK_BYTES)));
  } catch {
    return null;
  }
}

/**
 * The fingerprint of a run's input, or null when it cannot be taken (no pipeline version,
 * an input that is not a readable regular file, a registry that does not parse): such a
 * run is never skipped, and the full run reports the problem. `read` gives the PDFs'
 * sha256s as a run read them (path → sha256), instead of hashing them now; it must cover
 * exactly the PDFs the options name, in their order.
 */
export function inputFingerprint(o: FingerprintOptions, read?: Array<{ path: string; sha256: string }>): string | null {
  const pipeline = pipelineVersion();
  if (!pipeline) return null;
  try {
    const chunk = Buffer.allocUnsafe(HASH_CHUNK_BYTES);
    const inputs = rawInputDigests(o, chunk);
    const maxBytes = o.limits?.maxBytes ?? DEFAULT_MAX_BYTES;
    const paths = pdfPaths(o);
    if (read && (read.length !== paths.length || read.some((r, i) => r.path !== paths[i]))) return null;
    const pdfs = paths.map((path, i) => {
      const digest = read ? read[i]!.sha256 : digestOf(path, chunk, maxBytes);
      if (digest === 'absent') throw new Error(`${path} is missing`);
      return [path, digest];
    });
    const options = {
      raw_dir: resolve(o.rawDir),
      out_dir: resolve(o.outDir),
      files: (o.files ?? []).map((f) => resolve(f)),
      municipality_code: o.municipalityCode ?? null,
      municipality_name: o.municipalityName ?? null,
      year: o.year ?? null,
      keep_going: o.keepGoing === true,
      sjis: o.sjis === true,
      base_url: o.baseUrl ?? null,
      limits: o.limits ?? {},
    };
    return sha256Hex(canonicalJson({ format: RUN_RECORD_FORMAT, pipeline, node: process.version, options, inputs, pdfs }));
  } catch {
    return null;
  }
}

/** sha256 of a file, or null when it does not exist (other errors are thrown). */
function fileHashOrNull(path: string): string | null {
  try {
    return sha256Hex(readFileSync(path));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

/** Names in a folder, sorted, or null when it does not exist (other errors are thrown). */
function namesOrNull(dir: string): string[] | null {
  try {
    return readdirSync(dir).sort();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

/** The output folder's state as a run on unchanged input finds and leaves it (see the top of this file). */
export function outState(outDir: string): OutState {
  const latest = latestRelease(outDir);
  const releases = join(outDir, 'releases');
  return {
    latest,
    manifest: latest ? fileHashOrNull(join(releases, latest, 'manifest.json')) : null,
    index: fileHashOrNull(join(releases, 'index.json')),
    releases: namesOrNull(releases) ?? [],
    queue: fileHashOrNull(join(outDir, 'review', 'queue.json')),
    review: namesOrNull(join(outDir, 'review')),
    // publish removes these leftovers of killed writers; a run that finds one is a full one.
    leftovers: (namesOrNull(outDir) ?? []).filter((n) => n.startsWith('.latest-')),
  };
}

export const sameState = (a: OutState, b: OutState): boolean => canonicalJson(a) === canonicalJson(b);

/** The record of the last full run, or null when there is none or it is not one this version wrote. */
export function readRunRecord(outDir: string): RunRecord | null {
  let r: Partial<RunRecord>;
  try {
    r = JSON.parse(readFileSync(runRecordPath(outDir), 'utf8')) as Partial<RunRecord>;
  } catch {
    return null;
  }
  const ok =
    r?.format === RUN_RECORD_FORMAT &&
    typeof r.fingerprint === 'string' &&
    typeof r.raw_inputs === 'string' &&
    typeof r.release === 'string' &&
    typeof r.state === 'object' &&
    r.state !== null &&
    r.state.latest === r.release &&
    typeof r.exit_code === 'number' &&
    typeof r.stdout === 'string' &&
    Array.isArray(r.summary) &&
    r.summary.every((l) => typeof l === 'string') &&
    typeof r.reports === 'number' &&
    typeof r.pages === 'number';
  return ok ? (r as RunRecord) : null;
}

/** Write the record atomically (a reader sees the old one or the new one, never a part). */
export function writeRunRecord(outDir: string, record: RunRecord): void {
  const path = runRecordPath(outDir);
  mkdirSync(dirname(path), { recursive: true });
  writeFileAtomic(path, `${JSON.stringify(record, null, 2)}\n`);
}
