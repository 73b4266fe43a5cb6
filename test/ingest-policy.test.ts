/**
 * Hostile servers and pages (issue 14, items 1 and 9), on 127.0.0.1 only:
 * - watched pages are parsed in linear time with bounded work, and a SIGTERM stops
 *   `ingest` while it scans a hostile page (the old regular expression held the process
 *   for hours on a 5 MB page of unclosed `<a ` tags);
 * - ingest contacts public addresses only unless a range is allowed: loopback is refused
 *   by default (by IP, by host name after DNS, after a redirect) and reached once
 *   allowed; link-local and private targets of a redirect are refused before connecting.
 */
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ingestCommand } from '../pipeline/cli/cmd-ingest.js';
import { ALLOW_ENV, nonPublicKind } from '../pipeline/ingest/address.js';
import { ingest } from '../pipeline/ingest/index.js';
import { extractLinks, extractLinksAsync, LINK_LIMITS } from '../pipeline/ingest/links.js';
import { makeRaw, pdfRoute, REAL_PDF, ROOT, startServer, type RawDir, type TestServer } from './ingest-server.js';

const CLI = join(ROOT, 'dist/pipeline/cli/main.js');
const FAST = { retries: 0, connectTimeoutMs: 2000, stallTimeoutMs: 2000, totalTimeoutMs: 10_000 };
/** 4.5 MiB (under the 5 MiB page limit) of `<a ` without a closing `>`: quadratic for a regular expression. */
const HOSTILE_PAGE = `<html><body><a href="/real.pdf">本物</a>${'<a '.repeat(1.5 * 1024 * 1024)}</body></html>`;

let server: TestServer;
let t: RawDir;

beforeEach(async () => {
  server = await startServer({ '/report.pdf': pdfRoute(REAL_PDF, '"a"') });
  t = makeRaw({ url: server.url('/report.pdf') });
});
afterEach(async () => {
  await server.close();
  t.cleanup();
});

function setEntry(patch: Record<string, unknown>) {
  const s = t.sources();
  Object.assign(s.reports[0]!, patch);
  writeFileSync(t.sourcesPath, JSON.stringify(s));
}

describe('link extraction on hostile pages', () => {
  it('reads a 4.5 MiB page of unclosed <a tags in one pass and keeps its real link', () => {
    expect(HOSTILE_PAGE.length).toBeGreaterThan(4_500_000);
    expect(extractLinks(HOSTILE_PAGE, 'http://127.0.0.1:1/p.html')).toEqual([{ url: 'http://127.0.0.1:1/real.pdf', text: '本物' }]);
  });

  it('keeps at most LINK_LIMITS.maxLinks links and bounds a link text', () => {
    const many = Array.from({ length: LINK_LIMITS.maxLinks + 50 }, (_, i) => `<a href="/r${i}.pdf">${i === 0 ? 'x'.repeat(10_000) : i}</a>`).join('');
    const links = extractLinks(many, 'http://127.0.0.1:1/');
    expect(links.length).toBe(LINK_LIMITS.maxLinks);
    expect(links[0]!.text.length).toBe(LINK_LIMITS.maxTextChars);
    expect(links.at(-1)!.url).toBe(`http://127.0.0.1:1/r${LINK_LIMITS.maxLinks - 1}.pdf`);
  });

  it('skips scripts, styles and comments, resolves against <base>, and separates words at tags', () => {
    const html = `<a href="a.pdf">A<br>B</a><script>document.write('<a href="s.pdf">s</a>')</script><style>a{}</style><!-- <a href="c.pdf">c</a> --><base href="http://127.0.0.1:2/d/"><A HREF='b.pdf?x=1&amp;y=2'>b</A>`;
    expect(extractLinks(html, 'http://127.0.0.1:1/')).toEqual([
      { url: 'http://127.0.0.1:2/d/a.pdf', text: 'A B' },
      { url: 'http://127.0.0.1:2/d/b.pdf?x=1&y=2', text: 'b' },
    ]);
  });

  it('the async scan yields between slices and stops when its check throws', async () => {
    let checks = 0;
    const stop = new Error('stop');
    await expect(
      extractLinksAsync(HOSTILE_PAGE, 'http://127.0.0.1:1/', () => {
        if (++checks === 5) throw stop;
      }),
    ).rejects.toBe(stop);
    expect(checks).toBe(5);
    checks = 0;
    const links = await extractLinksAsync(HOSTILE_PAGE, 'http://127.0.0.1:1/', () => void checks++);
    expect(links.map((l) => l.url)).toEqual(['http://127.0.0.1:1/real.pdf']);
    expect(checks).toBeGreaterThan(HOSTILE_PAGE.length / LINK_LIMITS.sliceChars);
  });

  it('SIGTERM stops `sousei-kpi ingest` while it scans a hostile page: ABORTED, exit 1', async () => {
    let served = false;
    let closed!: () => void;
    const pageClosed = new Promise<void>((r) => (closed = r));
    server.route('/page.html', (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.socket?.once('close', () => closed());
      res.end(HOSTILE_PAGE, () => void (served = true));
    });
    setEntry({ page_url: server.url('/page.html') });
    const proc = spawn(process.execPath, [CLI, 'ingest', '--raw', t.raw, '--out', t.out, '--retries', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    proc.stdout.on('data', (b: Buffer) => (out += b.toString()));
    const exit = new Promise<number | null>((r) => proc.on('exit', (code) => r(code)));
    await pageClosed; // the client has read the whole page and closed the connection: it is scanning now
    expect(served).toBe(true);
    proc.kill('SIGTERM');
    const timeout = new Promise<'hung'>((r) => setTimeout(() => r('hung'), 20_000).unref());
    const code = await Promise.race([exit, timeout]);
    if (code === 'hung') proc.kill('SIGKILL');
    expect(code, 'exit status after SIGTERM (hung: still scanning after 20 s)').toBe(1);
    const report = readFileSync(/^Report: (.+)$/m.exec(out)![1]!, 'utf8');
    expect(report).toMatch(/ingest run .*: ABORTED/);
    expect(report).not.toMatch(/refused|page .*:/); // the page was read whole, not refused
  }, 40_000);
});

describe('outbound address policy', () => {
  it('classifies addresses: loopback, private, link-local, ULA, mapped IPv4 are not public', () => {
    const cases: Array<[string, RegExp | null]> = [
      ['127.0.0.1', /loopback/],
      ['10.1.2.3', /private/],
      ['172.31.255.1', /private/],
      ['172.32.0.1', null],
      ['192.168.0.10', /private/],
      ['169.254.169.254', /link-local/],
      ['100.64.0.1', /carrier-grade/],
      ['0.0.0.0', /this network/],
      ['::1', /loopback/],
      ['fe80::1', /link-local/],
      ['fd12:3456::1', /unique local/],
      ['::ffff:169.254.169.254', /link-local/],
      ['::ffff:a9fe:a9fe', /link-local/],
      ['[::ffff:7f00:1]', /loopback/],
      ['93.184.216.34', null],
      ['2001:4860:4860::8888', null],
    ];
    for (const [addr, kind] of cases) {
      const got = nonPublicKind(addr);
      if (kind) expect(got, addr).toMatch(kind);
      else expect(got, addr).toBeNull();
    }
  });

  it('refuses loopback by default, before connecting, and reaches it when allowed', async () => {
    const refused = await ingest({ rawDir: t.raw, limits: { ...FAST, allowAddresses: [] } });
    expect(refused.fetched[0]).toMatchObject({ outcome: 'failed', attempts: 1 });
    expect(refused.fetched[0]!.error).toMatch(/^refused: 127\.0\.0\.1 is a loopback \(127\.0\.0\.0\/8\) address — .*--allow-address/);
    expect(server.count('/report.pdf')).toBe(0);

    const allowed = await ingest({ rawDir: t.raw, limits: { ...FAST, allowAddresses: ['127.0.0.1/32'] } });
    expect(allowed.fetched[0]).toMatchObject({ outcome: 'unchanged', error: null });
    expect(server.count('/report.pdf')).toBe(1);
  });

  it('checks the address a host name resolves to', async () => {
    const port = new URL(server.url('/')).port;
    setEntry({ url: `http://localhost:${port}/report.pdf` });
    const r = await ingest({ rawDir: t.raw, limits: { ...FAST, allowAddresses: [] } });
    expect(r.fetched[0]!.error).toMatch(/^refused: localhost resolves to (127\.0\.0\.1|::1), which is a loopback .* address/);
    expect(server.count('/report.pdf')).toBe(0);
  });

  it('checks every redirect: to another loopback address not allowed, to link-local, to private', async () => {
    const other = http.createServer((_req, res) => void res.writeHead(200, { 'content-type': 'application/pdf' }).end(REAL_PDF));
    await new Promise<void>((r) => other.listen(0, '127.0.0.2', r));
    const otherPort = (other.address() as AddressInfo).port;
    let otherHits = 0;
    other.on('request', () => otherHits++);
    try {
      const targets: Array<[string, RegExp]> = [
        [`http://127.0.0.2:${otherPort}/report.pdf`, /^refused: 127\.0\.0\.2 is a loopback .* \(redirected to http:\/\/127\.0\.0\.2:/],
        ['http://169.254.169.254/latest/meta-data/', /^refused: 169\.254\.169\.254 is a link-local .* \(redirected to/],
        ['http://10.0.0.1/report.pdf', /^refused: 10\.0\.0\.1 is a private \(10\.0\.0\.0\/8\) address/],
        ['http://[fd00::1]/report.pdf', /^refused: fd00::1 is a unique local/],
      ];
      for (const [i, [target, message]] of targets.entries()) {
        server.route(`/go${i}.pdf`, (_req, res) => void res.writeHead(302, { location: target }).end());
        setEntry({ url: server.url(`/go${i}.pdf`) });
        const r = await ingest({ rawDir: t.raw, limits: { ...FAST, allowAddresses: ['127.0.0.1/32'] } });
        expect(r.fetched[0]!.error, target).toMatch(message);
        expect(server.count(`/go${i}.pdf`)).toBe(1);
      }
      expect(otherHits).toBe(0);
    } finally {
      await new Promise<void>((r) => other.close(() => r()));
    }
  });

  it('the CLI: refused without configuration; --allow-address or the environment variable allow it; a bad range is a usage error', async () => {
    const saved = process.env[ALLOW_ENV];
    const run = async (...args: string[]) => {
      let out = '';
      const o = vi.spyOn(process.stdout, 'write').mockImplementation((c: string | Uint8Array) => ((out += String(c)), true));
      const e = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
      try {
        const code = await ingestCommand.run(['--raw', t.raw, '--out', t.out, '--quiet', '--retries', '0', ...args]);
        return { code, report: /^Report: (.+)$/m.test(out) ? readFileSync(/^Report: (.+)$/m.exec(out)![1]!, 'utf8') : '' };
      } finally {
        o.mockRestore();
        e.mockRestore();
      }
    };
    try {
      delete process.env[ALLOW_ENV];
      const refused = await run();
      expect(refused.code).toBe(1);
      expect(refused.report).toMatch(/FAILED — refused: 127\.0\.0\.1 is a loopback/);
      expect(server.count('/report.pdf')).toBe(0);
      expect((await run('--allow-address', '127.0.0.0/8')).code).toBe(0);
      expect(server.count('/report.pdf')).toBe(1);
      process.env[ALLOW_ENV] = '10.0.0.0/8, 127.0.0.1';
      expect((await run()).code).toBe(0);
      expect(server.count('/report.pdf')).toBe(2);
      expect((await run('--allow-address', 'intranet')).code).toBe(2);
    } finally {
      if (saved === undefined) delete process.env[ALLOW_ENV];
      else process.env[ALLOW_ENV] = saved;
    }
  });
});
