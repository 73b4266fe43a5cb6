/**
 * The team's loop on a real doubtful table (test/fixtures/review/doubtful-table.pdf:
 * an actual printed as 16,639件 for a 人 indicator, and an actual cell with two
 * numbers): check writes nothing; run holds the two rows (exit 4), says so on
 * stderr, the page and the changelog, and queues them outside the release; the
 * review page, in headless Chromium, shows the PDF region and marks the doubtful
 * cells; a correction and an accept publish them.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { extname, join, normalize, sep } from 'node:path';
import Papa from 'papaparse';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReviewQueue } from '../pipeline/review/held.js';
import { snapshot } from './support/snapshot.js';

const ROOT = join(import.meta.dirname, '..');
const CLI = join(ROOT, 'dist/pipeline/cli/main.js');
const PDF = join(ROOT, 'test/fixtures/review/doubtful-table.pdf');
const META = ['--municipality-code', '402036', '--municipality-name', '福岡県久留米市', '--year', '2016'];
type Row = Record<string, string>;
const csv = (dir: string, name: string): Row[] => Papa.parse<Row>(readFileSync(join(dir, name), 'utf8').replace(/^\uFEFF/u, ''), { header: true, skipEmptyLines: true }).data;
const cli = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { cwd: ROOT, encoding: 'utf8' });

let raw: string;
let out: string;
let queue: ReviewQueue;
let heldKeys: string[];
let firstRun: ReturnType<typeof cli>;

beforeAll(() => {
  raw = mkdtempSync(join(tmpdir(), 'sousei-review-raw-'));
  copyFileSync(join(ROOT, 'raw', 'indicators.json'), join(raw, 'indicators.json'));
  out = mkdtempSync(join(tmpdir(), 'sousei-review-out-'));
});

describe('check', () => {
  it('runs every stage, prints what a release would hold, and writes nothing', () => {
    const before = snapshot(out);
    const r = cli('check', PDF, '--raw', raw, '--out', out, ...META, '--quiet');
    expect(r.status, r.stderr).toBe(4); // what run will give: published with rows held
    expect(r.stdout).toContain('Release (not written): goals 1, policy_directions 0, numeric_targets 8, numeric_targets_current 8');
    expect(r.stdout).toContain('Against latest: there is no release yet; this would be the first');
    expect(r.stdout).toContain('Held for review: doubtful-table.pdf numeric-target table of goal 1 (page 1)');
    expect(r.stdout).toMatch(/^ {2}warning row_held \(2\)$/mu);
    expect(r.stdout).toMatch(/^ {2}warning unknown_indicator \(2\)$/mu);
    expect(r.stdout).not.toMatch(/^ {2}info /mu);
    expect(r.stderr).toContain('[summary] reports 1 · rows to publish 8 (numeric targets 8, KPI 0) · rows held for review 2');
    expect(r.stderr).toContain(`nothing was written to ${out}`);
    expect(snapshot(out)).toEqual(before);
  });

  it('run --dry-run is the same check', () => {
    const before = snapshot(out);
    const r = cli('run', PDF, '--dry-run', '--raw', raw, '--out', out, ...META, '--quiet');
    expect(r.status, r.stderr).toBe(4);
    expect(r.stdout).toContain('Release (not written): goals 1, policy_directions 0, numeric_targets 8');
    expect(snapshot(out)).toEqual(before);
    expect(cli('run', '--dry-rn').stderr.trim()).toBe('sousei-kpi run: unknown option --dry-rn; did you mean --dry-run? (sousei-kpi run --help lists the options)');
  });
});

describe('a doubtful table is held, not published', () => {
  beforeAll(() => {
    firstRun = cli('run', PDF, '--raw', raw, '--out', out, ...META, '--quiet');
    queue = JSON.parse(readFileSync(join(out, 'review', 'queue.json'), 'utf8')) as ReviewQueue;
    heldKeys = queue.tables.flatMap((t) => t.rows.map((r) => r.record_key));
  });

  it('exits 4 and says how many rows are held', () => {
    expect(firstRun.status, firstRun.stderr).toBe(4);
    expect(firstRun.stderr).toContain('rows published 8 (numeric targets 8, KPI 0) · rows held for review 2 · findings: 0 error, 5 warning, 1 info');
    expect(firstRun.stderr).toMatch(/\[summary\] release .*releases\/\d{4}-\d{2}-\d{2}-[0-9a-f]{12} \(new\)/u);
  });

  it('queues the rows outside the release with file, sha256, page, table, reason and candidate values', () => {
    expect(queue.held_rows).toBe(2);
    expect(queue.tables).toHaveLength(1);
    const t = queue.tables[0]!;
    expect([t.file, t.page, t.table, t.regions.length]).toEqual(['doubtful-table.pdf', 1, 'numeric-target table of goal 1 (page 1)', 1]);
    expect(t.sha256).toMatch(/^[0-9a-f]{64}$/u);
    const byName = Object.fromEntries(t.rows.map((r) => [String(r.candidate.indicator_name), r]));
    expect(byName['新規雇用者数']!.reason).toBe('actual unit 件 differs from the indicator unit 人');
    expect([byName['新規雇用者数']!.candidate.actual_text, byName['新規雇用者数']!.candidate.actual_value]).toEqual(['16,639件', 16639]);
    expect(byName['新卒者の市内就職率']!.reason).toContain('several numbers in "12.9% (速報 11.0%)"');
    expect(byName['新卒者の市内就職率']!.doubtful_fields).toEqual(['actual_value']);
    expect(queue.release).toBe(realpathSync(join(out, 'latest')).split('/').at(-1));
  });

  it('keeps them out of every dataset, and the release says how many are held', () => {
    const latest = realpathSync(join(out, 'latest'));
    const numeric = csv(latest, 'numeric_targets.csv');
    expect(numeric).toHaveLength(8);
    for (const k of heldKeys) expect(numeric.some((r) => r.record_key === k)).toBe(false);
    expect(numeric.every((r) => r.extraction_status === 'ok')).toBe(true);
    const current = csv(latest, 'numeric_targets_current.csv');
    expect(current.some((r) => r.fiscal_year === '2015')).toBe(false);
    const held = csv(latest, 'findings.csv').filter((f) => f.rule === 'row_held');
    expect(held.map((f) => f.record_key).sort()).toEqual([...heldKeys].sort());
    expect(readFileSync(join(latest, 'index.html'), 'utf8')).toContain('確認待ちのため公開していない行 2 件');
    expect(readFileSync(join(latest, 'CHANGELOG.md'), 'utf8')).toContain('- 2 doubtful row(s) held for review, not published');
    expect((JSON.parse(readFileSync(join(latest, 'changelog.json'), 'utf8')) as { held_rows: number }).held_rows).toBe(2);
  });
});

/** The review folder over HTTP on 127.0.0.1, so the page reads its picture back through a canvas (file:// images taint it). */
function serve(root: string): Promise<Server> {
  const types: Record<string, string> = { '.html': 'text/html; charset=utf-8', '.png': 'image/png' };
  const server = createServer((req, res) => {
    const path = normalize(join(root, decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname)));
    if (req.url === '/favicon.ico') {
      res.writeHead(204).end(); // the browser asks for it on its own
      return;
    }
    if (!path.startsWith(root + sep) || !existsSync(path) || !statSync(path).isFile()) {
      res.writeHead(404).end('not found');
      return;
    }
    res.writeHead(200, { 'Content-Type': types[extname(path)] ?? 'application/octet-stream' }).end(readFileSync(path));
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

describe('the review page in headless Chromium', () => {
  let browser: Browser;
  let server: Server;
  beforeAll(async () => {
    const r = cli('review', '--out', out, '--by', 'tanaka');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe(join(out, 'review', 'index.html'));
    server = await serve(join(out, 'review'));
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
  });
  afterAll(async () => {
    await browser?.close();
    await new Promise((r) => server?.close(r));
  });

  it('shows the PDF region (loaded, not blank), the grid with the doubtful cells marked, and the lines to add', async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/index.html`);
    const img = page.locator('img.region');
    expect(await img.count()).toBe(1);
    // Loaded, and drawn: the share of pixels that are not near-white, read back through a canvas.
    const pic = await img.evaluate(async (el: HTMLImageElement) => {
      await el.decode();
      const c = document.createElement('canvas');
      c.width = el.naturalWidth;
      c.height = el.naturalHeight;
      const ctx = c.getContext('2d')!;
      ctx.drawImage(el, 0, 0);
      const px = ctx.getImageData(0, 0, c.width, c.height).data;
      let ink = 0;
      for (let i = 0; i < px.length; i += 4) if (px[i]! < 160 && px[i + 1]! < 160 && px[i + 2]! < 160) ink++;
      return { w: el.naturalWidth, h: el.naturalHeight, ink: ink / (px.length / 4) };
    });
    expect(pic.w).toBeGreaterThan(600);
    expect(pic.h).toBeGreaterThan(200);
    expect(pic.ink).toBeGreaterThan(0.01);
    const doubt = await page.locator('td.doubt').allTextContents();
    expect(doubt.sort()).toEqual(['12.9% (速報 11.0%)', '16,639件']);
    // A doubtful cell looks marked: its background is not the plain cells' one.
    const bg = await page.locator('td.doubt').first().evaluate((el) => getComputedStyle(el).backgroundColor);
    const plain = await page.locator('table.grid td:not(.doubt)').first().evaluate((el) => getComputedStyle(el).backgroundColor);
    expect(bg).not.toBe(plain);
    expect(await page.locator('tr.held').count()).toBe(2);
    const lines = await page.locator('pre.correction').allTextContents();
    expect(lines).toHaveLength(2);
    for (const l of lines) expect(l).toMatch(/^402036\/2016\/[^,]+\/2015,actual_value,[\d.]+,checked against doubtful-table.pdf page 1,tanaka,\d{4}-\d{2}-\d{2}$/u);
    expect(await page.locator('pre.accept').allTextContents()).toEqual(heldKeys.map((k) => `sousei-kpi review accept ${k} --by tanaka`));
    await page.screenshot({ path: join(out, 'review', 'screenshot.png'), fullPage: true });
    expect(errors).toEqual([]);
  }, 60_000);
});

describe('held rows are published once the team corrects or accepts them', () => {
  let latest: string;
  let second: ReturnType<typeof cli>;
  beforeAll(() => {
    const [unitRow, twoNumbers] = ['新規雇用者数', '新卒者の市内就職率'].map((n) => queue.tables[0]!.rows.find((r) => r.candidate.indicator_name === n)!.record_key);
    writeFileSync(join(raw, 'corrections.csv'), `record_key,field,corrected_value,reason,author,date\n${twoNumbers},actual_value,12.9,checked against page 1: 11.0 is the preliminary figure,tanaka,2026-12-01\n`);
    const acc = cli('review', 'accept', unitRow!, '--by', 'suzuki', '--note', '件 is a misprint; the count is of people', '--out', out, '--raw', raw);
    expect(acc.status, acc.stderr).toBe(0);
    second = cli('run', PDF, '--raw', raw, '--out', out, ...META, '--quiet');
    latest = realpathSync(join(out, 'latest'));
  });

  it('records who accepted what and when, for this PDF only', () => {
    const d = csv(raw, 'review-decisions.csv');
    expect(d).toHaveLength(1);
    expect([d[0]!.decision, d[0]!.by, d[0]!.note, d[0]!.source_sha256]).toEqual(['accept', 'suzuki', '件 is a misprint; the count is of people', queue.tables[0]!.sha256]);
    expect(Number.isNaN(Date.parse(d[0]!.at))).toBe(false);
  });

  it('publishes both rows, exit 0, with nothing left in the queue', () => {
    expect(second.status, second.stderr).toBe(0);
    expect(second.stderr).toContain('rows published 10 (numeric targets 10, KPI 0) · rows held for review 0');
    const numeric = csv(latest, 'numeric_targets.csv');
    const get = (name: string) => numeric.find((r) => r.indicator_name === name && r.fiscal_year === '2015')!;
    expect([get('新規雇用者数').extraction_status, get('新規雇用者数').actual_value]).toEqual(['accepted', '16639']);
    expect(get('新規雇用者数').extraction_note).toContain('accepted as extracted by suzuki');
    expect([get('新卒者の市内就職率').extraction_status, get('新卒者の市内就職率').actual_value, get('新卒者の市内就職率').actual_text]).toEqual(['corrected', '12.9', '12.9%']);
    const findings = csv(latest, 'findings.csv');
    expect(findings.filter((f) => f.rule === 'row_held')).toEqual([]);
    expect(findings.filter((f) => f.rule === 'review_accepted').map((f) => f.severity)).toEqual(['info']);
    expect(readFileSync(join(latest, 'index.html'), 'utf8')).not.toContain('確認待ちのため公開していない行');
    // Nothing left to review: the queue and the page are gone.
    expect(existsSync(join(out, 'review'))).toBe(false);
    const r = cli('review', '--out', out);
    expect([r.status, r.stderr.trim()]).toEqual([0, `[review] nothing is held for review: the last run published every row (${out})`]);
    expect(existsSync(join(latest, 'review'))).toBe(false);
  });
});

describe('the command line', () => {
  it('an unknown flag: one line with the nearest valid flag, exit 2', () => {
    for (const [args, near] of [[['run', '--quite'], '--quiet'], [['check', '--ot', 'x'], '--out'], [['review', '--bye', 'me'], '--by']] as const) {
      const r = cli(...args);
      expect(r.status).toBe(2);
      expect(r.stderr.trim().split('\n')).toEqual([`sousei-kpi ${args[0]}: unknown option ${args[1]}; did you mean ${near}? (sousei-kpi ${args[0]} --help lists the options)`]);
    }
    const c = cli('chek');
    expect([c.status, c.stderr.trim()]).toEqual([2, 'sousei-kpi: unknown command "chek"; did you mean check? (sousei-kpi --help lists the commands)']);
  });

  it('progress as plain lines when stderr is not a terminal, none with --quiet', () => {
    const o = mkdtempSync(join(tmpdir(), 'sousei-review-out-'));
    const loud = cli('check', PDF, '--raw', raw, '--out', o, ...META);
    expect(loud.stderr).toContain('[progress] 1/1 doubtful-table.pdf');
    const quiet = cli('check', PDF, '--raw', raw, '--out', o, ...META, '--quiet');
    expect(quiet.stderr).not.toContain('[progress]');
    expect(quiet.stderr).toContain('[summary]');
  });
});

describe('the review page reads the held table’s PDF as a run reads its inputs', () => {
  it('a FIFO or a changed file in the PDF’s place is named on the page, never waited on', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sousei-review-fifo-'));
    const o = mkdtempSync(join(tmpdir(), 'sousei-review-out-'));
    const pdf = join(dir, 'doubtful-table.pdf');
    copyFileSync(PDF, pdf);
    // A raw folder of its own: the tests above accepted rows of this PDF in theirs.
    const freshRaw = mkdtempSync(join(tmpdir(), 'sousei-review-raw-'));
    copyFileSync(join(ROOT, 'raw', 'indicators.json'), join(freshRaw, 'indicators.json'));
    const run = cli('run', pdf, '--raw', freshRaw, '--out', o, ...META, '--quiet');
    expect(run.status, run.stderr).toBe(4);
    rmSync(pdf);
    execFileSync('mkfifo', [pdf]);
    // (Reading a FIFO would block forever: the child is killed after a minute so the failure is reported, not hung.)
    const fifo = spawnSync(process.execPath, [CLI, 'review', '--out', o, '--by', 'tanaka'], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
    expect(fifo.status, fifo.stderr).toBe(0);
    expect(readFileSync(join(o, 'review', 'index.html'), 'utf8')).toContain(`${pdf}: is a named pipe (FIFO), not a regular file`);
    rmSync(pdf);
    writeFileSync(pdf, Buffer.concat([readFileSync(PDF), Buffer.from('\n% changed\n')]));
    const changed = cli('review', '--out', o, '--by', 'tanaka');
    expect(changed.status, changed.stderr).toBe(0);
    expect(readFileSync(join(o, 'review', 'index.html'), 'utf8')).toContain(`${pdf} changed since the run (sha256 differs): run again`);
  });
});
