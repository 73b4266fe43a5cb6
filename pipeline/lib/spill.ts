/**
 * Records of a run kept on disk until they are published: one JSON file per
 * report in a private temporary folder (removed when the run ends), so a run's
 * memory does not grow with the number of reports. Folders left by a run that
 * was killed are removed by the next run (their name carries the pid).
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { processAlive } from './durable.js';

const PREFIX = 'sousei-kpi-run-';

export class Spill<T> {
  readonly dir: string;
  private count = 0;

  constructor(base = tmpdir()) {
    for (const n of safeList(base)) {
      const m = new RegExp(`^${PREFIX}(\\d+)-`, 'u').exec(n);
      if (m && Number(m[1]) !== process.pid && !processAlive(Number(m[1]))) rmSync(join(base, n), { recursive: true, force: true });
    }
    this.dir = join(base, `${PREFIX}${process.pid}-${randomBytes(4).toString('hex')}`);
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
  }

  /** Write a value; the function returned reads it back (as JSON: plain data only). */
  put(value: T): () => T {
    const path = join(this.dir, `${this.count++}.json`);
    writeFileSync(path, JSON.stringify(value));
    return () => JSON.parse(readFileSync(path, 'utf8')) as T;
  }

  close(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function safeList(dir: string): string[] {
  try {
    return readdirSync(dir).filter((n) => n.startsWith(PREFIX));
  } catch {
    return [];
  }
}
