/**
 * A pool of extraction worker processes: each PDF is parsed in a child process
 * (worker.ts) with a wall-clock timeout, a memory cap and page/byte limits, so a
 * document that hangs, exhausts memory or crashes its worker becomes an error for
 * that file only; the worker is replaced and the other files go on.
 *
 * Child processes rather than worker_threads: a worker thread's resourceLimits
 * cap only the V8 heap, but pdf.js keeps decoded streams and images in
 * ArrayBuffers outside it, so an inflate bomb in a thread can still take the
 * whole process down, and a native crash or abort always does. A child process
 * is killed with SIGKILL whatever it is doing, its memory is watched as a whole
 * (resident set, Linux) besides the V8 heap limit, and the operating system
 * reclaims everything it held.
 *
 * Workers start on demand, up to `size` (default: the number of CPUs), so a run
 * with fewer files starts fewer workers; each loads pdf.js once and reads many files.
 */
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { PdfInputError, type ExtractedReport } from './index.js';
import { DEFAULT_MAX_BYTES } from './pool-options.js';
import { DEFAULT_WORKER_MEMORY_MB, forkWorker, takePrestarted, workerScript } from './spawn.js';
import type { ExtractProfile, WorkerReply, WorkerRequest } from './worker.js';

export interface ExtractLimits {
  /** Wall-clock time one document may take in a worker, in ms. */
  timeoutMs: number;
  /** Memory of one worker in MiB: the V8 heap limit, and the resident-set size at which it is stopped (Linux). */
  maxMemoryMb: number;
  /** Most pages a document may have. */
  maxPages: number;
  /** Largest file in bytes. */
  maxBytes: number;
}

export const DEFAULT_LIMITS: Readonly<ExtractLimits> = Object.freeze({
  timeoutMs: 120_000,
  maxMemoryMb: DEFAULT_WORKER_MEMORY_MB,
  maxPages: 500,
  maxBytes: DEFAULT_MAX_BYTES,
});

export interface PoolOptions {
  /** Most workers at once (default: os.availableParallelism()). */
  size?: number;
  limits?: Partial<ExtractLimits>;
}

export interface ExtractPool {
  /** Extract one document in a worker. Bad input, a limit or a crash rejects with PdfInputError. */
  extract(data: Uint8Array, file: string): Promise<ExtractedReport>;
  /** Stop all workers; extractions still queued or running are rejected. */
  close(): Promise<void>;
  readonly size: number;
  readonly limits: Readonly<ExtractLimits>;
  /** Process ids of the running workers (diagnostics and tests). */
  pids(): number[];
  /**
   * Documents read so far, the time workers spent on them (from sending a document to its
   * answer), in ms, and where the workers' time went (summed over the documents read).
   */
  stats(): { documents: number; busyMs: number; profile: ExtractProfile };
}

interface Task {
  id: number;
  /** When the task was sent to a worker (performance.now()). */
  sentAt?: number;
  file: string;
  data: Uint8Array;
  resolve: (r: ExtractedReport) => void;
  reject: (e: Error) => void;
}

interface Worker {
  child: ChildProcess;
  /** pdf.js is loaded and the worker takes work. */
  ready: boolean;
  task: Task | null;
  /** Last lines the worker wrote to stderr (for crash messages). */
  stderr: string;
  timer: NodeJS.Timeout | null;
  watch: NodeJS.Timeout | null;
}

const RSS_POLL_MS = 100;
/** Longest a worker may take to start and load pdf.js (at least; the document timeout if longer). */
const STARTUP_MS = 60_000;

/** Resident set of a process in MiB, or null where /proc is not available. */
function residentMb(pid: number): number | null {
  try {
    const m = /^VmRSS:\s+(\d+)\s+kB/mu.exec(readFileSync(`/proc/${pid}/status`, 'latin1'));
    return m ? Number(m[1]) / 1024 : null;
  } catch {
    return null;
  }
}

function limitErrors(limits: ExtractLimits) {
  return {
    timeout: () =>
      new PdfInputError(
        `reading the PDF took longer than the limit of ${limits.timeoutMs / 1000} s and was stopped`,
        'the file may be malformed or hostile (e.g. a decompression bomb); check it, or raise the limit with --timeout',
      ),
    memory: () =>
      new PdfInputError(
        `reading the PDF needed more than the memory limit of ${limits.maxMemoryMb} MiB and was stopped`,
        'the file may be malformed or hostile (e.g. a decompression bomb); check it, or raise the limit with --max-memory',
      ),
  };
}

export function createExtractPool(opts: PoolOptions = {}): ExtractPool {
  const limits: ExtractLimits = { ...DEFAULT_LIMITS, ...opts.limits };
  const size = Math.max(1, Math.floor(opts.size ?? availableParallelism()));
  workerScript(); // fails now, not at the first document, when the worker is not built
  const errors = limitErrors(limits);
  const workers: Worker[] = [];
  const queue: Task[] = [];
  let nextId = 1;
  let closed = false;
  let documents = 0;
  let busyMs = 0;
  const profile: ExtractProfile = { total: 0, text: 0, operators: 0, otherRead: 0, analysis: 0 };

  const stopTimers = (w: Worker) => {
    if (w.timer) clearTimeout(w.timer);
    if (w.watch) clearInterval(w.watch);
    w.timer = w.watch = null;
  };

  /** The worker is finished with: its task (if any) fails with `error`, a later task gets a new worker. */
  const discard = (w: Worker, error: Error | null) => {
    const i = workers.indexOf(w);
    if (i >= 0) workers.splice(i, 1);
    stopTimers(w);
    // A worker that dies before it is ready would be replaced by one that dies too: fail the next file instead of looping.
    const task = w.task ?? (w.ready ? null : (queue.shift() ?? null));
    w.task = null;
    if (w.child.exitCode === null && w.child.signalCode === null) {
      w.child.ref(); // so that whoever waits for its exit (close()) is not left behind by an idle event loop
      w.child.kill('SIGKILL');
    }
    if (task) task.reject(error ?? new Error('the extraction worker stopped'));
    pump();
  };

  const crashError = (w: Worker, code: number | null, signal: NodeJS.Signals | null): Error => {
    if (/heap out of memory|Allocation failed|Array buffer allocation failed/iu.test(w.stderr)) return errors.memory();
    const last = w.stderr.trim().split('\n').filter((l) => l.trim()).at(-1)?.trim();
    return new PdfInputError(
      `the PDF reader stopped unexpectedly (${signal ? `signal ${signal}` : `exit code ${code}`})${last ? `: ${last.slice(0, 300)}` : ''}`,
      'the file may be damaged in a way that crashes pdf.js; try again, and report it with the file if it happens again',
    );
  };

  const spawn = (): Worker => {
    // The worker the CLI started before loading its modules (spawn.ts), when there is one.
    const early = takePrestarted(limits.maxMemoryMb);
    const child = early?.child ?? forkWorker(limits.maxMemoryMb);
    const w: Worker = { child, ready: false, task: null, stderr: early?.stderr ?? '', timer: null, watch: null };
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (s: string) => {
      w.stderr = (w.stderr + s).slice(-4000);
    });
    child.on('message', (msg: WorkerReply) => {
      if ('ready' in msg) {
        stopTimers(w);
        w.ready = true;
        idle(w);
        return pump();
      }
      const task = w.task;
      if (!task || msg.id !== task.id) return;
      stopTimers(w);
      w.task = null;
      idle(w);
      documents++;
      busyMs += performance.now() - (task.sentAt ?? performance.now());
      if (msg.ok) {
        for (const k of Object.keys(profile) as Array<keyof ExtractProfile>) profile[k] += msg.profile[k];
        task.resolve(msg.report);
      }
      else {
        const { name, message, hint } = msg.error;
        const err = name === 'PdfInputError' && hint !== null ? new PdfInputError(message, hint) : Object.assign(new Error(message), { name });
        task.reject(err);
      }
      pump();
    });
    child.on('exit', (code, signal) => {
      if (!workers.includes(w)) return;
      if (w.task) discard(w, crashError(w, code, signal));
      else if (!w.ready) discard(w, new Error(`the extraction worker could not start (${signal ? `signal ${signal}` : `exit code ${code}`}): ${w.stderr.trim().split('\n').at(-1) ?? ''}`));
      else discard(w, null);
    });
    child.on('error', (err) => {
      // Failed to start, or could not be signalled or sent to: this worker is of no further use.
      if (workers.includes(w)) discard(w, new Error(`extraction worker: ${err.message}`));
    });
    workers.push(w);
    if (early?.ready) {
      w.ready = true;
      idle(w);
      return w;
    }
    if (early) {
      // It was started unreferenced; until it is ready, a file waits for it.
      child.ref();
      child.channel?.ref();
    }
    // A worker that never gets ready (pdf.js stuck loading) must not hold the queue forever.
    const startLimit = Math.max(limits.timeoutMs, STARTUP_MS);
    w.timer = setTimeout(() => {
      if (!w.ready && workers.includes(w)) discard(w, new Error(`the extraction worker did not start within ${startLimit / 1000} s`));
    }, startLimit);
    return w;
  };

  /** Idle workers must not keep the process alive. */
  const idle = (w: Worker) => {
    w.child.unref();
    w.child.channel?.unref();
  };

  const start = (w: Worker, task: Task) => {
    w.task = task;
    task.sentAt = performance.now();
    w.child.ref();
    w.child.channel?.ref();
    const req: WorkerRequest = { id: task.id, file: task.file, data: task.data, maxPages: limits.maxPages, maxBytes: limits.maxBytes };
    w.child.send(req, (err) => {
      if (err && w.task === task) discard(w, new Error(`extraction worker: ${err.message}`));
    });
    w.timer = setTimeout(() => {
      if (w.task === task) discard(w, errors.timeout());
    }, limits.timeoutMs);
    w.watch = setInterval(() => {
      const pid = w.child.pid;
      const rss = pid === undefined ? null : residentMb(pid);
      if (w.task === task && rss !== null && rss > limits.maxMemoryMb) discard(w, errors.memory());
    }, RSS_POLL_MS);
    w.watch.unref();
  };

  const pump = () => {
    while (!closed && queue.length > 0) {
      const w = workers.find((x) => x.ready && x.task === null);
      if (w) start(w, queue.shift()!);
      else {
        // Start another worker if the ones starting up are fewer than the files waiting; it pumps when ready.
        const starting = workers.filter((x) => !x.ready).length;
        if (workers.length < size && starting < queue.length) spawn();
        else return;
      }
    }
  };

  return {
    size,
    limits,
    extract(data, file) {
      return new Promise<ExtractedReport>((resolve, reject) => {
        if (closed) return reject(new Error('the extraction pool is closed'));
        queue.push({ id: nextId++, file, data, resolve, reject });
        pump();
      });
    },
    async close() {
      closed = true;
      for (const t of queue.splice(0)) t.reject(new Error('the extraction pool was closed'));
      const exits = workers.map((w) => (w.child.exitCode !== null || w.child.signalCode !== null ? Promise.resolve() : new Promise<void>((r) => w.child.once('exit', () => r()))));
      for (const w of [...workers]) discard(w, new Error('the extraction pool was closed'));
      await Promise.all(exits);
    },
    pids: () => workers.map((w) => w.child.pid).filter((p): p is number => p !== undefined),
    stats: () => ({ documents, busyMs, profile: { ...profile } }),
  };
}

export { poolOptionsFromArgs, type LimitArgs } from './pool-options.js';
