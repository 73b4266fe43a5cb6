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
import { loadPublicationConfig } from '../pipeline/publish/publication.js';
import { clone, H28_PDF, processReports, RAW, tempDir, type ReportEntry } from './publish-fixture.js';

const TYPES: Record<string, string> = { '.pdf': 'application/pdf', '.html': 'text/html; charset=utf-8', '.csv': 'text/csv', '.json': 'application/json', '.jsonld': 'application/ld+json', '.md': 'text/markdown; charset=utf-8' };

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
  // As a run publishes it: with raw/publication.json and the path of the PDF (copied into the release, no URL being known).
  releaseDir = publish(join(tmp, 'out'), { reports: [{ ...h28, source: { ...h28.source, pdf_path: H28_PDF } }], sjis: true, publication: loadPublicationConfig(RAW) }).releaseDir;
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

async function open(url: string, width = 1100): Promise<Visit> {
  const page = await browser.newPage({ viewport: { width, height: 900 } });
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

  it('shows every finding in plain Japanese with the English message beside it, and the data dictionary', async () => {
    const published = JSON.parse(readFileSync(join(releaseDir, 'findings.json'), 'utf8')) as Array<{ rule: string; message: string }>;
    // The Shift_JIS copies add nothing to findings: what they could not hold is listed beside them.
    expect(published.length).toBe(h28.report.findings.length);
    expect(published.some((f) => f.rule.startsWith('cp932'))).toBe(false);
    const items = visit.page.locator('#findings li.finding');
    expect(await items.count()).toBe(published.length);
    const shown = (await visit.page.locator('#findings ul').textContent()) ?? '';
    for (const f of published) expect(shown).toContain(f.message);
    // The Japanese sentence comes first and is not the English message.
    const ja = await items.locator('p:not(.en)').allTextContents();
    expect(ja).toHaveLength(published.length);
    for (const t of ja) expect(t).toMatch(/[ぁ-んァ-ン一-龥]/u);
    expect(ja.join('')).not.toContain('確認が必要な点があります'); // every rule of this report has its own sentence
    expect(ja.join('\n')).toContain('年間観光客数」のH27(2015年度)の進捗度は、報告書では「△」ですが、報告書の数値から計算し直すと「×」になります。');
    expect(ja.join('\n')).not.toMatch(/U\+[0-9A-F]{4}|actual_text|Shift_JIS/u);
    expect(await visit.page.locator('#dictionary table').count()).toBe(DATASETS.length);
    expect(await visit.page.locator('#dictionary a[href="codes.csv"]').count()).toBeGreaterThan(0);
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
      // The only script element is the schema.org JSON-LD (data, never run); the payload did not break out of it.
    expect(await visit.page.evaluate(() => [...document.scripts].map((x) => x.type))).toEqual(['application/ld+json']);
    expect(JSON.parse((await visit.page.locator('script[type="application/ld+json"]').textContent()) ?? '')['@type']).toBe('Dataset');
      expect(await visit.page.locator('img').count()).toBe(0);
      const text = (await visit.page.locator('body').textContent()) ?? '';
      for (const prefix of ['雇用', '施策', '目標', '所見']) expect(text).toContain(`${prefix}${payload}`);
      expect(visit.requests).toHaveLength(1);
    } finally {
      await visit.page.close();
    }
  });
});

/** Layout facts of the open page: page width, and every visible text run under 12 px (SVG text scaled by its CTM). */
async function layout(page: Page): Promise<{ scrollWidth: number; clientWidth: number; small: string[]; texts: number }> {
  return page.evaluate(() => {
    const small: string[] = [];
    let texts = 0;
    for (const el of document.querySelectorAll('body *')) {
      if (!(el instanceof HTMLElement || el instanceof SVGElement)) continue;
      if (![...el.childNodes].some((n) => n.nodeType === Node.TEXT_NODE && (n.textContent ?? '').trim() !== '')) continue;
      const r = el.getBoundingClientRect();
      if (r.width === 0 && r.height === 0) continue;
      texts++;
      let px = parseFloat(getComputedStyle(el).fontSize);
      if (el instanceof SVGGraphicsElement) {
        const m = el.getScreenCTM();
        px *= m ? Math.hypot(m.a, m.b) : 1;
      }
      if (px < 12) small.push(`${el.tagName} ${px.toFixed(1)}px "${(el.textContent ?? '').slice(0, 30)}"`);
    }
    return { scrollWidth: document.documentElement.scrollWidth, clientWidth: document.documentElement.clientWidth, small, texts };
  });
}

describe('dataset page on a phone (390 px) and a desktop (1280 px)', () => {
  for (const width of [390, 1280]) {
    it(`at ${width} px: no horizontal scroll, no text under 12 px, charts as wide as the column allows`, async () => {
      const visit = await open(`${base}index.html`, width);
      try {
        expect(visit.errors).toEqual([]);
        const l = await layout(visit.page);
        expect(l.clientWidth).toBe(width);
        expect(l.scrollWidth).toBe(width);
        expect(l.texts).toBeGreaterThan(500);
        expect(l.small).toEqual([]);
        // The style reaches the browser whole (quoted font names were once escaped into invalid CSS).
        expect(await visit.page.evaluate(() => getComputedStyle(document.querySelector('#findings p.en')!).fontFamily)).toContain('"Noto Sans CJK JP"');
        const widths = await visit.page.locator('svg.chart').evaluateAll((els) => els.map((e) => e.getBoundingClientRect().width));
        expect(widths).toHaveLength(expectedCharts());
        for (const w of widths) expect(w).toBeGreaterThanOrEqual(width === 390 ? 350 : 500);
        const shot = await visit.page.screenshot({ fullPage: true });
        expect(pngSize(shot).width).toBe(width);
      } finally {
        await visit.page.close();
      }
    });
  }

  it('a phone sees the findings and the dictionary as cards, not as a table wider than the screen', async () => {
    const visit = await open(`${base}index.html`, 390);
    try {
      const right = await visit.page.locator('#findings li, #dictionary tr, #downloads tr, #legend tr').evaluateAll((els) => Math.max(...els.map((e) => e.getBoundingClientRect().right)));
      expect(right).toBeLessThanOrEqual(390);
      expect(await visit.page.locator('#dictionary thead').first().isVisible()).toBe(false);
    } finally {
      await visit.page.close();
    }
  });
});

describe('what the page tells a citizen', () => {
  let visit: Visit;
  beforeAll(async () => {
    visit = await open(`${base}index.html`, 390);
  });
  afterAll(async () => {
    await visit.page.close();
  });

  it('is Japanese first, with the English beside it', async () => {
    expect(await visit.page.locator('html').getAttribute('lang')).toBe('ja');
    const h2 = await visit.page.locator('h2').allTextContents();
    expect(h2.length).toBeGreaterThan(6);
    for (const t of h2) expect(t).toMatch(/^\S*[ぁ-んァ-ン一-龥]\S* .*[A-Za-z]{4,}/u); // the Japanese heading, then the English one
  });

  it('explains every symbol with its threshold, as codes.csv does', async () => {
    const legend = (await visit.page.locator('#legend').textContent()) ?? '';
    for (const [sym, ja] of [['○', '達成できた'], ['△', '概ね達成できた'], ['×', '達成できなかった'], ['-', '現時点では判断が困難'], ['A', '目標を達成できる見込み'], ['B', '目標達成には努力を要する'], ['C', '目標達成には厳しい状況にある']]) {
      expect(legend).toContain(sym!);
      expect(legend).toContain(ja!);
    }
    expect(legend).toContain('100%以上');
    expect(legend).toContain('70%未満');
    expect(await visit.page.locator('#legend tbody tr').count()).toBe(7);
    expect(await visit.page.locator('#legend a[href="codes.csv"]').count()).toBe(1);
  });

  it('gives the publication date, the contact and a link to the source PDF', async () => {
    const time = visit.page.locator('header time').first();
    expect(await time.getAttribute('datetime')).toMatch(/^\d{4}-\d{2}-\d{2}$/u);
    const header = (await visit.page.locator('header').textContent()) ?? '';
    expect(header).toContain('問い合わせ先');
    expect(header).toContain('久留米市役所');
    const pdf = visit.page.locator('a[href="sources/kurume-sousei-h28-progress.pdf"]');
    expect(await pdf.count()).toBeGreaterThanOrEqual(2);
    const res = await fetch(new URL('sources/kurume-sousei-h28-progress.pdf', base));
    expect(Buffer.from(await res.arrayBuffer()).equals(readFileSync(H28_PDF))).toBe(true);
  });

  it('describes itself to dataset search engines as a schema.org Dataset', async () => {
    const ld = JSON.parse((await visit.page.locator('script[type="application/ld+json"]').textContent()) ?? '{}') as Record<string, unknown>;
    expect(ld).toMatchObject({ '@context': 'https://schema.org/', '@type': 'Dataset', license: 'https://creativecommons.org/licenses/by/4.0/', inLanguage: 'ja', temporalCoverage: '2015-04-01/2020-03-31' });
    expect(String(ld.name)).toContain('福岡県久留米市');
    expect(ld.dateModified).toBe(await visit.page.locator('header time').first().getAttribute('datetime'));
    expect((ld.distribution as unknown[]).length).toBeGreaterThan(DATASETS.length * 3);
    expect((ld.publisher as Record<string, unknown>).name).toBe('福岡県久留米市');
  });

  it('charts describe themselves in words, and no KPI count reads as a negative number', async () => {
    const charts = visit.page.locator('svg.chart');
    for (const svg of await charts.all()) {
      expect(await svg.getAttribute('role')).toBe('img');
      const ids = ((await svg.getAttribute('aria-labelledby')) ?? '').split(' ');
      expect(ids).toHaveLength(2);
      const desc = (await svg.locator('desc').textContent()) ?? '';
      expect(desc.length).toBeGreaterThan(20);
      expect(ids[1]).toBe(await svg.locator('desc').getAttribute('id'));
    }
    const kpiText = (await visit.page.locator('#kpi svg text').allTextContents()).join('\n');
    expect(kpiText).not.toMatch(/(^|\s)[-−－]\s?\d/mu);
    expect(kpiText).toContain('判断困難');
    const desc = (await visit.page.locator('#kpi svg desc').first().textContent()) ?? '';
    const row = h28.report.datasets.kpi_summary.find((r) => r.policy_direction_no === 7)!;
    expect(desc).toContain(`施策の基本的方向7「${row.policy_direction_name}」: KPI ${row.kpi_count}件のうち 達成 ${row.achieved}件`);
  });
});
