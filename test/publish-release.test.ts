/**
 * Versioned releases: CHANGELOG.md / changelog.json against the previous
 * release (rows added, removed, revised by primary key; findings new/resolved),
 * releases/index.json (append-only), unchanged input as a no-op, byte-identical
 * builds, and the Shift_JIS copies with their cp932_unmappable findings — all on
 * the real H28 report and the synthetic FY2018 report of the corpus.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, readlinkSync, realpathSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import iconv from 'iconv-lite';
import Papa from 'papaparse';
import { beforeAll, describe, expect, it } from 'vitest';
import { runRecordPath } from '../pipeline/cli/run-record.js';
import type { Changelog, ReleaseIndex } from '../pipeline/publish/changelog.js';
import { publish, tableSchema } from '../pipeline/publish/index.js';
import { CLI, clone, H28_PDF, H30_PDF, processReports, ROOT, tempDir, type ReportEntry } from './publish-fixture.js';

let h28: ReportEntry;
let h30: ReportEntry;

beforeAll(async () => {
  [h28, h30] = await processReports([H28_PDF, H30_PDF]);
});

const day = (n: number) => new Date(Date.UTC(2026, 3, n, 3, 0, 0));
const readJson = <T>(p: string): T => JSON.parse(readFileSync(p, 'utf8')) as T;
const releaseDirs = (out: string) => readdirSync(join(out, 'releases')).filter((n) => !n.startsWith('.') && n !== 'index.json').sort();

describe('changelog and release index', () => {
  it('says "initial release" first, then lists added, removed and revised rows and new/resolved findings against latest', () => {
    const out = tempDir('sousei-rel-');
    const first = publish(out, { reports: [h28] }, day(1));
    expect(first.created).toBe(true);
    const log1 = readJson<Changelog>(join(first.releaseDir, 'changelog.json'));
    expect(log1.initial_release).toBe(true);
    expect(log1.previous_release).toBeNull();
    expect(readFileSync(join(first.releaseDir, 'CHANGELOG.md'), 'utf8')).toMatch(/Initial release/u);

    // Second release: H28 with one actual corrected, one text item gone and one finding gone, plus the FY2018 report.
    const changed = clone(h28);
    const row = changed.report.datasets.numeric_targets.find((r) => r.indicator_id === '402036-G1-new-employment' && r.fiscal_year === 2016)!;
    expect(row.actual_value).toBe(17375);
    row.actual_value = 17400;
    row.actual_text = '17,400人';
    const droppedText = changed.report.datasets.text_items.pop()!;
    const droppedFinding = changed.report.findings.shift()!;
    const second = publish(out, { reports: [changed, h30] }, day(2));
    expect(second.created).toBe(true);
    expect(second.releaseId).not.toBe(first.releaseId);
    expect(readlinkSync(join(out, 'latest'))).toBe(`releases/${second.releaseId}`);

    const log = readJson<Changelog>(join(second.releaseDir, 'changelog.json'));
    expect(log.initial_release).toBe(false);
    expect(log.previous_release).toBe(first.releaseId);
    expect(log.previous_content_hash).toBe(readJson<{ content_hash: string }>(join(first.releaseDir, 'manifest.json')).content_hash);
    const nt = log.datasets.numeric_targets!;
    expect(nt.rows_before).toBe(35);
    expect(nt.added).toHaveLength(h30.report.datasets.numeric_targets.length);
    expect(nt.added.every((k) => k.report_fiscal_year === 2018)).toBe(true);
    expect(nt.removed).toEqual([]);
    expect(nt.revised).toEqual([
      {
        key: { municipality_code: '402036', report_fiscal_year: 2016, indicator_id: '402036-G1-new-employment', fiscal_year: 2016 },
        changes: [
          { field: 'actual_text', old: '17,375人', new: '17,400人' },
          { field: 'actual_value', old: 17375, new: 17400 },
        ],
      },
    ]);
    const ti = log.datasets.text_items!;
    expect(ti.removed).toEqual([{ municipality_code: '402036', report_fiscal_year: 2016, goal_no: droppedText.goal_no, section: droppedText.section, item_no: droppedText.item_no }]);
    const findingKey = Object.fromEntries(tableSchema('findings').primaryKey.map((k) => [k, droppedFinding[k as keyof typeof droppedFinding]]));
    expect(log.findings.resolved.map((f) => f.key)).toEqual([findingKey]);
    expect(log.findings.added.length).toBe(h30.report.findings.length);
    expect(log.findings.added.every((f) => f.key.report_fiscal_year === 2018)).toBe(true);

    const md = readFileSync(join(second.releaseDir, 'CHANGELOG.md'), 'utf8');
    expect(md).toContain(`Compared with the previous release **${first.releaseId}**`);
    expect(md).toContain('402036 / 2016 / 402036-G1-new-employment / 2016: actual_text "17,375人" → "17,400人"; actual_value 17375 → 17400');
    expect(md).toMatch(/### Resolved findings \(解消\) — 1/u);
    expect(md).toMatch(new RegExp(`### Added \\(追加\\) — ${nt.added.length}`, 'u'));

    // The manifest covers the changelog files too.
    const manifest = readJson<{ files: Array<{ path: string }> }>(join(second.releaseDir, 'manifest.json'));
    expect(manifest.files.map((f) => f.path)).toEqual(expect.arrayContaining(['CHANGELOG.md', 'changelog.json', 'index.html', 'dcat.jsonld']));

    const index = readJson<ReleaseIndex>(join(out, 'releases', 'index.json'));
    expect(index.releases.map((r) => [r.id, r.previous])).toEqual([
      [first.releaseId, null],
      [second.releaseId, first.releaseId],
    ]);
    expect(index.releases[1]!.row_counts.numeric_targets).toBe(35 + h30.report.datasets.numeric_targets.length);
    expect(index.releases[0]!.created).toBe(day(1).toISOString());
    expect(readdirSync(join(out, 'releases')).filter((n) => n.startsWith('.'))).toEqual([]);
  });

  it('publishes nothing new for identical input: same release, index.json and folders untouched', () => {
    const out = tempDir('sousei-noop-');
    const first = publish(out, { reports: [h28] }, day(1));
    const indexBefore = readFileSync(join(out, 'releases', 'index.json'));
    const again = publish(out, { reports: [clone(h28)] }, day(9));
    expect(again.created).toBe(false);
    expect(again.releaseId).toBe(first.releaseId);
    expect(releaseDirs(out)).toEqual([first.releaseId]);
    expect(readFileSync(join(out, 'releases', 'index.json')).equals(indexBefore)).toBe(true);
    // The release's changelog was not rewritten with the later date.
    expect(readJson<Changelog>(join(first.releaseDir, 'changelog.json')).created).toBe(day(1).toISOString());
  });

  it('the run command on unchanged input keeps the release (real CLI, twice)', () => {
    const out = tempDir('sousei-cli-noop-');
    const a = execFileSync(process.execPath, [CLI, 'run', '--out', out, '--quiet'], { cwd: ROOT, encoding: 'utf8' }).trim();
    // The second run also prints its stage timings, and leaves nothing in its temporary folder.
    const tmp = tempDir('sousei-cli-tmp-');
    const again = () => spawnSync(process.execPath, [CLI, 'run', '--out', out, '--quiet', '--timings'], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, TMPDIR: tmp } });
    const timingsOf = (r: ReturnType<typeof again>) => JSON.parse(/^\[timings\] (.*)$/mu.exec(r.stderr)![1]!) as Record<string, number>;
    // Unchanged input and output folder: answered from the last run's record (cli/rerun.ts).
    const skipped = again();
    expect([skipped.status, skipped.stdout.trim()]).toEqual([0, a]);
    expect(timingsOf(skipped)).toMatchObject({ unchanged_input: true, parsed: 0, cached: 0, publish_ms: 0 });
    // Without the record, the full run: the extraction comes from the cache (extract/cache.ts); no worker parses.
    rmSync(runRecordPath(out));
    const second = again();
    expect(second.status, second.stderr).toBe(0);
    const b = second.stdout.trim();
    expect(b).toBe(a);
    const timings = timingsOf(second);
    expect(timings).toMatchObject({ reports: 1, pages: 5 });
    for (const k of ['extract_ms', 'normalize_ms', 'validate_ms', 'publish_ms', 'wall_ms']) expect(timings[k], k).toBeGreaterThanOrEqual(0);
    expect(timings).toMatchObject({ parsed: 0, cached: 1, extract_ms: 0, unchanged_input: false });
    expect(timings.wall_ms).toBeGreaterThan(timings.publish_ms!);
    expect(readdirSync(tmp)).toEqual([]);
    expect(releaseDirs(out)).toHaveLength(1);
    expect(readJson<ReleaseIndex>(join(out, 'releases', 'index.json')).releases).toHaveLength(1);
    expect(realpathSync(join(out, 'latest'))).toBe(realpathSync(a));
  });

  it('is deterministic: same reports in any order, in memory or read on demand, give byte-identical files', () => {
    const a = publish(tempDir('sousei-det-'), { reports: [h28, h30] }, day(1));
    const lazy30 = clone(h30);
    const b = publish(tempDir('sousei-det-'), { reports: [{ source: lazy30.source, report: () => clone(lazy30.report) }, clone(h28)] }, day(1));
    expect(b.releaseId).toBe(a.releaseId);
    const files = (dir: string) => execFileSync('find', ['.', '-type', 'f'], { cwd: dir, encoding: 'utf8' }).split('\n').filter(Boolean).sort();
    expect(files(b.releaseDir)).toEqual(files(a.releaseDir));
    for (const f of files(a.releaseDir)) expect(readFileSync(join(b.releaseDir, f)).equals(readFileSync(join(a.releaseDir, f))), f).toBe(true);
  });
});

/** The H28 report as if another municipality had published it (every occurrence of Kurume's code replaced). */
function asMunicipality(e: ReportEntry, code: string, name: string): ReportEntry {
  const text = JSON.stringify(e).replaceAll('402036', code).replaceAll('福岡県久留米市', name);
  return JSON.parse(text) as ReportEntry;
}

describe('releases of many municipalities (written one municipality at a time)', () => {
  const codes = ['401005', '402036', '131016', '271004'];
  const entries = () => codes.map((c, i) => (c === '402036' ? clone(h28) : asMunicipality(h28, c, `テスト市${i}`)));

  it('publish every dataset sorted by municipality, the JSON exactly as JSON.stringify writes it, the CSV row for row the same', () => {
    const r = publish(tempDir('sousei-many-'), { reports: entries() }, day(1));
    for (const ds of ['goals', 'numeric_targets', 'numeric_targets_current', 'kpi_summary', 'text_items', 'findings']) {
      const text = readFileSync(join(r.releaseDir, `${ds}.json`), 'utf8');
      const rows = JSON.parse(text) as Array<Record<string, unknown>>;
      expect(`${JSON.stringify(rows, null, 2)}\n`, ds).toBe(text);
      expect(rows.length, ds).toBe(r.rowCounts[ds as keyof typeof r.rowCounts]);
      const seen = rows.map((x) => x.municipality_code as string);
      expect(seen, ds).toEqual([...seen].sort());
      expect(new Set(seen), ds).toEqual(new Set(codes));
      const csv = Papa.parse<Record<string, string>>(readFileSync(join(r.releaseDir, `${ds}.csv`), 'utf8').slice(1), { header: true, skipEmptyLines: true });
      expect(csv.errors, ds).toEqual([]);
      expect(csv.data.map((x) => x.municipality_code), ds).toEqual(seen);
    }
    expect(r.rowCounts.numeric_targets).toBe(codes.length * h28.report.datasets.numeric_targets.length);
    const page = readFileSync(join(r.releaseDir, 'index.html'), 'utf8');
    for (const [i, c] of codes.entries()) if (c !== '402036') expect(page).toContain(`テスト市${i} (${c})`);
    expect((page.match(/<figure>/gu) ?? []).length).toBe(codes.length * (new Set(h28.report.datasets.numeric_targets.map((x) => x.indicator_id)).size + 1));
  });

  it('compare with the previous release municipality by municipality: a dropped municipality is removed, a changed value revised', () => {
    const out = tempDir('sousei-many-log-');
    publish(out, { reports: entries() }, day(1));
    const next = entries().filter((e) => e.source.municipality_code !== '131016');
    const osaka = next.find((e) => e.source.municipality_code === '271004')!;
    const row = osaka.report.datasets.numeric_targets.find((x) => x.fiscal_year === 2016 && x.actual_value !== null)!;
    row.actual_value = row.actual_value! + 1;
    const second = publish(out, { reports: next }, day(2));
    const log = readJson<Changelog>(join(second.releaseDir, 'changelog.json'));
    const nt = log.datasets.numeric_targets!;
    expect(nt.rows_before).toBe(codes.length * h28.report.datasets.numeric_targets.length);
    expect(nt.rows_after).toBe((codes.length - 1) * h28.report.datasets.numeric_targets.length);
    expect(nt.added).toEqual([]);
    expect(nt.removed).toHaveLength(h28.report.datasets.numeric_targets.length);
    expect(nt.removed.every((k) => k.municipality_code === '131016')).toBe(true);
    expect(nt.revised).toEqual([{ key: { municipality_code: '271004', report_fiscal_year: row.report_fiscal_year, indicator_id: row.indicator_id, fiscal_year: 2016 }, changes: [{ field: 'actual_value', old: row.actual_value! - 1, new: row.actual_value }] }]);
    expect(log.findings.resolved.length).toBe(h28.report.findings.length);
    expect(log.findings.resolved.every((f) => (f.key as { municipality_code: string }).municipality_code === '131016')).toBe(true);
  });
});

describe('Shift_JIS copies', () => {
  let out: string;
  let plainId: string;
  let sjisDir: string;
  let sjisId: string;

  beforeAll(() => {
    out = tempDir('sousei-sjis-');
    plainId = publish(out, { reports: [h28] }, day(1)).releaseId;
    const r = publish(out, { reports: [h28], sjis: true }, day(2));
    sjisDir = r.releaseDir;
    sjisId = r.releaseId;
  });

  it('are a release of their own, and the changelog says the options changed', () => {
    expect(sjisId).not.toBe(plainId);
    const log = readJson<Changelog>(join(sjisDir, 'changelog.json'));
    expect(log.publication).toEqual({ sjis: true, base_url: null });
    expect(log.summary.join('\n')).toMatch(/Shift_JIS copies off → on/u);
    expect(existsSync(join(out, 'releases', plainId, 'sjis'))).toBe(false);
    expect(existsSync(join(sjisDir, 'sjis', 'numeric_targets.csv'))).toBe(true);
  });

  it('hold every row in CP932 (no BOM), with the best fit ― for the em dashes of goal 5, and leave findings.csv as it is', () => {
    const utf8 = readFileSync(join(sjisDir, 'numeric_targets.csv'));
    const sjis = readFileSync(join(sjisDir, 'sjis', 'numeric_targets.csv'));
    expect([...sjis.subarray(0, 3)]).not.toEqual([0xef, 0xbb, 0xbf]);
    const a = Papa.parse<Record<string, string>>(utf8.toString('utf8').slice(1), { header: true, skipEmptyLines: true });
    const b = Papa.parse<Record<string, string>>(iconv.decode(sjis, 'cp932'), { header: true, skipEmptyLines: true });
    expect(b.errors).toEqual([]);
    expect(b.data).toHaveLength(a.data.length);
    const dashed = a.data.filter((r) => r.actual_text === '—').map((r) => r.record_key);
    expect(dashed.length).toBeGreaterThan(0);
    for (let i = 0; i < a.data.length; i++) {
      const x = a.data[i]!, y = b.data[i]!;
      // EM DASH U+2014 → HORIZONTAL BAR U+2015, the character CP932 has at its JIS X 0208 place (0x815C).
      for (const k of Object.keys(x)) expect(y[k], `${x.record_key} ${k}`).toBe(x[k]!.replaceAll('—', '―'));
    }
    expect(sjis.includes(Buffer.from([0x81, 0x5c]))).toBe(true);
    expect(iconv.decode(sjis, 'cp932')).not.toContain('?');
    // The Japanese text survives: CP932 holds it.
    expect(iconv.decode(sjis, 'cp932')).toContain('市内の大学等の新卒者の市内企業への就職率');
    // Nothing was lost, so the list beside the copies has its header only.
    expect(readFileSync(join(sjisDir, 'sjis', 'unmappable.csv'), 'utf8')).toBe('\ufefffile,record_key,column,characters,code_points\r\n');
    // The UTF-8 findings are those of the release without copies, byte for byte.
    expect(readFileSync(join(sjisDir, 'findings.csv')).equals(readFileSync(join(out, 'releases', plainId, 'findings.csv')))).toBe(true);
    expect(readFileSync(join(sjisDir, 'findings.csv'), 'utf8')).not.toContain('cp932');
    // Every sjis copy decodes to the same number of lines as its UTF-8 original.
    for (const name of readdirSync(join(sjisDir, 'sjis')).filter((n) => n !== 'unmappable.csv')) {
      const u = readFileSync(join(sjisDir, name), 'utf8').slice(1).split('\r\n').length;
      expect(iconv.decode(readFileSync(join(sjisDir, 'sjis', name)), 'cp932').split('\r\n').length, name).toBe(u);
    }
    expect(existsSync(join(sjisDir, 'sjis', 'text_items.csv'))).toBe(true);
  });

  it('write "?" only where no best fit exists, and list exactly those cells in sjis/unmappable.csv', () => {
    const planted = clone(h28);
    const row = planted.report.datasets.numeric_targets.find((r) => r.indicator_id === '402036-G1-new-employment')!;
    row.indicator_name = `${row.indicator_name}𠮷〜café−1`;
    const dir = publish(tempDir('sousei-sjis-planted-'), { reports: [planted], sjis: true }, day(1)).releaseDir;
    const text = iconv.decode(readFileSync(join(dir, 'sjis', 'numeric_targets.csv')), 'cp932');
    // 〜 → ～ and − → － (best fit); 𠮷 and é have none.
    expect(text).toContain('?～caf?－1');
    const listed = Papa.parse<Record<string, string>>(readFileSync(join(dir, 'sjis', 'unmappable.csv'), 'utf8').slice(1), { header: true, skipEmptyLines: true }).data;
    expect(listed.filter((l) => l.file === 'sjis/numeric_targets.csv')).toEqual([{ file: 'sjis/numeric_targets.csv', record_key: row.record_key, column: 'indicator_name', characters: '𠮷é', code_points: 'U+20BB7 U+00E9' }]);
    // numeric_targets_current carries the name too; nothing else lost a character.
    expect(listed.every((l) => l.characters === '𠮷é' && l.column === 'indicator_name')).toBe(true);
    const findings = readFileSync(join(dir, 'findings.csv'), 'utf8');
    expect(findings).not.toContain('cp932');
  });
});
