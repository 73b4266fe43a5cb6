/**
 * The dataset page (index.html) of a real release in headless Chromium, served
 * by a static HTTP server on 127.0.0.1 and opened from file://: no console
 * errors, no requests beyond the release, every link resolves to a file of the
 * release, one chart per indicator and per KPI report year, and a screenshot.
 * A second release with markup planted in PDF text checks that nothing runs.
 */
import { createReadStream, existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATASETS, publish } from '../pipeline/publish/index.js';
import { clone, H28_PDF, processReports, tempDir, type ReportEntry } from './publish-fixture.js';

const TYPES: Record<string, string> = { '.html': 'text/html; charset=utf-8', '.csv': 'text/csv', '.json': 'application/json', '.jsonld': 'application/ld+json', '.md': 'text/markdown; charset=utf-8' };

/** A static file server for one folder; anything outside it is 404. */
function serve(root: string): Promise<Server> {
  const server = createServer((req, res) => {
    const path = normalize(join(root, decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname)));
    if (!path.startsWith(root + sep) || !existsSync(path) || !statSync(path).isFile()) {
      res.writeHead(404).end('not found');
      return;
    }
    res.writeHead(200, { 'Content-Type': TYPES[extname(path)] ?? 'application/octet-stream', 'Content-Length': statSync(path).size });
    createReadStream(path).pipe(res);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

let h28: ReportEntry;
let releaseDir: string;
let tmp: string;
let server: Server;
let base: string;
let browser: Browser;

beforeAll(async () => {
  [h28] = await processReports([H28_PDF]);
  tmp = tempDir('sousei-page-');
  releaseDir = publish(join(tmp, 'out'), { reports: [h28], sjis: true }).releaseDir;
  server = await serve(releaseDir);
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
});

afterAll(async () => {
  await browser?.close();
  await new Promise((r) => server?.close(r));
});

interface Visit {
  page: Page;
  errors: string[];
  requests: string[];
}

async function open(url: string): Promise<Visit> {
  const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
  const errors: string[] = [];
  const requests: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') errors.push(`${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('requestfailed', (r) => errors.push(`requestfailed: ${r.url()}`));
  page.on('dialog', (d) => {
    errors.push(`dialog: ${d.message()}`);
    void d.dismiss();
  });
  page.on('request', (r) => requests.push(r.url()));
  const res = await page.goto(url, { waitUntil: 'load' });
  if (url.startsWith('http')) expect(res?.status()).toBe(200);
  return { page, errors, requests };
}

const expectedCharts = () => new Set(h28.report.datasets.numeric_targets.map((r) => r.indicator_id)).size + new Set(h28.report.datasets.kpi_summary.map((r) => r.report_fiscal_year)).size;

/** PNG width and height from the IHDR chunk. */
function pngSize(png: Buffer): { width: number; height: number } {
  expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}

describe('dataset page over HTTP', () => {
  let visit: Visit;
  beforeAll(async () => {
    visit = await open(`${base}index.html`);
  });
  afterAll(async () => {
    await visit.page.close();
  });

  it('loads without console errors and requests nothing but the page itself', () => {
    expect(visit.errors).toEqual([]);
    expect(visit.requests).toEqual([`${base}index.html`]);
  });

  it('draws one chart per indicator and one KPI chart per report year', async () => {
    const n = await visit.page.locator('svg.chart').count();
    expect(expectedCharts()).toBe(8);
    expect(n).toBe(8);
    // Each indicator chart has a target line or marks and the printed symbols.
    expect(await visit.page.locator('#targets svg.chart').count()).toBe(7);
    expect(await visit.page.locator('#kpi svg.chart rect').count()).toBeGreaterThan(12);
    const symbols = await visit.page.locator('#targets svg text.symbol').allTextContents();
    expect(symbols.filter((s) => s !== '').sort()).toEqual(h28.report.datasets.numeric_targets.map((r) => r.progress_reported).filter((s) => s !== null).sort());
    const boxes = await visit.page.locator('svg.chart').evaluateAll((els) => els.map((e) => e.getBoundingClientRect().width));
    for (const w of boxes) expect(w).toBeGreaterThan(300);
  });

  it('lists every dataset with links that resolve to files of the release (HTTP 200, file exists)', async () => {
    const hrefs = await visit.page.locator('a[href]').evaluateAll((as) => as.map((a) => a.getAttribute('href')!));
    const local = [...new Set(hrefs.filter((h) => !/^(https?:|#)/u.test(h)))];
    expect(DATASETS).toEqual(expect.arrayContaining(['numeric_targets', 'kpi_summary', 'goals', 'policy_directions', 'text_items', 'findings']));
    for (const ds of DATASETS) {
      expect(local).toEqual(expect.arrayContaining([`${ds}.csv`, `${ds}.json`, `sjis/${ds}.csv`]));
    }
    expect(local).toEqual(expect.arrayContaining(['data-dictionary.csv', 'datapackage.json', 'dcat.jsonld', 'ckan-package.json', 'manifest.json', 'CHANGELOG.md', 'changelog.json']));
    for (const h of local) {
      const res = await fetch(new URL(h, base));
      expect(res.status, h).toBe(200);
      expect(Buffer.from(await res.arrayBuffer()).equals(readFileSync(join(releaseDir, h))), h).toBe(true);
    }
    expect(await visit.page.locator('a[download]').count()).toBe(DATASETS.length * 3);
  });

  it('shows the findings and the data dictionary', async () => {
    const published = JSON.parse(readFileSync(join(releaseDir, 'findings.json'), 'utf8')) as Array<{ rule: string; message: string }>;
    expect(published.length).toBeGreaterThan(h28.report.findings.length); // + the cp932_unmappable findings of the Shift_JIS copies
    expect(await visit.page.locator('#findings tbody tr').count()).toBe(published.length);
    const shown = (await visit.page.locator('#findings tbody').textContent()) ?? '';
    for (const f of published) expect(shown).toContain(f.message);
    expect(shown).toContain('cp932_unmappable');
    expect(await visit.page.locator('#dictionary table').count()).toBe(DATASETS.length);
    expect(await visit.page.locator('#dict-numeric_targets').textContent()).toContain('数値目標');
    expect(await visit.page.locator('#dictionary').textContent()).toContain('実績値');
  });

  it('takes a full-page screenshot that is not blank', async () => {
    mkdirSync(join(tmp, 'shots'), { recursive: true });
    const file = join(tmp, 'shots', 'index-http.png');
    await visit.page.screenshot({ path: file, fullPage: true });
    const png = readFileSync(file);
    const { width, height } = pngSize(png);
    expect(width).toBe(1100);
    expect(height).toBeGreaterThan(4000);
    expect(png.byteLength).toBeGreaterThan(150_000);
  });
});

describe('dataset page from file://', () => {
  it('works without a server: no errors, the same charts, links to files that exist', async () => {
    const url = pathToFileURL(join(releaseDir, 'index.html')).href;
    const visit = await open(url);
    try {
      expect(visit.errors).toEqual([]);
      expect(visit.requests).toEqual([url]);
      expect(await visit.page.locator('svg.chart').count()).toBe(expectedCharts());
      const hrefs = await visit.page.locator('a[href]').evaluateAll((as) => as.map((a) => (a as HTMLAnchorElement).href));
      const files = hrefs.filter((h) => h.startsWith('file:'));
      expect(files.length).toBeGreaterThan(20);
      for (const h of files) expect(existsSync(fileURLToPath(h.split('#')[0]!)), h).toBe(true);
      const shot = await visit.page.screenshot({ fullPage: false });
      expect(pngSize(shot)).toEqual({ width: 1100, height: 900 });
    } finally {
      await visit.page.close();
    }
  });
});

describe('text from PDFs is escaped', () => {
  it('markup planted in indicator names, text and findings shows as text and never runs', async () => {
    const evil = clone(h28);
    const payload = '<script>alert("x")</script><img src=x onerror=alert(1)>"\'&amp;';
    evil.report.datasets.numeric_targets.filter((r) => r.indicator_id === '402036-G1-new-employment').forEach((r) => (r.indicator_name = `雇用${payload}`));
    evil.report.datasets.kpi_summary[0]!.policy_direction_name = `施策${payload}`;
    evil.report.datasets.goals[0]!.goal_title = `目標${payload}`;
    evil.report.findings[0]!.message = `所見${payload}`;
    const dir = publish(join(tmp, 'evil'), { reports: [evil] }).releaseDir;
    const visit = await open(pathToFileURL(join(dir, 'index.html')).href);
    try {
      expect(visit.errors).toEqual([]);
      expect(await visit.page.evaluate(() => document.scripts.length)).toBe(0);
      expect(await visit.page.locator('img').count()).toBe(0);
      const text = (await visit.page.locator('body').textContent()) ?? '';
      for (const prefix of ['雇用', '施策', '目標', '所見']) expect(text).toContain(`${prefix}${payload}`);
      expect(visit.requests).toHaveLength(1);
    } finally {
      await visit.page.close();
    }
  });
});
