/**
 * The report of one run: OUT/runs/<timestamp>-<id>.jsonl (one JSON object per event,
 * appended as the run goes, so a crash still leaves its beginning) and, at the end,
 * OUT/runs/<timestamp>-<id>.txt, a short summary for people (written atomically).
 */
import { randomBytes } from 'node:crypto';
import { appendFileSync, mkdirSync } from 'node:fs';
import { writeFileAtomic } from '../lib/durable.js';
import { join } from 'node:path';

export type Level = 'info' | 'warn' | 'error';

export class RunLog {
  readonly id: string;
  readonly name: string;
  readonly jsonl: string;
  readonly txt: string;

  constructor(
    readonly dir: string,
    readonly startedAt = new Date(),
    private readonly echo?: (level: Level, event: string, data: Record<string, unknown>) => void,
  ) {
    mkdirSync(dir, { recursive: true });
    this.id = randomBytes(3).toString('hex');
    // 20251001T060000123Z-<id>: sorts in start order (to the millisecond) with plain `ls`.
    this.name = `${startedAt.toISOString().replace(/[-:.]/g, '')}-${this.id}`;
    this.jsonl = join(dir, `${this.name}.jsonl`);
    this.txt = join(dir, `${this.name}.txt`);
  }

  event(level: Level, event: string, data: Record<string, unknown> = {}): void {
    appendFileSync(this.jsonl, `${JSON.stringify({ ts: new Date().toISOString(), run: this.name, level, event, ...data })}\n`);
    this.echo?.(level, event, data);
  }

  writeSummary(text: string): void {
    writeFileAtomic(this.txt, text.endsWith('\n') ? text : `${text}\n`);
  }
}
