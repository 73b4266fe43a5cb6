/**
 * The run lock: one file holding the pid, host and start time of the run that owns
 * raw/ and the output folder. It is created complete or not at all (written to a
 * temporary name, then hard-linked into place, which fails if the lock exists). A lock
 * is stale — and taken over — when its process is gone (same host) or it is older than
 * a maximum age, so a crashed run cannot block the next ones forever.
 */
import { randomBytes } from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';

export interface LockInfo {
  pid: number;
  hostname: string;
  started_at: string;
  purpose: string;
  token: string;
}

export type LockResult =
  | { ok: true; info: LockInfo; release(): void; tookOver: string | null }
  | { ok: false; holder: LockInfo | null };

export const DEFAULT_LOCK_MAX_AGE_MS = 6 * 3600 * 1000;

/** The run lock of an output folder: taken by `run`, `ingest` and every scheduled run. */
export const runLockPath = (outDir: string) => join(outDir, 'runs', 'lock');

import { processAlive as pidAlive } from '../lib/durable.js';

export function readLock(path: string): LockInfo | null {
  try {
    const v = JSON.parse(readFileSync(path, 'utf8')) as Partial<LockInfo>;
    if (typeof v.pid === 'number' && typeof v.started_at === 'string' && typeof v.token === 'string') {
      return { pid: v.pid, hostname: String(v.hostname ?? ''), started_at: v.started_at, purpose: String(v.purpose ?? ''), token: v.token };
    }
  } catch {
    /* missing or unreadable */
  }
  return null;
}

/** Why a lock is stale, or null when its owner may still be running. */
export function staleReason(holder: LockInfo | null, maxAgeMs: number, now = Date.now()): string | null {
  if (!holder) return 'unreadable lock file';
  if (holder.hostname === hostname() && !pidAlive(holder.pid)) return `process ${holder.pid} is not running`;
  const age = now - Date.parse(holder.started_at);
  if (!(age <= maxAgeMs)) return `held since ${holder.started_at}, longer than the maximum of ${Math.round(maxAgeMs / 1000)} s`;
  return null;
}

export function acquireLock(path: string, opts: { purpose: string; maxAgeMs?: number; now?: Date }): LockResult {
  const maxAgeMs = opts.maxAgeMs ?? DEFAULT_LOCK_MAX_AGE_MS;
  mkdirSync(dirname(path), { recursive: true });
  const info: LockInfo = { pid: process.pid, hostname: hostname(), started_at: (opts.now ?? new Date()).toISOString(), purpose: opts.purpose, token: randomBytes(8).toString('hex') };
  let tookOver: string | null = null;
  for (let attempt = 0; attempt < 3; attempt++) {
    const tmp = `${path}.${process.pid}.${info.token}.tmp`;
    writeFileSync(tmp, `${JSON.stringify(info)}\n`, { mode: 0o644 });
    try {
      linkSync(tmp, path);
      rmSync(tmp, { force: true });
      const release = () => {
        if (readLock(path)?.token === info.token) rmSync(path, { force: true });
      };
      return { ok: true, info, release, tookOver };
    } catch (err) {
      rmSync(tmp, { force: true });
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const holder = readLock(path);
    const reason = staleReason(holder, maxAgeMs);
    if (!reason) return { ok: false, holder };
    // Move the stale lock aside, then check it is the one judged stale (another process may have replaced it meanwhile).
    const aside = `${path}.stale.${process.pid}.${info.token}`;
    try {
      renameSync(path, aside);
    } catch {
      continue; // gone already: try again
    }
    const moved = readLock(aside);
    if (holder && moved?.token !== holder.token) {
      try {
        linkSync(aside, path); // a fresh lock of someone else: put it back
      } catch {
        /* the lock was taken again meanwhile; that owner keeps it */
      }
      rmSync(aside, { force: true });
      return { ok: false, holder: moved };
    }
    rmSync(aside, { force: true });
    tookOver = `took over a stale lock (${reason})`;
  }
  return { ok: false, holder: readLock(path) };
}
