/**
 * Starting extraction worker processes (worker.ts), and one started early: the CLI
 * forks the first worker before it loads its own modules, so the worker's pdf.js load
 * (~0.3 s) overlaps the CLI's start instead of following it. The pool adopts that
 * worker when it needs its first one. Kept apart from pool.ts so main.ts can do this
 * without loading the rest of the pipeline first.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ROOT } from '../lib/paths.js';

/** Default memory limit of one worker in MiB (the pool's DEFAULT_LIMITS.maxMemoryMb). */
export const DEFAULT_WORKER_MEMORY_MB = 1024;

/** The compiled worker script (the pool may itself run from the TypeScript sources under vitest). */
export function workerScript(): string {
  const here = fileURLToPath(import.meta.url);
  if (here.endsWith('.js')) return join(dirname(here), 'worker.js');
  const built = join(ROOT, 'dist', 'pipeline', 'extract', 'worker.js');
  if (!existsSync(built)) throw new Error(`the extraction worker ${built} is missing: run \`npm run build\` first`);
  return built;
}

/** The V8 flags of a worker with a heap limit of `maxMemoryMb` (the bench runs its machine-ceiling processes with them too). */
export function workerExecArgv(maxMemoryMb: number): string[] {
  return [
    `--max-old-space-size=${maxMemoryMb}`,
    // Single-threaded GC: V8's parallel GC helpers in every worker compete with the other
    // workers for the same cores; on 2 cores a batch runs about 20% faster without them.
    '--single-threaded-gc',
    // A young generation of 16 MiB from the start: reading a report allocates fast, and with
    // V8's default (1 MiB, grown on demand) a cold worker spends about a tenth of its first
    // document in scavenges (issue 15: cold start).
    '--min-semi-space-size=16',
    // Compile each function to baseline code on its first call, with its feedback vector at
    // once, instead of interpreting it until it is found hot: pdf.js's first document in a
    // fresh worker is read about a tenth faster, and a warm worker no slower (issue 15).
    '--always-sparkplug',
    '--no-lazy-feedback-allocation',
  ];
}

/** Fork one worker with a V8 heap limit of `maxMemoryMb`. */
export function forkWorker(maxMemoryMb: number): ChildProcess {
  return fork(workerScript(), [], {
    execArgv: workerExecArgv(maxMemoryMb),
    serialization: 'advanced',
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
}

/** A worker forked before the pool existed, with what it said until the pool adopts it. */
export interface Prestarted {
  child: ChildProcess;
  maxMemoryMb: number;
  /** It sent { ready: true } (pdf.js is loaded). */
  ready: boolean;
  exited: boolean;
  stderr: string;
  /** Remove the listeners that collected the above (the pool attaches its own). */
  detach(): void;
}

let early: Prestarted | null = null;

/** Fork a worker now, for the pool created later to adopt (takePrestarted). It never keeps the process alive on its own. */
export function prestartWorker(maxMemoryMb = DEFAULT_WORKER_MEMORY_MB): void {
  if (early) return;
  let child: ChildProcess;
  try {
    child = forkWorker(maxMemoryMb);
  } catch {
    return; // the pool will try again, and report what goes wrong
  }
  const p: Prestarted = { child, maxMemoryMb, ready: false, exited: false, stderr: '', detach: () => {} };
  const onMessage = (msg: unknown) => {
    if (typeof msg === 'object' && msg !== null && 'ready' in msg) p.ready = true;
  };
  const onData = (s: string) => {
    p.stderr = (p.stderr + s).slice(-4000);
  };
  const onExit = () => {
    p.exited = true;
  };
  const onError = () => {
    p.exited = true;
  };
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', onData);
  child.on('message', onMessage);
  child.on('exit', onExit);
  child.on('error', onError);
  p.detach = () => {
    child.stderr?.off('data', onData);
    child.off('message', onMessage);
    child.off('exit', onExit);
    child.off('error', onError);
  };
  child.unref();
  child.channel?.unref();
  early = p;
}

/** The early worker, if there is one that is alive and has the same memory limit (else it is stopped). */
export function takePrestarted(maxMemoryMb: number): Prestarted | null {
  const p = early;
  early = null;
  if (!p) return null;
  p.detach();
  if (p.exited || p.maxMemoryMb !== maxMemoryMb) {
    if (!p.exited) p.child.kill('SIGKILL');
    return null;
  }
  return p;
}

/** Process id of the early worker not yet taken (diagnostics and tests). */
export function prestartedPid(): number | undefined {
  return early?.child.pid;
}

/** Stop the early worker if no pool took it (e.g. every extraction came from the cache). */
export function dropPrestarted(): void {
  const p = early;
  early = null;
  if (!p) return;
  p.detach();
  if (!p.exited) p.child.kill('SIGKILL');
}
