/**
 * raw/corrections.csv cannot go wrong quietly: every kind of invalid line stops the
 * run before anything is published (file, line, column, hint); Shift_JIS files as
 * Excel writes them are read right; a corrected value is the same everywhere it
 * shows (CSV, JSON, the cumulative dataset, findings, the page, the changelog).
 * The real H28 report, through the CLI.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, readdirSync, realpathSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import iconv from 'iconv-lite';
import Papa from 'papaparse';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeCorrections } from '../pipeline/normalize/corrections.js';
import { snapshot } from './support/snapshot.js';

const ROOT = join(import.meta.dirname, '..');
const CLI = join(ROOT, 'dist/pipeline/cli/main.js');
const HEADER = 'record_key,field,corrected_value,reason,author,date';
const TOURISTS = '402036/2016/402036-G2-tourists/2015';
type Row = Record<string, string>;
const csv = (dir: string, name: string): Row[] => Papa.parse<Row>(readFileSync(join(dir, name), 'utf8').replace(/^\uFEFF/u, ''), { header: true, skipEmptyLines: true }).data;

function makeRaw(corrections: string | Buffer | null): string {
  const raw = mkdtempSync(join(tmpdir(), 'sousei-corr-raw-'));
  for (const f of ['kurume-sousei-h28-progress.pdf', 'sources.json', 'indicators.json']) copyFileSync(join(ROOT, 'raw', f), join(raw, f));
  if (corrections !== null) writeFileSync(join(raw, 'corrections.csv'), corrections);
  return raw;
}

const run = (args: string[]) => spawnSync(process.execPath, [CLI, ...args], { cwd: ROOT, encoding: 'utf8' });

describe('an invalid corrections line stops the run before anything is published', () => {
  let out: string;
  let firstRelease: string;
  beforeAll(() => {
    out = mkdtempSync(join(tmpdir(), 'sousei-corr-out-'));
    const r = run(['run', '--raw', makeRaw(null), '--out', out, '--quiet']);
    expect(r.status, r.stderr).toBe(0);
    firstRelease = realpathSync(join(out, 'latest'));
  });

  const good = `${TOURISTS},actual_value,5400000,Final figure,open-data team,2026-10-01`;
  it.each([
    { kind: 'unknown field', lines: [`${TOURISTS},actual_valu,5400000,Final figure,me,2026-10-01`], where: 'line 2, column 2 (field)', problem: 'numeric_targets has no column "actual_valu"', hint: 'did you mean actual_value?' },
    { kind: 'unknown field after a comment with a quote and an empty line (the line number is the file\'s)', lines: ['# a "quoted, comment', '', `${TOURISTS},actual_valu,5400000,Final figure,me,2026-10-01`], where: 'line 4, column 2 (field)', problem: 'numeric_targets has no column "actual_valu"', hint: 'did you mean actual_value?' },
    { kind: 'computed field', lines: [`${TOURISTS},progress_recomputed,○,looks right,me,2026-10-01`], where: 'line 2, column 2 (field)', problem: '"progress_recomputed" is provenance or computed and cannot be corrected', hint: 'correct the value it is computed from' },
    { kind: 'value with a unit and 万', lines: [`${TOURISTS},actual_value,540万人,Final figure,me,2026-10-01`], where: 'line 2, column 3 (corrected_value)', problem: '"540万人" is not a number in the column\'s unit', hint: 'write the number in base units without a unit: 5400000' },
    { kind: 'hexadecimal value', lines: [`${TOURISTS},actual_value,0x10,typo,me,2026-10-01`], where: 'line 2, column 3 (corrected_value)', problem: '"0x10" is not a number in the column\'s unit', hint: 'write a decimal number' },
    { kind: 'value outside the allowed ones', lines: [`${TOURISTS},actual_status,done,typo,me,2026-10-01`], where: 'line 2, column 3 (corrected_value)', problem: '"done" is not one of the allowed values', hint: 'write one of: final, provisional, missing' },
    { kind: 'duplicate', lines: [good, `${TOURISTS},actual_value,5300000,Other figure,me,2026-10-02`], where: 'line 3, column 2 (field)', problem: `${TOURISTS} actual_value is already corrected on line 2`, hint: 'keep one line per record and field' },
    { kind: 'unknown key of a report in the run', lines: ['402036/2016/402036-G2-tourist/2015,actual_value,5400000,Final figure,me,2026-10-01'], where: 'line 2, column 1 (record_key)', problem: 'no record of the report 402036/2016 has the key 402036/2016/402036-G2-tourist/2015', hint: `did you mean ${TOURISTS}?` },
    { kind: 'not a record key', lines: ['tourists 2015,actual_value,5400000,Final figure,me,2026-10-01'], where: 'line 2, column 1 (record_key)', problem: '"tourists 2015" is not a record key', hint: 'copy the record_key column' },
    { kind: 'missing author', lines: [`${TOURISTS},actual_value,5400000,Final figure,,2026-10-01`], where: 'line 2, column 5 (author)', problem: 'author is empty', hint: 'every correction says who made it' },
  ])('$kind', ({ lines, where, problem, hint }) => {
    const raw = makeRaw(`${HEADER}\n${lines.join('\n')}\n`);
    const before = snapshot(out);
    const r = run(['run', '--raw', raw, '--out', out, '--quiet']);
    expect(r.status).toBe(1);
    const first = r.stderr.split('\n')[0]!;
    expect(first).toContain(`sousei-kpi: ${join(raw, 'corrections.csv')}: ${where}: ${problem}`);
    expect(first.split(' — ')[1]).toContain(hint);
    expect(r.stderr).toContain('nothing was published');
    expect(r.stdout).toBe('');
    expect(snapshot(out)).toEqual(before);
    expect(realpathSync(join(out, 'latest'))).toBe(firstRelease);
  });

  it('lists every invalid line, not only the first', () => {
    const raw = makeRaw(`${HEADER}\n${TOURISTS},actual_valu,1,x,me,2026-10-01\n${TOURISTS},target_value,0x10,x,me,2026-10-01\n`);
    const r = run(['run', '--raw', raw, '--out', out, '--quiet']);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/line 2, column 2 \(field\)[^\n]*\n[^\n]*line 3, column 3 \(corrected_value\)/u);
  });

  it('refuses a file that is neither UTF-8 nor Shift_JIS (UTF-16 as Excel writes "Unicode text")', () => {
    const raw = makeRaw(Buffer.concat([Buffer.from([0xff, 0xfe]), iconv.encode(`${HEADER}\n${good}\n`, 'utf16le')]));
    const before = snapshot(out);
    const r = run(['run', '--raw', raw, '--out', out, '--quiet']);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('the file is UTF-16 (or binary), not UTF-8 or Shift_JIS');
    expect(snapshot(out)).toEqual(before);
  });
});

describe('the encoding of corrections.csv is detected, never guessed into mojibake', () => {
  const text = `${HEADER}\n# 確定値で訂正 (表・ソ・能 have 0x5C as a second byte in Shift_JIS)\n${TOURISTS},actual_value,5400000,"観光統計の確定値(表2, ソース: 観光振興課)",観光振興課 田中,2026-10-01\n`;

  it('reads UTF-8, UTF-8 with a BOM and Shift_JIS/CP932 into the same text', () => {
    expect(decodeCorrections('x.csv', new Uint8Array(Buffer.from(text, 'utf8')))).toBe(text);
    expect(decodeCorrections('x.csv', new Uint8Array(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text, 'utf8')])))).toBe(text);
    expect(decodeCorrections('x.csv', new Uint8Array(iconv.encode(text, 'cp932')))).toBe(text);
  });

  it('publishes the reason and author of a Shift_JIS file as written', () => {
    const out = mkdtempSync(join(tmpdir(), 'sousei-corr-out-'));
    const r = run(['run', '--raw', makeRaw(iconv.encode(text.replace(/\n/gu, '\r\n'), 'cp932')), '--out', out, '--quiet']);
    expect(r.status, r.stderr).toBe(0);
    const row = csv(realpathSync(join(out, 'latest')), 'numeric_targets.csv').find((x) => x.record_key === TOURISTS)!;
    expect(row.actual_value).toBe('5400000');
    expect(row.extraction_note).toContain('by 観光振興課 田中 on 2026-10-01 because 観光統計の確定値(表2, ソース: 観光振興課)');
  });
});

describe('a corrected value is the same everywhere it shows', () => {
  let before: string;
  let after: string;
  beforeAll(() => {
    const out = mkdtempSync(join(tmpdir(), 'sousei-corr-out-'));
    expect(run(['run', '--raw', makeRaw(null), '--out', out, '--quiet']).status).toBe(0);
    before = realpathSync(join(out, 'latest'));
    const r = run(['run', '--raw', makeRaw(`${HEADER}\n${TOURISTS},actual_value,5400000,Final figure from the 2017 tourism statistics,open-data team,2026-10-01\n`), '--out', out, '--quiet']);
    expect(r.status, r.stderr).toBe(0);
    after = realpathSync(join(out, 'latest'));
  });

  it('the report printed 525万人(集計中), provisional', () => {
    const row = csv(before, 'numeric_targets.csv').find((x) => x.record_key === TOURISTS)!;
    expect([row.actual_text, row.actual_value, row.actual_status]).toEqual(['525万人(集計中)', '5250000', 'provisional']);
  });

  it('CSV, JSON and the cumulative dataset say 5,400,000人, final, with the symbol recomputed', () => {
    const row = csv(after, 'numeric_targets.csv').find((x) => x.record_key === TOURISTS)!;
    expect([row.actual_text, row.actual_value, row.actual_status, row.extraction_status]).toEqual(['5,400,000人', '5400000', 'final', 'corrected']);
    expect([row.progress_ratio, row.progress_recomputed]).toEqual(['166.7', '○']);
    const json = (JSON.parse(readFileSync(join(after, 'numeric_targets.json'), 'utf8')) as Array<Record<string, unknown>>).find((x) => x.record_key === TOURISTS)!;
    expect([json.actual_text, json.actual_value, json.actual_status, json.progress_recomputed]).toEqual(['5,400,000人', 5400000, 'final', '○']);
    const cur = csv(after, 'numeric_targets_current.csv').find((x) => x.indicator_id === '402036-G2-tourists' && x.fiscal_year === '2015')!;
    expect([cur.actual_text, cur.actual_value, cur.actual_status, cur.extraction_status]).toEqual(['5,400,000人', '5400000', 'final', 'corrected']);
  });

  it('findings are computed from the new value', () => {
    const mine = csv(after, 'findings.csv').filter((f) => f.record_key === TOURISTS);
    expect(mine.map((f) => f.rule).sort()).toEqual(['correction_applied', 'progress_symbol_mismatch']);
    const mismatch = mine.find((f) => f.rule === 'progress_symbol_mismatch')!;
    expect(mismatch.message).toContain('actual 5,400,000人');
    expect([mismatch.reported, mismatch.recomputed]).toEqual(['△', '○']);
    for (const f of mine) expect(f.message).not.toContain('525万人');
  });

  it('the page shows the new value in the chart and nowhere the old one', () => {
    const page = readFileSync(join(after, 'index.html'), 'utf8');
    expect(page).toContain('H27 実績値 actual: 5,400,000人');
    expect(page).not.toContain('525万人(集計中)');
    expect(readFileSync(join(before, 'index.html'), 'utf8')).toContain('525万人(集計中)');
  });

  it('the changelog says what was corrected, by whom and why', () => {
    const md = readFileSync(join(after, 'CHANGELOG.md'), 'utf8');
    expect(md).toContain(`## Corrections (訂正) — 1`);
    expect(md).toContain(`- ${TOURISTS}: actual_value corrected from "5250000" to "5400000" by open-data team on 2026-10-01 because Final figure from the 2017 tourism statistics`);
    const log = JSON.parse(readFileSync(join(after, 'changelog.json'), 'utf8')) as { datasets: { numeric_targets: { revised: Array<{ key: Row; changes: Array<{ field: string; old: unknown; new: unknown }> }> } } };
    const rev = log.datasets.numeric_targets.revised.find((r) => r.key.indicator_id === '402036-G2-tourists' && String(r.key.fiscal_year) === '2015')!;
    const changed = Object.fromEntries(rev.changes.map((c) => [c.field, [c.old, c.new]]));
    expect(changed.actual_value).toEqual([5250000, 5400000]);
    expect(changed.actual_text).toEqual(['525万人(集計中)', '5,400,000人']);
    expect(changed.actual_status).toEqual(['provisional', 'final']);
  });

  it('check shows the correction against latest and writes nothing', () => {
    const out = mkdtempSync(join(tmpdir(), 'sousei-corr-out-'));
    expect(run(['run', '--raw', makeRaw(null), '--out', out, '--quiet']).status).toBe(0);
    const id = realpathSync(join(out, 'latest')).split('/').at(-1);
    const before = snapshot(out);
    const r = run(['check', '--raw', makeRaw(`${HEADER}\n${TOURISTS},actual_value,5400000,Final figure,open-data team,2026-10-01\n`), '--out', out, '--quiet']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain(`Against latest (${id}):\n  numeric_targets: 0 rows added, 0 removed, 1 revised (35 → 35 rows)`);
    expect(r.stdout).toContain(`  correction ${TOURISTS}: actual_value corrected from "5250000" to "5400000" by open-data team on 2026-10-01 because Final figure`);
    expect(r.stdout).toMatch(/^ {2}warning progress_symbol_mismatch \(1\)\n {4}402036\/2016\/402036-G2-tourists\/2015 p\.2: .*actual 5,400,000人/mu);
    expect(snapshot(out)).toEqual(before);
  });

  it('the shipped example file is valid and changes nothing (its one line is a comment)', () => {
    const example = readFileSync(join(ROOT, 'raw', 'corrections.example.csv'), 'utf8');
    expect(example.split('\n')[0]).toBe(HEADER);
    const out = mkdtempSync(join(tmpdir(), 'sousei-corr-out-'));
    const r = run(['run', '--raw', makeRaw(example), '--out', out, '--quiet']);
    expect(r.status, r.stderr).toBe(0);
    const ids = readdirSync(join(out, 'releases')).filter((n) => !n.startsWith('.') && n !== 'index.json');
    // Same content hash (the last part of the id) as the release without corrections.
    expect(ids.map((n) => n.split('-').at(-1))).toEqual([before.split('-').at(-1)]);
  });
});
