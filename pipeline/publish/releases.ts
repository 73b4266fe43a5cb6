/**
 * The release folders of an output folder, as publish sees them:
 * - which names are releases (RELEASE_ID) and whether a folder at such a name is one this
 *   pipeline wrote: a real folder (never a symbolic link) holding exactly the regular
 *   files its manifest.json lists, with their sizes and sha256s (verifyRelease) — nothing
 *   else is ever adopted or read as the previous release;
 * - releases/index.json: `releases`, one entry per release folder in the order they were
 *   created, and `latest_history`, every switch of `latest` (forward to a new release or
 *   back to an existing one). A run killed between renaming its release into place and
 *   updating the index, or between switching `latest` and recording it, leaves the index
 *   behind the folders; repairIndex, run at the start of every publish, brings it level
 *   again from the folders themselves (their changelog.json and manifest.json).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic, lstatOrNull } from '../lib/durable.js';
import { isSystemError } from '../lib/faults.js';
import { sha256Hex } from '../lib/hash.js';
import { InputError } from '../lib/registry.js';
import type { DatasetName } from '../lib/records.gen.js';
import { readReleaseIndex, type PublicationOptions, type ReleaseIndex, type ReleaseIndexEntry } from './changelog.js';
import { PreviousRelease } from './previous.js';

/** <publishing day>-<12 hex digits of the content hash>. */
export const RELEASE_ID = /^\d{4}-\d{2}-\d{2}-[0-9a-f]{12}$/u;

/** A switch of `latest`, as releases/index.json records it. */
export interface LatestSwitch {
  at: string;
  from: string | null;
  to: string;
  /** "new release", "existing release with the same content", or "found at start: …" (a run that switched it was interrupted). */
  reason: string;
}

type IndexDoc = ReleaseIndex & { latest_history?: LatestSwitch[] };


/** What the entry at `path` is, when it is not a real folder (or null when it does not exist or is one). */
export function notAFolder(path: string): string | null {
  const st = lstatOrNull(path);
  if (!st || st.isDirectory()) return null;
  return st.isSymbolicLink() ? 'a symbolic link' : 'not a folder';
}

/** Regular files under `dir` (relative paths), refusing links and special files anywhere in it. */
function regularFiles(dir: string, prefix = ''): string[] {
  const out: string[] = [];
  for (const e of readdirSync(join(dir, prefix), { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...regularFiles(dir, rel));
    else if (e.isFile()) out.push(rel);
    else throw new Error(`${rel} is ${e.isSymbolicLink() ? 'a symbolic link' : 'not a regular file'}`);
  }
  return out;
}

/**
 * Why the folder at `dir` is not a complete release written by this pipeline (with the
 * given content hash, if any), or null when it is one.
 */
export function verifyRelease(dir: string, contentHash?: string): string | null {
  const kind = notAFolder(dir);
  if (kind) return `it is ${kind}`;
  let files: string[];
  let manifest: { content_hash?: unknown; files?: Array<{ path?: unknown; bytes?: unknown; sha256?: unknown }> };
  try {
    files = regularFiles(dir);
    manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as typeof manifest;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'it has no manifest.json' : `it cannot be read as a release (${(err as Error).message})`;
  }
  if (!Array.isArray(manifest.files)) return 'its manifest.json lists no files';
  if (contentHash !== undefined && manifest.content_hash !== contentHash) return `its manifest's content hash is ${String(manifest.content_hash)}, not ${contentHash}`;
  const listed = new Set<string>(['manifest.json']);
  for (const f of manifest.files) {
    if (typeof f.path !== 'string' || !files.includes(f.path)) return `${String(f.path)} (in its manifest) is missing`;
    listed.add(f.path);
    const data = readFileSync(join(dir, f.path));
    if (data.byteLength !== f.bytes || sha256Hex(data) !== f.sha256) return `${f.path} does not match its manifest (size or sha256)`;
  }
  const extra = files.filter((f) => !listed.has(f));
  return extra.length ? `it holds files its manifest does not list: ${extra.slice(0, 5).join(', ')}` : null;
}

function readIndex(releasesDir: string): IndexDoc {
  try {
    return readReleaseIndex(releasesDir) as IndexDoc;
  } catch (err) {
    if (isSystemError(err)) throw err;
    const path = join(releasesDir, 'index.json');
    throw new InputError(path, `cannot be read: ${(err as Error).message.replace(`${path} `, '').replace(/;.*$/su, '')}`, 'restore it from a backup, or move it away: the next run lists the release folders again (the history of latest before that is lost); nothing was published');
  }
}

function writeIndex(releasesDir: string, doc: IndexDoc): void {
  writeFileAtomic(join(releasesDir, 'index.json'), `${JSON.stringify(doc, null, 2)}\n`);
}

/** List a release (unless it is listed already). */
export function addRelease(releasesDir: string, entry: ReleaseIndexEntry): boolean {
  const doc = readIndex(releasesDir);
  if (doc.releases.some((r) => r.id === entry.id)) return false;
  writeIndex(releasesDir, { ...doc, releases: [...doc.releases, entry] });
  return true;
}

/** Append a switch of `latest` to the history. */
export function recordSwitch(releasesDir: string, sw: LatestSwitch): void {
  const doc = readIndex(releasesDir);
  writeIndex(releasesDir, { ...doc, latest_history: [...(doc.latest_history ?? []), sw] });
}

/** The index entry of a release folder, from its own files. */
export function entryFromFolder(releasesDir: string, id: string, datasets: DatasetName[], fallback: { created: string; publication: PublicationOptions }): ReleaseIndexEntry {
  const dir = join(releasesDir, id);
  const read = (name: string): Record<string, unknown> => {
    try {
      return JSON.parse(readFileSync(join(dir, name), 'utf8')) as Record<string, unknown>;
    } catch {
      return {};
    }
  };
  const log = read('changelog.json');
  const manifest = read('manifest.json');
  const prev = new PreviousRelease(dir, id, datasets);
  try {
    return {
      id,
      content_hash: typeof manifest.content_hash === 'string' ? manifest.content_hash : typeof log.content_hash === 'string' ? log.content_hash : '',
      created: typeof log.created === 'string' ? log.created : fallback.created,
      previous: typeof log.previous_release === 'string' ? log.previous_release : null,
      row_counts: Object.fromEntries(datasets.map((ds) => [ds, prev.count(ds)])),
      publication: (log.publication as PublicationOptions | undefined) ?? fallback.publication,
    };
  } finally {
    prev.close();
  }
}

/**
 * Bring releases/index.json level with the folders: list every complete release folder
 * it lacks (in the order they were created), and record a switch of `latest` that
 * happened without being recorded. Returns what was repaired, one line each.
 */
export function repairIndex(releasesDir: string, latestId: string | null, now: Date, datasets: DatasetName[]): string[] {
  const doc = readIndex(releasesDir);
  const listed = new Set(doc.releases.map((r) => r.id));
  const missing = readdirSync(releasesDir)
    .filter((n) => RELEASE_ID.test(n) && !listed.has(n) && verifyRelease(join(releasesDir, n)) === null)
    .map((id) => entryFromFolder(releasesDir, id, datasets, { created: now.toISOString(), publication: { sjis: false, base_url: null } }))
    .sort((a, b) => (a.created < b.created ? -1 : a.created > b.created ? 1 : a.id < b.id ? -1 : 1));
  const notes = missing.map((e) => `releases/index.json: listed release ${e.id}, whose folder was complete but not listed (a run was interrupted after writing it)`);
  const history = doc.latest_history ?? [];
  const recorded = history.at(-1)?.to;
  const sw: LatestSwitch | null =
    latestId && recorded !== undefined && recorded !== latestId ? { at: now.toISOString(), from: recorded, to: latestId, reason: 'found at start: a run switched latest without recording it (it was interrupted)' } : null;
  if (sw) notes.push(`releases/index.json: recorded the switch of latest from ${sw.from} to ${sw.to} (a run was interrupted before recording it)`);
  if (missing.length || sw) writeIndex(releasesDir, { ...doc, releases: [...doc.releases, ...missing], ...(sw ? { latest_history: [...history, sw] } : {}) });
  return notes;
}
