/**
 * Progress of a run on stderr: a bar (cli-progress) when stderr is a terminal,
 * one plain line per report otherwise, nothing with --quiet.
 */
import type { SingleBar } from 'cli-progress';
import { cliProgress } from '../lib/lazy.js';

export interface Progress {
  /** Per-stage log lines go through here: shown as plain lines, or hidden behind the bar. */
  log: ((stage: string, message: string) => void) | undefined;
  update(done: number, total: number, file: string): void;
  stop(): void;
}

export function createProgress(opts: { quiet: boolean; tty: boolean; stream?: NodeJS.WriteStream }): Progress {
  const stream = opts.stream ?? process.stderr;
  if (opts.quiet) return { log: undefined, update() {}, stop() {} };
  if (!opts.tty) {
    return {
      log: (stage, msg) => stream.write(`[${stage}] ${msg}\n`),
      update: (done, total, file) => stream.write(`[progress] ${done}/${total} ${file}\n`),
      stop() {},
    };
  }
  let bar: SingleBar | null = null;
  return {
    // Behind a bar the per-stage lines would scroll it away; failures are printed at the end anyway.
    log: undefined,
    update(done, total, file) {
      if (!bar) {
        const { SingleBar: Bar, Presets } = cliProgress();
        bar = new Bar({ stream, format: 'reports {bar} {value}/{total} | {file}', hideCursor: true, clearOnComplete: false, barsize: 30 }, Presets.shades_classic);
        bar.start(total, 0, { file: '' });
      }
      bar.update(done, { file });
    },
    stop() {
      bar?.stop();
    },
  };
}
