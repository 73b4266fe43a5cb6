/**
 * Durable file writes shared by publishing, the registries and the scheduler:
 * data is flushed to disk before it is renamed into place, so a crash leaves
 * either the old file or the new one, never a half-written one.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, lstatSync, openSync, renameSync, rmSync, writeFileSync, writeSync, type Stats } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { atPath } from './faults.js';

/** Create `path` (it must not exist), write `data` and flush it. */
export function writeFileDurable(path: string, data: Buffer | string): void {
  const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  const fd = openSync(path, 'wx', 0o644);
  try {
    let off = 0;
    while (off < buf.byteLength) off += writeSync(fd, buf, off);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Flush a directory's entries (renames) to disk, where the file system allows it. */
export function fsyncDir(dir: string): void {
  try {
    const fd = openSync(dir, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    /* not every file system can fsync a directory */
  }
}

/** Replace `path` atomically: write a temporary file beside it, flush, rename, flush the directory. */
export function writeFileAtomic(path: string, data: Buffer | string): void {
  const tmp = join(dirname(path), `.${basename(path)}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    writeFileDurable(tmp, data);
    renameSync(tmp, path);
    fsyncDir(dirname(path));
  } catch (err) {
    rmSync(tmp, { force: true });
    atPath(err, path); // a failed write names no path
  }
}

/**
 * Replace `path` atomically but without flushing: readers see the old file or the whole
 * new one, never a part. For data that can be rebuilt (the extraction cache), where an
 * fsync per file would cost more than it protects; a crash may lose the file, not corrupt it
 * as far as any reader can tell, and readers verify a checksum anyway.
 */
export function writeFileReplace(path: string, data: Buffer): void {
  const tmp = join(dirname(path), `.${basename(path)}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    writeFileSync(tmp, data, { flag: 'wx', mode: 0o644 });
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}

/** Whether a process id belongs to a running process (EPERM: it exists but is not ours). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** lstat of a path, or null when nothing is there (links are not followed; other errors are thrown). */
export function lstatOrNull(path: string): Stats | null {
  try {
    return lstatSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}
