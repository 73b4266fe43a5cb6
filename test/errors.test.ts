/**
 * Bad input through the real CLI: every case exits non-zero with one line naming
 * the file, the problem and a hint, publishes nothing (no new release, `latest`
 * unchanged, no temporary files) — or, with --keep-going, publishes the reports
 * that worked and lists the failed file. Uses dist/ (npm test builds first).
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, cpSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { deflateSync } from 'node:zlib';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readDocument } from '../pipeline/extract/pdf.js';
import { snapshot } from './fuzz/fuzz.mjs';
import { runCli } from './support/cli.js';

const ROOT = join(import.meta.dirname, '..');
const REPORT = join(ROOT, 'raw/kurume-sousei-h28-progress.pdf');
const REPORT_SHA = '4ab504eaacc91d16cd7ed245896860b6d385300c7f8f293da224d026614472b0';
const bad = (name: string) => join(ROOT, 'test/fixtures/bad', name);
const sha = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');

const cli = (args: string[]) => runCli(['run', ...args]);

const tmp = (prefix: string) => mkdtempSync(join(tmpdir(), prefix));

/** A raw/ folder with the real report registered as `entry` says (sha256 of the real file unless given). */
function makeRaw(entry: Record<string, unknown> = {}, pdf = REPORT): string {
  const raw = tmp('sousei-err-raw-');
  const file = (entry.file as string | undefined) ?? 'kurume-sousei-h28-progress.pdf';
  if (!file.includes('/') && !file.includes('\\')) copyFileSync(pdf, join(raw, file));
  copyFileSync(join(ROOT, 'raw/indicators.json'), join(raw, 'indicators.json'));
  const report = { id: 'kurume-h28', file, municipality_code: '402036', municipality_name: '福岡県久留米市', report_fiscal_year: 2016, sha256: REPORT_SHA, ...entry };
  writeFileSync(join(raw, 'sources.json'), JSON.stringify({ reports: [report] }, null, 2));
  return raw;
}

/** A one-page PDF whose content stream is compressed twice (/Filter [/FlateDecode /FlateDecode]) and inflates to 64 MiB of spaces. */
function doubleFlateBomb(): Buffer {
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>',
    null,
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
  ];
  const content = Buffer.concat([Buffer.from('BT /F1 12 Tf 72 720 Td (x) Tj ET\n', 'latin1'), Buffer.alloc(64 * 2 ** 20, 0x20)]);
  const twice = deflateSync(deflateSync(content, { level: 9 }), { level: 9 });
  const parts = [Buffer.from('%PDF-1.4\n', 'latin1')];
  const offsets: number[] = [];
  let len = parts[0]!.length;
  objects.forEach((body, i) => {
    offsets.push(len);
    const obj = body ?? Buffer.concat([Buffer.from(`<< /Filter [/FlateDecode /FlateDecode] /Length ${twice.length} >>\nstream\n`, 'latin1'), twice, Buffer.from('\nendstream', 'latin1')]);
    const b = Buffer.concat([Buffer.from(`${i + 1} 0 obj\n`), Buffer.isBuffer(obj) ? obj : Buffer.from(obj, 'latin1'), Buffer.from('\nendobj\n')]);
    parts.push(b);
    len += b.length;
  });
  const xref = `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n${offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`).join('')}`;
  parts.push(Buffer.from(`${xref}trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${len}\n%%EOF\n`, 'latin1'));
  return Buffer.concat(parts);
}

/** Inputs made at start: a FIFO, a folder named like a PDF, a double-Flate bomb. */
const made = mkdtempSync(join(tmpdir(), 'sousei-err-made-'));
const FIFO = join(made, 'fifo.pdf');
const FOLDER = join(made, 'folder.pdf');
const DOUBLE_FLATE = join(made, 'double-flate.pdf');
execFileSync('mkfifo', [FIFO]);
mkdirSync(FOLDER);
writeFileSync(DOUBLE_FLATE, doubleFlateBomb());

let base: string;
beforeAll(async () => {
  // An output folder that already holds a release (of the real report).
  base = tmp('sousei-err-base-');
  const r = await cli(['--out', join(base, 'out'), '--quiet']);
  expect(r.status, r.stderr).toBe(0);
});

/** A copy of the published folder (symlink kept as is), for one case. */
function freshOut(): string {
  const dir = tmp('sousei-err-out-');
  cpSync(join(base, 'out'), join(dir, 'out'), { recursive: true, verbatimSymlinks: true });
  return join(dir, 'out');
}

interface Case {
  name: string;
  /** Arguments after `run` (the output folder is added). */
  args: () => string[];
  /** The file the message names. */
  file: () => string;
  problem: string | RegExp;
  hint: RegExp;
}

const LIMIT_HINT = /^the file may be malformed or hostile \(e\.g\. a decompression bomb\); check it, or raise the limit with --/u;

const cases: Case[] = [
  { name: 'not a PDF (an HTML error page)', args: () => [bad('not-a-pdf.pdf')], file: () => bad('not-a-pdf.pdf'), problem: 'the file is an HTML page (no %PDF- header)', hint: /^check the URL or file name/u },
  { name: 'empty file', args: () => [bad('empty.pdf')], file: () => bad('empty.pdf'), problem: 'the file is empty', hint: /^download it again$/u },
  { name: 'truncated PDF', args: () => [bad('truncated.pdf')], file: () => bad('truncated.pdf'), problem: 'the PDF is truncated (it does not end with the %%EOF marker)', hint: /download it again/u },
  { name: 'encrypted PDF', args: () => [bad('encrypted.pdf')], file: () => bad('encrypted.pdf'), problem: 'the PDF is encrypted with a password', hint: /unprotected copy/u },
  { name: 'scanned PDF without a text layer', args: () => [bad('scanned.pdf')], file: () => bad('scanned.pdf'), problem: 'the PDF has no text layer (it looks scanned or made of images)', hint: /OCR/u },
  { name: 'some other document', args: () => [bad('other-document.pdf')], file: () => bad('other-document.pdf'), problem: 'no numeric-target table (数値目標 | 年度 | 目標値 | 実績値) was found', hint: /progress report\?/u },
  {
    name: 'a table that fails its structure checks',
    args: () => [bad('broken-table.pdf')],
    file: () => bad('broken-table.pdf'),
    problem: 'the numeric-target table (page 1) fails its structure checks: indicator 1 has the years H29; most indicators have FY2015–FY2015; indicator 1: no indicator name found; indicator 1: its baseline → final target cell is empty; and 13 more',
    hint: /not one the extractor can read/u,
  },
  { name: 'a file that does not exist', args: () => [join(ROOT, 'test/fixtures/bad/no-such-file.pdf')], file: () => join(ROOT, 'test/fixtures/bad/no-such-file.pdf'), problem: 'file not found', hint: /check the path/u },
  { name: 'an inflate bomb over the memory limit', args: () => [bad('inflate-bomb.pdf'), '--max-memory', '256'], file: () => bad('inflate-bomb.pdf'), problem: 'reading the PDF needed more than the memory limit of 256 MiB and was stopped', hint: LIMIT_HINT },
  { name: 'an inflate bomb over the time limit', args: () => [bad('inflate-bomb.pdf'), '--timeout', '1'], file: () => bad('inflate-bomb.pdf'), problem: 'reading the PDF took longer than the limit of 1 s and was stopped', hint: LIMIT_HINT },
  { name: 'more pages than the limit', args: () => [REPORT, '--max-pages', '4'], file: () => REPORT, problem: 'the PDF has 5 pages, more than the limit of 4', hint: /--max-pages/u },
  { name: 'a file larger than the limit', args: () => [REPORT, '--max-bytes', '100K'], file: () => REPORT, problem: 'the file is 0.6 MiB, larger than the limit of 0.1 MiB', hint: /--max-bytes/u },
  // Not regular files: refused before anything is read (/dev/zero used to be read to 2 GB, a FIFO waited forever).
  { name: '/dev/zero', args: () => ['/dev/zero', '--max-bytes', '1M'], file: () => '/dev/zero', problem: 'is a character device, not a regular file', hint: /devices, pipes and folders are not read/u },
  { name: 'a FIFO', args: () => [FIFO], file: () => FIFO, problem: 'is a named pipe (FIFO), not a regular file', hint: /devices, pipes and folders are not read/u },
  { name: 'a folder', args: () => [FOLDER], file: () => FOLDER, problem: 'is a folder, not a regular file', hint: /give the path of a PDF file/u },
  {
    name: 'a double-Flate bomb (pdf.js fails inside)',
    args: () => [DOUBLE_FLATE],
    file: () => DOUBLE_FLATE,
    problem: 'page 1 of the PDF cannot be read: its content could not be decoded (malformed or hostile structure, e.g. a stream compressed twice or more)',
    hint: /^the file may be damaged or crafted \(a decompression bomb\); check it/u,
  },
];

describe.concurrent('bad input publishes nothing and says why', () => {
  it.each(cases)('$name', async (c) => {
    const out = freshOut();
    const before = snapshot(out);
    const r = await cli([...c.args(), '--out', out, '--quiet']);
    expect(r.status).toBe(1);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(2);
    const m = /^sousei-kpi: (.+?): (.+) — (.+)$/u.exec(lines[0]!);
    expect(m, lines[0]).not.toBeNull();
    expect(m![1]).toBe(c.file());
    if (typeof c.problem === 'string') expect(m![2]).toBe(c.problem);
    else expect(m![2]).toMatch(c.problem);
    expect(m![3]).toMatch(c.hint);
    expect(lines[1]).toBe('sousei-kpi: nothing was published; the previous release is unchanged');
    expect(r.stdout).toBe('');
    expect(snapshot(out)).toEqual(before);
  });
});

describe.concurrent('bad registries and corrections publish nothing', () => {
  const registryCase = (name: string, raw: () => string, file: (raw: string) => string, problem: string | RegExp, hint: RegExp) =>
    it(name, async () => {
      const dir = raw();
      const out = freshOut();
      const before = snapshot(out);
      const r = await cli(['--raw', dir, '--out', out, '--quiet']);
      expect(r.status).toBe(1);
      const m = /^sousei-kpi: (.+?): (.+) — (.+)$/u.exec(r.stderr.trim().split('\n')[0]!);
      expect(m, r.stderr).not.toBeNull();
      expect(m![1]).toBe(file(dir));
      if (typeof problem === 'string') expect(m![2]).toBe(problem);
      else expect(m![2]).toMatch(problem);
      expect(m![3]).toMatch(hint);
      expect(snapshot(out)).toEqual(before);
    });

  registryCase(
    'a registered file whose sha256 does not match',
    () => makeRaw({}, bad('formula-injection.pdf')),
    (raw) => join(raw, 'kurume-sousei-h28-progress.pdf'),
    `sha256 ${sha(bad('formula-injection.pdf'))} does not match the registry (${REPORT_SHA})`,
    /update raw\/sources\.json, or restore the original/u,
  );
  registryCase(
    'sources.json that is not JSON',
    () => {
      const raw = makeRaw();
      writeFileSync(join(raw, 'sources.json'), '{ "reports": [ { "id": "kurume-h28", } ] ');
      return raw;
    },
    (raw) => join(raw, 'sources.json'),
    /^is not valid JSON \(/u,
    /fix the syntax/u,
  );
  registryCase(
    'sources.json that breaks its schema',
    () => {
      const raw = makeRaw();
      writeFileSync(join(raw, 'sources.json'), JSON.stringify({ reports: [{ id: 'kurume-h28', file: 'kurume-sousei-h28-progress.pdf' }] }));
      return raw;
    },
    (raw) => join(raw, 'sources.json'),
    /^does not match schemas\/sources\.schema\.json: .*municipality_code/u,
    /compare it with the example/u,
  );
  for (const file of ['../kurume-sousei-h28-progress.pdf', 'sub/kurume-sousei-h28-progress.pdf', '..\\kurume-sousei-h28-progress.pdf', '/etc/kurume.pdf']) {
    registryCase(
      `a registry file entry with a path (${file}) is refused`,
      () => makeRaw({ file }),
      (raw) => join(raw, 'sources.json'),
      /^does not match schemas\/sources\.schema\.json: .*file/u,
      /compare it with the example/u,
    );
  }
  registryCase(
    'a registry file name with a NUL character',
    () => {
      const raw = makeRaw();
      const doc = JSON.parse(readFileSync(join(raw, 'sources.json'), 'utf8')) as { reports: Array<Record<string, unknown>> };
      doc.reports[0]!.file = 'kurume\u0000.pdf';
      writeFileSync(join(raw, 'sources.json'), JSON.stringify(doc));
      return raw;
    },
    (raw) => join(raw, 'kurume\\0.pdf'),
    'the file name contains a NUL character',
    /fix the file name \(the "file" entry in raw\/sources\.json/u,
  );
  registryCase(
    'a malformed corrections.csv',
    () => {
      const raw = makeRaw();
      writeFileSync(join(raw, 'corrections.csv'), 'record_key,field,corrected_value,reason,author,date\n402036/2016/x/2016,actual_value,"5,reason,team,2026-10-01\n');
      return raw;
    },
    (raw) => join(raw, 'corrections.csv'),
    /^line \d+: /u,
    /quoting/u,
  );
});

describe('with --keep-going, the files that worked are published', () => {
  it('publishes the report next to a memory bomb that killed its worker (exit 3), and names the failed file', async () => {
    const out = freshOut();
    const previous = readlinkSync(join(out, 'latest'));
    const r = await cli([bad('inflate-bomb.pdf'), REPORT, bad('not-a-pdf.pdf'), '--keep-going', '--workers', '1', '--max-memory', '256', '--out', out, '--quiet']);
    expect(r.status).toBe(3);
    expect(r.stderr).toContain(`sousei-kpi: ${bad('inflate-bomb.pdf')}: reading the PDF needed more than the memory limit of 256 MiB and was stopped — `);
    expect(r.stderr).toContain(`sousei-kpi: ${bad('not-a-pdf.pdf')}: the file is an HTML page (no %PDF- header) — `);
    const latest = readlinkSync(join(out, 'latest'));
    expect(latest).not.toBe(previous);
    expect(r.stdout.trim()).toBe(join(out, latest));
    const numeric = readFileSync(join(out, latest, 'numeric_targets.csv'), 'utf8').trim().split('\r\n');
    expect(numeric).toHaveLength(36);
    const findings = readFileSync(join(out, latest, 'findings.csv'), 'utf8');
    expect(findings).toContain('inflate-bomb.pdf was not processed: reading the PDF needed more than the memory limit of 256 MiB and was stopped');
    expect(findings).toContain('not-a-pdf.pdf was not processed: the file is an HTML page (no %PDF- header)');
  });

  it('without --keep-going the same batch publishes nothing', async () => {
    const out = freshOut();
    const before = snapshot(out);
    const r = await cli([REPORT, bad('not-a-pdf.pdf'), '--out', out, '--quiet']);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('sousei-kpi: nothing was published; the previous release is unchanged');
    expect(snapshot(out)).toEqual(before);
  });
});

describe('the truncation check matters', () => {
  it('pdf.js alone still opens the truncated fixture; the %%EOF check is what refuses it', async () => {
    const raw = await readDocument(new Uint8Array(readFileSync(bad('truncated.pdf'))));
    const whole = await readDocument(new Uint8Array(readFileSync(bad('formula-injection.pdf'))));
    expect(raw.pageCount).toBe(whole.pageCount);
    expect(raw.pages[0]!.runs.length).toBeGreaterThan(50);
  });
});
