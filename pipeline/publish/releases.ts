/**
 * The release folders of an output folder, as publish sees them:
 * - which names are releases (RELEASE_ID) and whether a folder at such a name is one this
 *   pipeline wrote: a real folder (never a symbolic link) holding exactly the regular
 *   files its manifest.json lists, with their sizes and sha256s (verifyRelease) — nothing
 *   else is ever adopted or read as the previous release (defined in release-folder.ts,
 *   which the re-run check loads without the rest of publish);
 * - releases/index.json: `releases`, one entry per release folder in the order they were
 *   created, and `latest_history`, every switch of `latest` (forward to a new release or
 *   back to an existing one). A run killed between renaming its release into place and
 *   updating the index, or between switching `latest` and recording it, leaves the index
 *   behind the folders; repairIndex, run at the start of every publish, brings it level
 *   again from the folders themselves (their changelog.json and manifest.json).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../lib/durable.js';
import { isSystemError } from '../lib/faults.js';
import { InputError } from '../lib/registry.js';
import type { DatasetName } from '../lib/records.gen.js';
import { readReleaseIndex, type PublicationOptions, type ReleaseIndex, type ReleaseIndexEntry } from './changelog.js';
import { PreviousRelease } from './previous.js';
import { RELEASE_ID, verifyRelease } from './release-folder.js';

// Defined in release-folder.ts (light enough for the re-run check), used here and by publish.
export { notAFolder, RELEASE_ID, verifyRelease } from './release-folder.js';

/** A switch of `latest`, as releases/index.json records it. */
export interface LatestSwitch {
  at: string;
  from: string | null;
  to: string;
  /** "new release", "existing release with the same content", or "found at start: …" (a run that switched it was interrupted). */
  reason: string;
}

type IndexDoc = ReleaseIndex & { latest_history?: LatestSwitch[] };

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
