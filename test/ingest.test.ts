/**
 * `sousei-kpi ingest` against a real HTTP server on 127.0.0.1 serving the real H28 report,
 * misbehaving on purpose. Each case checks raw/, the registry, the exit status and the
 * run report.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ingestCommand } from '../pipeline/cli/cmd-ingest.js';
import { ingest } from '../pipeline/ingest/index.js';
import { extractLinks } from '../pipeline/ingest/links.js';
import { CHANGED_PDF, makeRaw, pdfRoute, REAL_PDF, REAL_SHA, stallRoute, startServer, type RawDir, type TestServer } from './ingest-server.js';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const FAST = ['--retries', '2', '--backoff', '0.01', '--stall-timeout', '0.3', '--timeout', '5', '--connect-timeout', '2'];

let server: TestServer;
let t: RawDir;

/** Run the CLI command in-process; returns its exit status, stdout and the run report. */
async function cli(...args: string[]) {
  let out = '';
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out += String(chunk);
    return true;
  });
  const errSpy = vi.spyOn(process.stderr, 'write').mockImplementation(() => true); // usage texts
  let code: number;
  try {
    code = await ingestCommand.run(['--raw', t.raw, '--out', t.out, '--quiet', ...FAST, ...args]);
  } finally {
    spy.mockRestore();
    errSpy.mockRestore();
  }
  const txt = /^Report: (.+)$/m.exec(out)?.[1];
  const report = txt ? readFileSync(txt, 'utf8') : '';
  const events = txt ? readFileSync(txt.replace(/\.txt$/, '.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>) : [];
  return { code, out, report, events };
}

const noPartials = () => expect(readdirSync(t.raw).filter((n) => n.startsWith('.'))).toEqual([]);

beforeEach(async () => {
  server = await startServer();
  t = makeRaw({ url: server.url('/report.pdf') });
});

afterEach(async () => {
  await server.close();
  t.cleanup();
});

describe('ingest over HTTP', () => {
  it('200 with the registered bytes records ETag/Last-Modified and adds no file; then 304 on the conditional request changes nothing', async () => {
    server.route('/report.pdf', pdfRoute(REAL_PDF, '"h28-a"'));
    const files = t.files();
    const first = await cli();
    expect(first.code).toBe(0);
    expect(t.files()).toEqual(files);
    const entry = t.sources().reports[0]!;
    expect(entry).toMatchObject({ file: 'kurume-sousei-h28-progress.pdf', sha256: REAL_SHA, etag: '"h28-a"', last_modified: 'Mon, 03 Oct 2016 01:00:00 GMT' });
    expect(entry.fetched_at).toMatch(/^\d{4}-\d\d-\d\dT.*Z$/);
    expect(entry.versions).toBeUndefined();
    expect(first.report).toMatch(/: OK/);
    expect(first.report).toContain('kurume-h28: unchanged (same bytes)');
    expect(first.events.map((e) => e.event)).toEqual(['run-started', 'fetch-start', 'fetch-done', 'run-finished']);
    expect(first.events.at(-1)).toMatchObject({ status: 'ok', raw_changed: false, release: null });

    const registry = readFileSync(t.sourcesPath, 'utf8');
    const second = await cli();
    expect(second.code).toBe(0);
    expect(server.hits.at(-1)!.headers['if-none-match']).toBe('"h28-a"');
    expect(server.hits.at(-1)!.headers['if-modified-since']).toBe('Mon, 03 Oct 2016 01:00:00 GMT');
    expect(second.report).toContain('kurume-h28: not modified (304)');
    expect(readFileSync(t.sourcesPath, 'utf8')).toBe(registry);
    expect(t.files()).toEqual(files);
    expect(server.count('/report.pdf')).toBe(2);
  });

  it('a changed file with a new ETag becomes raw/<stem>.v2.pdf beside the untouched original, with the history in versions', async () => {
    server.route('/report.pdf', pdfRoute(REAL_PDF, '"h28-a"'));
    expect((await cli()).code).toBe(0);
    server.route('/report.pdf', pdfRoute(CHANGED_PDF, '"h28-b"', 'Tue, 01 Oct 2019 00:00:00 GMT'));
    const res = await cli();
    expect(res.code).toBe(0);
    expect(server.hits.at(-1)!.headers['if-none-match']).toBe('"h28-a"');
    expect(t.files()).toEqual(['indicators.json', 'kurume-sousei-h28-progress.pdf', 'kurume-sousei-h28-progress.v2.pdf', 'sources.json']);
    expect(sha(readFileSync(join(t.raw, 'kurume-sousei-h28-progress.pdf')))).toBe(REAL_SHA);
    expect(readFileSync(join(t.raw, 'kurume-sousei-h28-progress.v2.pdf')).equals(CHANGED_PDF)).toBe(true);
    const entry = t.sources().reports[0]!;
    expect(entry).toMatchObject({ file: 'kurume-sousei-h28-progress.v2.pdf', sha256: sha(CHANGED_PDF), etag: '"h28-b"', last_modified: 'Tue, 01 Oct 2019 00:00:00 GMT' });
    const versions = entry.versions as Array<Record<string, unknown>>;
    expect(versions.map((v) => [v.file, v.sha256, v.etag])).toEqual([
      ['kurume-sousei-h28-progress.pdf', REAL_SHA, '"h28-a"'],
      ['kurume-sousei-h28-progress.v2.pdf', sha(CHANGED_PDF), '"h28-b"'],
    ]);
    expect(versions[1]!.fetched_at).toBe(entry.fetched_at);
    expect(res.report).toMatch(/kurume-h28: NEW VERSION raw\/kurume-sousei-h28-progress\.v2\.pdf/);
    expect(res.events.some((e) => e.event === 'new-version')).toBe(true);
    expect(res.events.at(-1)).toMatchObject({ event: 'run-finished', status: 'ok', raw_changed: true, fetched: [{ id: 'kurume-h28', outcome: 'new-version', file: 'kurume-sousei-h28-progress.v2.pdf' }] });

    // The same again: 304, nothing new. A third edition: v3, the history grows.
    expect((await cli()).report).toContain('not modified (304)');
    const third = Buffer.concat([CHANGED_PDF, Buffer.from('% third\n')]);
    server.route('/report.pdf', pdfRoute(third, '"h28-c"'));
    expect((await cli()).code).toBe(0);
    const e3 = t.sources().reports[0]!;
    expect(e3.file).toBe('kurume-sousei-h28-progress.v3.pdf');
    expect((e3.versions as unknown[]).length).toBe(3);
    expect(t.files()).toContain('kurume-sousei-h28-progress.v2.pdf');
    noPartials();
  });

  it('404: no retry, exit 1, nothing changed, the report says why', async () => {
    const registry = readFileSync(t.sourcesPath, 'utf8');
    const res = await cli();
    expect(res.code).toBe(1);
    expect(server.count('/report.pdf')).toBe(1);
    expect(readFileSync(t.sourcesPath, 'utf8')).toBe(registry);
    expect(t.files()).toEqual(['indicators.json', 'kurume-sousei-h28-progress.pdf', 'sources.json']);
    expect(res.report).toMatch(/: FAILED/);
    expect(res.report).toContain('kurume-h28: FAILED — HTTP 404');
    const fin = res.events.at(-1)!;
    expect(fin).toMatchObject({ event: 'run-finished', status: 'failed' });
  });

  it('500 then 200: retried with backoff, then fetched', async () => {
    server.route('/report.pdf', (req, res, n) => {
      if (n === 1) res.writeHead(500).end('busy');
      else pdfRoute(CHANGED_PDF, '"x"')(req, res, n);
    });
    const res = await cli();
    expect(res.code).toBe(0);
    expect(server.count('/report.pdf')).toBe(2);
    expect(res.events.filter((e) => e.event === 'retry')).toHaveLength(1);
    expect(t.sources().reports[0]!.file).toBe('kurume-sousei-h28-progress.v2.pdf');
  });

  it('500 every time: gives up after the configured retries with exit 1', async () => {
    server.route('/report.pdf', (_req, res) => void res.writeHead(503).end());
    const res = await cli();
    expect(res.code).toBe(1);
    expect(server.count('/report.pdf')).toBe(3); // 1 + --retries 2
    expect(res.report).toContain('HTTP 503 Service Unavailable (after 3 attempts)');
  });

  it('a stalled response times out, is retried, and leaves no partial file', async () => {
    server.route('/report.pdf', stallRoute);
    const registry = readFileSync(t.sourcesPath, 'utf8');
    const res = await cli();
    expect(res.code).toBe(1);
    expect(server.count('/report.pdf')).toBe(3);
    expect(res.report).toMatch(/stalled: no data for 300 ms \(after 3 attempts\)/);
    expect(readFileSync(t.sourcesPath, 'utf8')).toBe(registry);
    noPartials();
  });

  it('a body that trickles forever hits the total timeout', async () => {
    const timers: NodeJS.Timeout[] = [];
    server.route('/report.pdf', (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/pdf' });
      res.write('%PDF-1.4\n');
      timers.push(setInterval(() => res.write('%'), 50));
    });
    try {
      const res = await cli('--timeout', '0.5', '--retries', '0');
      expect(res.code).toBe(1);
      expect(res.report).toContain('not complete within 500 ms');
      noPartials();
    } finally {
      for (const x of timers) clearInterval(x);
    }
  });

  it('refuses a wrong Content-Type without retrying', async () => {
    server.route('/report.pdf', (_req, res) => void res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(REAL_PDF));
    const res = await cli();
    expect(res.code).toBe(1);
    expect(server.count('/report.pdf')).toBe(1);
    expect(res.report).toContain('refused: Content-Type is "application/octet-stream", not application/pdf');
    expect(t.sources().reports[0]!.etag).toBeUndefined();
    noPartials();
  });

  it('refuses an HTML error page served with status 200 (as text/html, and disguised as application/pdf)', async () => {
    const page = '<!DOCTYPE html><html><body><h1>ただいまメンテナンス中です</h1></body></html>';
    server.route('/report.pdf', (_req, res) => void res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(page));
    const a = await cli();
    expect(a.code).toBe(1);
    expect(a.report).toContain('refused: Content-Type is "text/html; charset=utf-8"');

    server.route('/report.pdf', (_req, res) => void res.writeHead(200, { 'content-type': 'application/pdf' }).end(page));
    const b = await cli();
    expect(b.code).toBe(1);
    expect(b.report).toContain('refused: the body does not start with %PDF- (it starts with "<!DOCTYPE html>');
    expect(server.count('/report.pdf')).toBe(2); // refusals are not retried
    expect(t.files()).toEqual(['indicators.json', 'kurume-sousei-h28-progress.pdf', 'sources.json']);
    expect(t.sources().reports[0]!.file).toBe('kurume-sousei-h28-progress.pdf');
  });

  it('refuses a body over the size limit, announced or not', async () => {
    server.route('/report.pdf', pdfRoute(CHANGED_PDF, '"big"'));
    const a = await cli('--max-mb', '0.1');
    expect(a.code).toBe(1);
    expect(a.report).toMatch(/refused: \d+ bytes announced, over the limit of 104858/);
    server.route('/report.pdf', (_req, res) => void res.writeHead(200, { 'content-type': 'application/pdf' }).end(CHANGED_PDF)); // chunked, no length
    const b = await cli('--max-mb', '0.1');
    expect(b.code).toBe(1);
    expect(b.report).toContain('refused: more than 104858 bytes');
    noPartials();
  });

  it('downloads a registered file that is missing from raw/ again, and never touches a file that does not match the registry', async () => {
    server.route('/report.pdf', pdfRoute(REAL_PDF, '"h28-a"'));
    const { rmSync, writeFileSync } = await import('node:fs');
    rmSync(join(t.raw, 'kurume-sousei-h28-progress.pdf'));
    const res = await cli();
    expect(res.code).toBe(0);
    expect(res.report).toContain('RESTORED missing file raw/kurume-sousei-h28-progress.pdf');
    expect(sha(readFileSync(join(t.raw, 'kurume-sousei-h28-progress.pdf')))).toBe(REAL_SHA);

    writeFileSync(join(t.raw, 'kurume-sousei-h28-progress.pdf'), CHANGED_PDF);
    const bad = await cli();
    expect(bad.code).toBe(1);
    expect(bad.report).toContain('does not match its registered sha256');
    expect(readFileSync(join(t.raw, 'kurume-sousei-h28-progress.pdf')).equals(CHANGED_PDF)).toBe(true);
  });

  it('follows redirects', async () => {
    server.route('/old.pdf', (_req, res) => void res.writeHead(301, { location: '/report.pdf' }).end());
    server.route('/report.pdf', pdfRoute(CHANGED_PDF, '"r"'));
    const { writeFileSync } = await import('node:fs');
    const s = t.sources();
    s.reports[0]!.url = server.url('/old.pdf');
    writeFileSync(t.sourcesPath, JSON.stringify(s));
    const res = await cli();
    expect(res.code).toBe(0);
    expect((t.sources().reports[0]!.versions as Array<Record<string, unknown>>)[1]!.url).toBe(server.url('/report.pdf'));
  });

  it('cancelling (AbortSignal) mid-download throws, removes the partial file and leaves the registry alone', async () => {
    server.route('/report.pdf', stallRoute);
    const registry = readFileSync(t.sourcesPath, 'utf8');
    const ac = new AbortController();
    const p = ingest({ rawDir: t.raw, signal: ac.signal, limits: { stallTimeoutMs: 60_000 } });
    for (let i = 0; i < 200 && server.count('/report.pdf') === 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(server.count('/report.pdf')).toBe(1);
    ac.abort();
    await expect(p).rejects.toMatchObject({ kind: 'aborted' });
    expect(readFileSync(t.sourcesPath, 'utf8')).toBe(registry);
    noPartials();
  });
});

describe('watched pages', () => {
  const page = (base: string) => `<!DOCTYPE html><html><head><meta charset="utf-8"><title>地方創生総合戦略</title></head><body>
<!-- <a href="/commented-out.pdf">old</a> -->
<ul>
 <li><a href="report.pdf">平成28年度 進捗状況 (PDF:577KB)</a></li>
 <li><a href='${base}/h29-progress.pdf#page=1'><span>平成29年度</span> 進捗状況&nbsp;(PDF)</a></li>
 <li><a href="/minutes.pdf">有識者会議 議事録</a></li>
 <li><a href="/about.html">このページについて</a></li>
</ul></body></html>`;

  it('extracts absolute links without comments, fragments or duplicates', () => {
    const links = extractLinks(page('http://127.0.0.1:1'), 'http://127.0.0.1:1/sousei/index.html');
    expect(links).toEqual([
      { url: 'http://127.0.0.1:1/sousei/report.pdf', text: '平成28年度 進捗状況 (PDF:577KB)' },
      { url: 'http://127.0.0.1:1/h29-progress.pdf', text: '平成29年度 進捗状況 (PDF)' },
      { url: 'http://127.0.0.1:1/minutes.pdf', text: '有識者会議 議事録' },
      { url: 'http://127.0.0.1:1/about.html', text: 'このページについて' },
    ]);
  });

  it('reports unregistered PDF links (matching page_pattern) in the summary without registering them; --add registers one', async () => {
    server.route('/report.pdf', pdfRoute(REAL_PDF, '"h28-a"'));
    server.route('/index.html', (_req, res) => void res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(page(server.url(''))));
    server.route('/h29-progress.pdf', pdfRoute(CHANGED_PDF, '"h29"'));
    const { writeFileSync } = await import('node:fs');
    const s = t.sources();
    Object.assign(s.reports[0]!, { url: server.url('/report.pdf'), page_url: server.url('/index.html'), page_pattern: 'progress\\.pdf$' });
    writeFileSync(t.sourcesPath, JSON.stringify(s));
    const registry = readFileSync(t.sourcesPath, 'utf8');
    const files = t.files();

    const res = await cli();
    expect(res.code).toBe(0);
    expect(res.report).toContain('Discovered on watched pages, not registered');
    expect(res.report).toContain(`${server.url('/h29-progress.pdf')}  "平成29年度 進捗状況 (PDF)"`);
    expect(res.report).not.toContain('minutes.pdf'); // filtered by page_pattern
    expect(res.events.find((e) => e.event === 'page-checked')).toMatchObject({ unregistered: [server.url('/h29-progress.pdf')] });
    expect(t.files()).toEqual(files);
    expect(t.sources().reports.length).toBe(1);
    expect(readFileSync(t.sourcesPath, 'utf8')).not.toBe(registry); // etag recorded for kurume-h28 only

    const add = await cli('--add', server.url('/h29-progress.pdf'), '--id', 'kurume-h29', '--year', '2017', '--title', '平成29年度 進捗状況');
    expect(add.code).toBe(0);
    expect(add.report).toContain('Registered: kurume-h29 (FY2017) as raw/kurume-h29.pdf');
    expect(add.report).not.toContain('Discovered');
    const h29 = t.sources().reports.find((r) => r.id === 'kurume-h29')!;
    expect(h29).toMatchObject({ file: 'kurume-h29.pdf', municipality_code: '402036', municipality_name: '福岡県久留米市', report_fiscal_year: 2017, sha256: sha(CHANGED_PDF), etag: '"h29"' });
    expect(readFileSync(join(t.raw, 'kurume-h29.pdf')).equals(CHANGED_PDF)).toBe(true);

    const again = await cli('--add', server.url('/h29-progress.pdf'), '--id', 'kurume-h29b', '--year', '2017');
    expect(again.code).toBe(1);
    expect(again.report).toContain('is already the url of report "kurume-h29"');
  });

  it('a page that cannot be read is an error; a usage error is exit 2', async () => {
    const { writeFileSync } = await import('node:fs');
    server.route('/report.pdf', pdfRoute(REAL_PDF, '"h28-a"'));
    const s = t.sources();
    s.reports[0]!.page_url = server.url('/gone.html');
    writeFileSync(t.sourcesPath, JSON.stringify(s));
    const res = await cli();
    expect(res.code).toBe(1);
    expect(res.report).toContain(`page ${server.url('/gone.html')}: HTTP 404`);
    expect((await cli('--retries', 'many')).code).toBe(2);
    expect((await cli('--add', server.url('/x.pdf'), '--id', 'x')).code).toBe(2); // no --year
  });
});

describe('run lock', () => {
  it('a second ingest while one holds the lock does nothing and exits 1', async () => {
    server.route('/report.pdf', stallRoute);
    const registry = readFileSync(t.sourcesPath, 'utf8');
    const { runJob } = await import('../pipeline/schedule/job.js');
    const ac = new AbortController();
    const first = runJob({ rawDir: t.raw, outDir: t.out, kind: 'ingest', pipeline: false, signal: ac.signal, limits: { stallTimeoutMs: 60_000 } });
    for (let i = 0; i < 200 && server.count('/report.pdf') === 0; i++) await new Promise((r) => setTimeout(r, 10));
    const second = await cli();
    expect(second.code).toBe(1);
    expect(second.report).toMatch(/: BUSY/);
    expect(second.report).toMatch(/another run holds the lock .*pid \d+/);
    ac.abort();
    const r = await first;
    expect(r.status).toBe('aborted');
    expect(readFileSync(r.txt, 'utf8')).toMatch(/: ABORTED/);
    expect(existsSync(join(t.out, 'runs', 'lock'))).toBe(false);
    expect(readFileSync(t.sourcesPath, 'utf8')).toBe(registry);
    noPartials();
    expect(server.count('/report.pdf')).toBe(1);
  });
});
