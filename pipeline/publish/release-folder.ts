/**
 * What an output folder's release folders are, in a module light enough for the re-run
 * check (cli/rerun.ts), which runs before the pipeline loads: which names are releases
 * (RELEASE_ID), which one `latest` points at, and whether a folder at such a name is one
 * this pipeline wrote — a real folder (never a symbolic link) holding exactly the regular
 * files its manifest.json lists, with their sizes and sha256s. publish (index.ts,
 * releases.ts) uses these same definitions; only node builtins and lib/durable, lib/hash
 * are imported here.
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { lstatOrNull } from '../lib/durable.js';
import { sha256Hex } from '../lib/hash.js';

/** <publishing day>-<12 hex digits of the content hash>. */
export const RELEASE_ID = /^\d{4}-\d{2}-\d{2}-[0-9a-f]{12}$/u;

/** The release `latest` points at (releases/<id>, as publish writes it), or null. */
export function latestRelease(outDir: string): string | null {
  let target: string;
  try {
    target = readlinkSync(join(outDir, 'latest'));
  } catch {
    return null;
  }
  const id = target.replace(/^releases\//u, '');
  return target.startsWith('releases/') && RELEASE_ID.test(id) ? id : null;
}

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
