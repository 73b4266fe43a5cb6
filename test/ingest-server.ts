/**
 * Test support for the ingest and schedule tests: a real HTTP server on 127.0.0.1 whose
 * routes can misbehave on purpose, and a temporary raw/ folder holding the real H28
 * report with a registry that points at the server.
 */
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const ROOT = join(import.meta.dirname, '..');

/**
 * The servers here listen on 127.0.0.1, which ingest refuses by default (only public
 * addresses are contacted, see pipeline/ingest/address.ts): the tests that use them opt in
 * to loopback, as a deployment would for an internal server. Child processes inherit it.
 * test/ingest-policy.test.ts checks the default refusal explicitly.
 */
export const LOOPBACK_ALLOWED = '127.0.0.0/8';
process.env.SOUSEI_KPI_ALLOW_ADDRESSES = LOOPBACK_ALLOWED;
export const REAL_PDF = readFileSync(join(ROOT, 'raw', 'kurume-sousei-h28-progress.pdf'));
export const REAL_SHA = '4ab504eaacc91d16cd7ed245896860b6d385300c7f8f293da224d026614472b0';
/** The real report with a comment appended after %%EOF: still a valid PDF, different bytes. */
export const CHANGED_PDF = Buffer.concat([REAL_PDF, Buffer.from('\n% corrected edition\n')]);

export interface Hit {
  path: string;
  headers: http.IncomingHttpHeaders;
}

export type Handler = (req: http.IncomingMessage, res: http.ServerResponse, n: number) => void;

export interface TestServer {
  url(path: string): string;
  hits: Hit[];
  count(path: string): number;
  route(path: string, handler: Handler): void;
  close(): Promise<void>;
}

export async function startServer(routes: Record<string, Handler> = {}): Promise<TestServer> {
  const table = new Map(Object.entries(routes));
  const hits: Hit[] = [];
  const sockets = new Set<Socket>();
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    hits.push({ path, headers: req.headers });
    const h = table.get(path);
    if (!h) {
      res.writeHead(404, { 'content-type': 'text/html' }).end('<h1>404</h1>');
      return;
    }
    h(req, res, hits.filter((x) => x.path === path).length);
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: (path) => `http://127.0.0.1:${port}${path}`,
    hits,
    count: (path) => hits.filter((h) => h.path === path).length,
    route: (path, handler) => void table.set(path, handler),
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Serve a PDF with an ETag and Last-Modified, answering 304 to a matching If-None-Match. */
export function pdfRoute(body: Buffer, etag: string, lastModified = 'Mon, 03 Oct 2016 01:00:00 GMT'): Handler {
  return (req, res) => {
    if (req.headers['if-none-match'] === etag) {
      res.writeHead(304, { etag }).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/pdf', 'content-length': body.byteLength, etag, 'last-modified': lastModified }).end(body);
  };
}

/** Headers and the first 64 KB, then nothing, forever (until the server closes). */
export const stallRoute: Handler = (_req, res) => {
  res.writeHead(200, { 'content-type': 'application/pdf', 'content-length': REAL_PDF.byteLength });
  res.write(REAL_PDF.subarray(0, 65536));
};

export interface RawDir {
  dir: string;
  raw: string;
  out: string;
  sourcesPath: string;
  sources(): { reports: Array<Record<string, unknown>> };
  /** Names in raw/, sorted. */
  files(): string[];
  cleanup(): void;
}

/** A temporary project: raw/ with the real report, indicators.json and a registry whose report has `url`. */
export function makeRaw(entry: Record<string, unknown> = {}): RawDir {
  const dir = mkdtempSync(join(tmpdir(), 'sousei-ingest-'));
  const raw = join(dir, 'raw');
  const out = join(dir, 'out');
  mkdirSync(raw);
  copyFileSync(join(ROOT, 'raw', 'kurume-sousei-h28-progress.pdf'), join(raw, 'kurume-sousei-h28-progress.pdf'));
  chmodSync(join(raw, 'kurume-sousei-h28-progress.pdf'), 0o644);
  copyFileSync(join(ROOT, 'raw', 'indicators.json'), join(raw, 'indicators.json'));
  const base = JSON.parse(readFileSync(join(ROOT, 'raw', 'sources.json'), 'utf8')) as { reports: Array<Record<string, unknown>> };
  base.reports = [{ ...base.reports[0]!, ...entry }];
  const sourcesPath = join(raw, 'sources.json');
  writeFileSync(sourcesPath, `${JSON.stringify(base, null, 2)}\n`);
  return {
    dir,
    raw,
    out,
    sourcesPath,
    sources: () => JSON.parse(readFileSync(sourcesPath, 'utf8')) as { reports: Array<Record<string, unknown>> },
    files: () => readdirSync(raw).sort(),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
