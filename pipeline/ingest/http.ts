/**
 * HTTP for ingest, on node:http/https: one GET with a connect, a stall and a total
 * timeout, a size limit, redirects, conditional headers and an AbortSignal, retried
 * with exponential backoff on network errors, timeouts and 5xx — never on 4xx or on a
 * refused body (wrong Content-Type, no %PDF- magic, too large).
 *
 * PDF bodies stream into a temporary file `.ingest-<pid>-<random>.part` in the target
 * folder while being hashed; the caller renames it into place once it is verified, and
 * every failure removes it.
 */
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, openSync, rmSync, writeSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { isIP, type BlockList } from 'node:net';
import { join } from 'node:path';
import { atPath, environmentFault } from '../lib/faults.js';
import { AddressPolicyError, allowedRanges, checkAddress, guardedLookup } from './address.js';

export interface FetchLimits {
  /** Largest body accepted, in bytes. */
  maxBytes: number;
  /** Time allowed to open the TCP connection. */
  connectTimeoutMs: number;
  /** Longest silence allowed once connected (waiting for the headers or between body chunks). */
  stallTimeoutMs: number;
  /** Time allowed for one attempt, redirects included. */
  totalTimeoutMs: number;
  /** Extra attempts after a retryable failure. */
  retries: number;
  /** Delay before the first retry; doubles on each further one. */
  backoffMs: number;
  maxRedirects: number;
  /**
   * Non-public address ranges (CIDR) ingest may contact; null: those in the environment
   * variable SOUSEI_KPI_ALLOW_ADDRESSES, if any (see address.ts). Public addresses are always allowed.
   */
  allowAddresses: string[] | null;
}

export const DEFAULT_LIMITS: FetchLimits = {
  maxBytes: 50 * 1024 * 1024,
  connectTimeoutMs: 15_000,
  stallTimeoutMs: 60_000,
  totalTimeoutMs: 10 * 60_000,
  retries: 3,
  backoffMs: 5_000,
  maxRedirects: 5,
  allowAddresses: null,
};

/** HTML pages watched for new report links are small; a larger body is refused. */
const MAX_PAGE_BYTES = 5 * 1024 * 1024;

const PDF_TYPES = new Set(['application/pdf', 'application/x-pdf']);
const HTML_TYPES = new Set(['text/html', 'application/xhtml+xml']);
const USER_AGENT = 'sousei-kpi-ingest/0.1 (open-data pipeline)';

export type FetchErrorKind = 'network' | 'timeout' | 'http' | 'refused' | 'too-large' | 'aborted' | 'local';

export class FetchError extends Error {
  /** Attempts made before giving up (set by the retry loop). */
  attempts = 1;
  constructor(
    message: string,
    readonly kind: FetchErrorKind,
    readonly retryable: boolean,
    readonly status: number | null = null,
  ) {
    super(message);
    this.name = 'FetchError';
  }
}

export const abortedError = () => new FetchError('stopped (the run was cancelled)', 'aborted', false);

export interface DownloadedPdf {
  kind: 'ok';
  /** The verified body, in a temporary file beside its destination. */
  tmpPath: string;
  sha256: string;
  bytes: number;
  etag: string | null;
  lastModified: string | null;
  /** URL after redirects. */
  url: string;
  attempts: number;
}

export interface NotModified {
  kind: 'not-modified';
  url: string;
  attempts: number;
}

export interface FetchOptions {
  limits: FetchLimits;
  signal?: AbortSignal;
  /** Told before each retry. */
  onRetry?: (attempt: number, error: FetchError, delayMs: number) => void;
}

/** What a response body streams into; one per 200 response. */
interface Sink<T> {
  chunk(b: Buffer): void;
  end(): T;
  discard(): void;
}

type Hop<T> = { kind: 'redirect'; location: string } | { kind: 'not-modified' } | { kind: 'ok'; value: T; headers: http.IncomingHttpHeaders };

const mimeOf = (h: http.IncomingHttpHeaders) => (h['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
const header = (h: http.IncomingHttpHeaders, name: string): string | null => {
  const v = h[name];
  return typeof v === 'string' && v.length > 0 ? v : null;
};

function asFetchError(err: unknown): FetchError {
  if (err instanceof FetchError) return err;
  const fault = environmentFault(err, '(raw/)');
  if (fault) return new FetchError(`${fault.path}: ${fault.problem} — ${fault.hint}`, 'local', false);
  const e = err as NodeJS.ErrnoException;
  return new FetchError(`${e?.code ? `${e.code}: ` : ''}${e?.message ?? String(err)}`, 'local', false);
}

/** One request (no redirect following): resolves with its outcome or rejects with a FetchError. */
function request<T>(url: URL, headers: Record<string, string>, opts: FetchOptions, deadline: number, allowed: BlockList, open: (h: http.IncomingHttpHeaders) => Sink<T>): Promise<Hop<T>> {
  const { limits, signal } = opts;
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(abortedError());
      return;
    }
    let settled = false;
    let sink: Sink<T> | null = null;
    let stall: NodeJS.Timeout | undefined;
    let total: NodeJS.Timeout | undefined;
    let connect: NodeJS.Timeout | undefined;
    const mod = url.protocol === 'https:' ? https : http;
    const req = mod.request(url, { method: 'GET', agent: false, lookup: guardedLookup(allowed), headers: { 'user-agent': USER_AGENT, accept: 'application/pdf, text/html;q=0.5, */*;q=0.1', ...headers } });
    const done = (err: FetchError | null, value?: Hop<T>) => {
      if (settled) return;
      settled = true;
      clearTimeout(total);
      clearTimeout(connect);
      clearTimeout(stall);
      signal?.removeEventListener('abort', onAbort);
      if (err) {
        sink?.discard();
        req.destroy();
        reject(err);
      } else resolve(value!);
    };
    const onAbort = () => done(abortedError());
    signal?.addEventListener('abort', onAbort, { once: true });
    const armStall = () => {
      clearTimeout(stall);
      stall = setTimeout(() => done(new FetchError(`stalled: no data for ${limits.stallTimeoutMs} ms`, 'timeout', true)), limits.stallTimeoutMs);
    };
    total = setTimeout(() => done(new FetchError(`not complete within ${limits.totalTimeoutMs} ms`, 'timeout', true)), Math.max(0, deadline - Date.now()));
    connect = setTimeout(() => done(new FetchError(`no connection within ${limits.connectTimeoutMs} ms`, 'timeout', true)), limits.connectTimeoutMs);
    req.on('socket', (s) => {
      const connected = () => {
        clearTimeout(connect);
        armStall();
      };
      if (s.connecting) s.once('connect', connected);
      else connected();
    });
    req.on('error', (e: NodeJS.ErrnoException) => done(e instanceof AddressPolicyError ? new FetchError(e.message, 'refused', false) : new FetchError(`${e.code ? `${e.code}: ` : ''}${e.message}`, 'network', true)));
    req.on('response', (res) => {
      armStall();
      const status = res.statusCode ?? 0;
      const location = header(res.headers, 'location');
      if ([301, 302, 303, 307, 308].includes(status) && location) {
        res.resume();
        done(null, { kind: 'redirect', location });
        return;
      }
      if (status === 304) {
        res.resume();
        done(null, { kind: 'not-modified' });
        return;
      }
      if (status !== 200) {
        res.resume();
        const text = `HTTP ${status}${res.statusMessage ? ` ${res.statusMessage}` : ''}`;
        done(status >= 500 ? new FetchError(text, 'http', true, status) : new FetchError(text, 'http', false, status));
        return;
      }
      const declared = Number(res.headers['content-length'] ?? NaN);
      try {
        if (declared > limits.maxBytes) throw new FetchError(`refused: ${declared} bytes announced, over the limit of ${limits.maxBytes}`, 'too-large', false);
        sink = open(res.headers);
      } catch (err) {
        done(asFetchError(err));
        return;
      }
      let received = 0;
      let ended = false;
      res.on('data', (chunk: Buffer) => {
        if (settled) return;
        armStall();
        received += chunk.byteLength;
        if (received > limits.maxBytes) {
          done(new FetchError(`refused: more than ${limits.maxBytes} bytes`, 'too-large', false));
          return;
        }
        try {
          sink!.chunk(chunk);
        } catch (err) {
          done(asFetchError(err));
        }
      });
      res.on('end', () => {
        ended = true;
        if (Number.isFinite(declared) && received !== declared) {
          done(new FetchError(`truncated: ${received} of ${declared} bytes`, 'network', true));
          return;
        }
        try {
          done(null, { kind: 'ok', value: sink!.end(), headers: res.headers });
        } catch (err) {
          done(asFetchError(err));
        }
      });
      res.on('close', () => {
        if (!ended) done(new FetchError(`connection closed after ${received} bytes of the body`, 'network', true));
      });
    });
    req.end();
  });
}

function policyCheck(fn: () => void, redirectedTo: string | null): void {
  try {
    fn();
  } catch (err) {
    if (!(err instanceof AddressPolicyError)) throw err;
    throw new FetchError(redirectedTo ? `${err.message} (redirected to ${redirectedTo})` : err.message, 'refused', false);
  }
}

/** The non-public ranges this fetch may contact (a bad range is a refusal, not a network error). */
function addressPolicy(limits: FetchLimits): BlockList {
  let list: BlockList | null = null;
  policyCheck(() => void (list = allowedRanges(limits.allowAddresses).list), null);
  return list!;
}

/** One attempt: the request and its redirects, all within the total timeout. */
async function attempt<T>(start: string, headers: Record<string, string>, opts: FetchOptions, open: (h: http.IncomingHttpHeaders) => Sink<T>) {
  const deadline = Date.now() + opts.limits.totalTimeoutMs;
  const allowed = addressPolicy(opts.limits);
  let url = new URL(start);
  for (let hop = 0; ; hop++) {
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new FetchError(`refused: ${url.protocol} URLs are not fetched`, 'refused', false);
    const literal = url.hostname.replace(/^\[|\]$/gu, '');
    if (isIP(literal)) policyCheck(() => checkAddress(literal, literal, allowed), hop > 0 ? url.href : null);
    const r = await request(url, headers, opts, deadline, allowed, open);
    if (r.kind !== 'redirect') return { ...r, url: url.href };
    if (hop >= opts.limits.maxRedirects) throw new FetchError(`more than ${opts.limits.maxRedirects} redirects`, 'http', false);
    const next = new URL(r.location, url);
    if (url.protocol === 'https:' && next.protocol === 'http:') throw new FetchError(`refused: redirect from https to ${next.href}`, 'refused', false);
    url = next;
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(abortedError());
      return;
    }
    const onAbort = () => {
      clearTimeout(t);
      reject(abortedError());
    };
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

async function withRetries<T>(opts: FetchOptions, fn: () => Promise<T>): Promise<{ value: T; attempts: number }> {
  for (let n = 1; ; n++) {
    try {
      return { value: await fn(), attempts: n };
    } catch (e) {
      const err = opts.signal?.aborted ? abortedError() : asFetchError(e);
      err.attempts = n;
      if (!err.retryable || n > opts.limits.retries) throw err;
      const delay = opts.limits.backoffMs * 2 ** (n - 1);
      opts.onRetry?.(n, err, delay);
      await sleep(delay, opts.signal);
    }
  }
}

/** Streams a PDF body into a temporary file in `dir`, hashing it and checking the %PDF- magic. */
function pdfSink(dir: string, headers: http.IncomingHttpHeaders): Sink<{ tmpPath: string; sha256: string; bytes: number }> {
  const type = mimeOf(headers);
  if (!PDF_TYPES.has(type)) {
    throw new FetchError(`refused: Content-Type is "${headers['content-type'] ?? '(none)'}", not application/pdf — the server sent something other than the report (an error or login page?)`, 'refused', false);
  }
  const tmpPath = join(dir, `.ingest-${process.pid}-${randomBytes(6).toString('hex')}.part`);
  const fd = openSync(tmpPath, 'wx', 0o644);
  let open = true;
  const hash = createHash('sha256');
  let head = Buffer.alloc(0);
  let bytes = 0;
  const close = () => {
    if (open) {
      open = false;
      closeSync(fd);
    }
  };
  const checkMagic = (final: boolean) => {
    if (head.byteLength < 5 && !final) return;
    if (!head.subarray(0, 5).equals(Buffer.from('%PDF-'))) {
      const start = head.subarray(0, 40).toString('latin1').replace(/[^\x20-\x7e]/g, '.');
      throw new FetchError(`refused: the body does not start with %PDF- (it starts with "${start}") — not a PDF`, 'refused', false);
    }
  };
  return {
    chunk(b) {
      if (head.byteLength < 5) {
        head = Buffer.concat([head, b]);
        checkMagic(false);
      }
      hash.update(b);
      let off = 0;
      try {
        while (off < b.byteLength) off += writeSync(fd, b, off);
      } catch (err) {
        atPath(err, tmpPath); // a failed write names no path
      }
      bytes += b.byteLength;
    },
    end() {
      checkMagic(true);
      fsyncSync(fd);
      close();
      return { tmpPath, sha256: hash.digest('hex'), bytes };
    },
    discard() {
      try {
        close();
      } finally {
        rmSync(tmpPath, { force: true });
      }
    },
  };
}

/**
 * Download a PDF into a verified temporary file in `dir` (or learn that it is not
 * modified, when `conditional` headers are given and the server answers 304).
 */
export async function downloadPdf(url: string, dir: string, conditional: { etag?: string | null; lastModified?: string | null }, opts: FetchOptions): Promise<DownloadedPdf | NotModified> {
  const headers: Record<string, string> = {};
  if (conditional.etag) headers['if-none-match'] = conditional.etag;
  if (conditional.lastModified) headers['if-modified-since'] = conditional.lastModified;
  const { value: r, attempts } = await withRetries(opts, () => attempt(url, headers, opts, (h) => pdfSink(dir, h)));
  if (r.kind === 'not-modified') {
    if (!conditional.etag && !conditional.lastModified) throw Object.assign(new FetchError('HTTP 304 to a request that was not conditional', 'http', false, 304), { attempts });
    return { kind: 'not-modified', url: r.url, attempts };
  }
  return { kind: 'ok', ...r.value, etag: header(r.headers, 'etag'), lastModified: header(r.headers, 'last-modified'), url: r.url, attempts };
}

/** Fetch an HTML page (decoded with the charset it declares; Shift_JIS pages are common on municipal sites). */
export async function fetchHtml(url: string, opts: FetchOptions): Promise<{ html: string; url: string; attempts: number }> {
  const pageOpts = { ...opts, limits: { ...opts.limits, maxBytes: Math.min(opts.limits.maxBytes, MAX_PAGE_BYTES) } };
  const { value: r, attempts } = await withRetries(pageOpts, () =>
    attempt(url, {}, pageOpts, (h) => {
      if (!HTML_TYPES.has(mimeOf(h))) throw new FetchError(`refused: Content-Type is "${h['content-type'] ?? '(none)'}", not an HTML page`, 'refused', false);
      const parts: Buffer[] = [];
      return {
        chunk: (b) => void parts.push(b),
        end: () => decodeHtml(Buffer.concat(parts), h['content-type'] ?? ''),
        discard: () => void (parts.length = 0),
      };
    }),
  );
  if (r.kind !== 'ok') throw new FetchError('HTTP 304 to a request that was not conditional', 'http', false, 304);
  return { html: r.value, url: r.url, attempts };
}

function decodeHtml(body: Buffer, contentType: string): string {
  const declared = /charset\s*=\s*["']?([\w-]+)/i.exec(contentType)?.[1] ?? /<meta[^>]+charset\s*=\s*["']?([\w-]+)/i.exec(body.subarray(0, 4096).toString('latin1'))?.[1];
  try {
    return new TextDecoder(declared ?? 'utf-8').decode(body);
  } catch {
    return new TextDecoder('utf-8').decode(body);
  }
}
