/**
 * What publish trusts in the output folder, on the real H28 report and the synthetic
 * FY2018 report (issue 14, items 2, 5 and 7; issue 12, the record of `latest`):
 * - a link or a folder planted at the next release's name is never adopted: the publish
 *   fails naming it, `latest` and releases/index.json stay as they were; an existing
 *   release is reused only when its files match its manifest;
 * - releases/index.json is repaired from the release folders when a run was killed
 *   between renaming its release into place and listing it, or between switching
 *   `latest` and recording the switch;
 * - every switch of `latest`, forward or back, is appended to releases/index.json;
 * - a text longer than a spreadsheet cell holds is cut, with a finding.
 */
import { cpSync, existsSync, mkdirSync, readFileSync, readlinkSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Papa from 'papaparse';
import { beforeAll, describe, expect, it } from 'vitest';
import { InputError } from '../pipeline/lib/registry.js';
import { CELL_LIMITS } from '../pipeline/publish/cells.js';
import type { ReleaseIndex } from '../pipeline/publish/changelog.js';
import { publish } from '../pipeline/publish/index.js';
import type { LatestSwitch } from '../pipeline/publish/releases.js';
import { clone, H28_PDF, H30_PDF, processReports, tempDir, type ReportEntry } from './publish-fixture.js';

let h28: ReportEntry;
let h30: ReportEntry;
beforeAll(async () => {
  [h28, h30] = await processReports([H28_PDF, H30_PDF]);
});

const day = (n: number) => new Date(Date.UTC(2026, 3, n, 3, 0, 0));
type Index = ReleaseIndex & { latest_history?: LatestSwitch[] };
const readIndex = (out: string) => JSON.parse(readFileSync(join(out, 'releases', 'index.json'), 'utf8')) as Index;
const latest = (out: string) => readlinkSync(join(out, 'latest'));

/** The id publish would give these reports on that day (published into a scratch folder). */
function idOf(reports: ReportEntry[], now: Date): { id: string; dir: string } {
  const r = publish(tempDir('sousei-scratch-'), { reports: reports.map(clone) }, now);
  return { id: r.releaseId, dir: r.releaseDir };
}

describe('publish never adopts what it did not write', () => {
  it('a symbolic link planted at the next release name: refused, latest and index unchanged', () => {
    const out = tempDir('sousei-plant-link-');
    const a = publish(out, { reports: [h28] }, day(1));
    const next = idOf([h28, h30], day(2));
    // The attacker's copy of a release, outside the output folder, linked at the next name.
    const outside = tempDir('sousei-outside-');
    cpSync(next.dir, join(outside, 'fake'), { recursive: true });
    symlinkSync(join(outside, 'fake'), join(out, 'releases', next.id));
    const indexBefore = readFileSync(join(out, 'releases', 'index.json'), 'utf8');

    let err: unknown;
    try {
      publish(out, { reports: [h28, h30] }, day(2));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InputError);
    expect(err).toMatchObject({ file: join(out, 'releases', next.id), problem: expect.stringContaining('it is a symbolic link') });
    expect(latest(out)).toBe(`releases/${a.releaseId}`);
    expect(realpathSync(join(out, 'latest')).startsWith(realpathSync(out))).toBe(true);
    expect(readFileSync(join(out, 'releases', 'index.json'), 'utf8')).toBe(indexBefore);
  });

  it('a folder at the next name whose files do not match its manifest: refused, naming the file', () => {
    const out = tempDir('sousei-plant-dir-');
    const a = publish(out, { reports: [h28] }, day(1));
    const next = idOf([h28, h30], day(2));
    const planted = join(out, 'releases', next.id);
    cpSync(next.dir, planted, { recursive: true });
    writeFileSync(join(planted, 'numeric_targets.csv'), readFileSync(join(planted, 'numeric_targets.csv'), 'utf8').replace('17,375', '99,999'));
    expect(() => publish(out, { reports: [h28, h30] }, day(2))).toThrow(/numeric_targets\.csv does not match its manifest/u);
    expect(latest(out)).toBe(`releases/${a.releaseId}`);
    expect(readIndex(out).releases.map((r) => r.id)).toEqual([a.releaseId]);

    // An extra file, or a link inside, is no better.
    cpSync(next.dir, planted, { recursive: true });
    symlinkSync('/etc/passwd', join(planted, 'extra.csv'));
    expect(() => publish(out, { reports: [h28, h30] }, day(2))).toThrow(/extra\.csv is a symbolic link/u);
    rmSync(join(planted, 'extra.csv'));

    // The genuine release (a copy that matches its manifest) is reused.
    const b = publish(out, { reports: [h28, h30] }, day(2));
    expect(b).toMatchObject({ releaseId: next.id, created: false });
    expect(latest(out)).toBe(`releases/${next.id}`);
  });

  it('latest pointing at a link instead of a release folder: refused', () => {
    const out = tempDir('sousei-plant-latest-');
    const a = publish(out, { reports: [h28] }, day(1));
    const dir = join(out, 'releases', a.releaseId);
    cpSync(dir, join(out, 'moved'), { recursive: true });
    rmSync(dir, { recursive: true });
    symlinkSync(join(out, 'moved'), dir);
    expect(() => publish(out, { reports: [h28, h30] }, day(2))).toThrow(/latest points at it, but it is a symbolic link/u);
  });
});

describe('the previous release is read without following links', () => {
  it('a link planted inside the release latest points at: refused, naming it', () => {
    const out = tempDir('sousei-plant-inside-');
    const a = publish(out, { reports: [h28] }, day(1));
    const target = join(a.releaseDir, 'numeric_targets.json');
    rmSync(target);
    symlinkSync('/dev/zero', target);
    expect(() => publish(out, { reports: [h28, h30] }, day(2))).toThrow(expect.objectContaining({ file: target, problem: 'is a symbolic link in a release folder' }));
    expect(latest(out)).toBe(`releases/${a.releaseId}`);
  });
});

describe('releases/index.json', () => {
  it('records every switch of latest, forward and back', () => {
    const out = tempDir('sousei-switch-');
    const a = publish(out, { reports: [h28] }, day(1));
    expect(a.switched).toMatchObject({ from: null, to: a.releaseId, reason: 'new release' });
    const b = publish(out, { reports: [h28, h30] }, day(2));
    const again = publish(out, { reports: [clone(h28)] }, day(3)); // back to the release with the same content
    expect(again).toMatchObject({ releaseId: a.releaseId, created: false, switched: { from: b.releaseId, to: a.releaseId, reason: 'existing release with the same content' } });
    const still = publish(out, { reports: [clone(h28)] }, day(4)); // no switch: nothing recorded
    expect(still.switched).toBeNull();
    const index = readIndex(out);
    expect(index.releases.map((r) => r.id)).toEqual([a.releaseId, b.releaseId]);
    expect(index.latest_history).toEqual([
      { at: day(1).toISOString(), from: null, to: a.releaseId, reason: 'new release' },
      { at: day(2).toISOString(), from: a.releaseId, to: b.releaseId, reason: 'new release' },
      { at: day(3).toISOString(), from: b.releaseId, to: a.releaseId, reason: 'existing release with the same content' },
    ]);
  });

  it('is repaired when a run was killed after renaming its release into place, or after switching latest', () => {
    const out = tempDir('sousei-repair-');
    const a = publish(out, { reports: [h28] }, day(1));
    const afterA = readFileSync(join(out, 'releases', 'index.json'), 'utf8');
    const b = publish(out, { reports: [h28, h30] }, day(2));
    const indexB = readIndex(out);
    // As if killed between the rename of B and its index update: the folder and latest are there, the index is A's.
    writeFileSync(join(out, 'releases', 'index.json'), afterA);
    const changed = clone(h30);
    changed.report.datasets.numeric_targets[0]!.actual_text = '99人';
    const c = publish(out, { reports: [h28, changed] }, day(3));
    expect(c.repaired).toEqual([
      `releases/index.json: listed release ${b.releaseId}, whose folder was complete but not listed (a run was interrupted after writing it)`,
      `releases/index.json: recorded the switch of latest from ${a.releaseId} to ${b.releaseId} (a run was interrupted before recording it)`,
    ]);
    const index = readIndex(out);
    expect(index.releases.map((r) => r.id)).toEqual([a.releaseId, b.releaseId, c.releaseId]);
    expect(index.releases[1]).toEqual(indexB.releases[1]); // the same entry as the one the killed run would have written
    expect(index.latest_history!.map((s) => [s.from, s.to])).toEqual([
      [null, a.releaseId],
      [a.releaseId, b.releaseId],
      [b.releaseId, c.releaseId],
    ]);
    // Nothing to repair the next time.
    expect(publish(out, { reports: [h28, changed].map(clone) }, day(4)).repaired).toEqual([]);
  });

  it('is derivable from the folders: an unreadable index is named; moved away, it is rebuilt', () => {
    const out = tempDir('sousei-rebuild-');
    const a = publish(out, { reports: [h28] }, day(1));
    const b = publish(out, { reports: [h28, h30] }, day(2));
    const before = readIndex(out);
    writeFileSync(join(out, 'releases', 'index.json'), '{ "releases": [');
    expect(() => publish(out, { reports: [h28] }, day(3))).toThrow(InputError);
    expect(latest(out)).toBe(`releases/${b.releaseId}`);
    rmSync(join(out, 'releases', 'index.json'));
    const again = publish(out, { reports: [h28, h30].map(clone) }, day(3));
    expect(again).toMatchObject({ releaseId: b.releaseId, created: false, switched: null });
    expect(readIndex(out).releases).toEqual(before.releases);
    expect(again.repaired).toHaveLength(2);
    expect(a.releaseId).not.toBe(b.releaseId);
  });

  it('a folder that is not a complete release is not listed by the repair', () => {
    const out = tempDir('sousei-repair-partial-');
    const a = publish(out, { reports: [h28] }, day(1));
    mkdirSync(join(out, 'releases', '2026-04-02-0123456789ab'));
    writeFileSync(join(out, 'releases', '2026-04-02-0123456789ab', 'goals.csv'), 'x');
    const b = publish(out, { reports: [h28, h30] }, day(2));
    expect(b.repaired).toEqual([]);
    expect(readIndex(out).releases.map((r) => r.id)).toEqual([a.releaseId, b.releaseId]);
  });
});

describe('cell size', () => {
  it(`a text longer than ${CELL_LIMITS.maxChars} characters is cut in CSV and JSON, with a finding`, () => {
    const out = tempDir('sousei-cell-');
    const long = clone(h28);
    const item = long.report.datasets.text_items[0]!;
    item.text = `${'長い記述'.repeat(14_875)}😀x`; // 59,503 UTF-16 code units
    const r = publish(out, { reports: [long] }, day(1));
    const rows = Papa.parse<Record<string, string>>(readFileSync(join(r.releaseDir, 'text_items.csv'), 'utf8').replace(/^\uFEFF/u, ''), { header: true, skipEmptyLines: true }).data;
    const cut = rows.find((x) => x.goal_no === String(item.goal_no ?? '') && x.section === item.section && x.item_no === String(item.item_no))!;
    expect(cut.text!.length).toBeLessThanOrEqual(CELL_LIMITS.maxChars);
    expect(cut.text!.startsWith('長い記述長い記述')).toBe(true);
    expect(cut.text).toMatch(/…\[27503 more characters cut: a spreadsheet cell holds 32767\]$/u);
    expect(Math.max(...rows.map((x) => Math.max(...Object.values(x).map((v) => v.length))))).toBeLessThanOrEqual(CELL_LIMITS.maxChars);
    const json = JSON.parse(readFileSync(join(r.releaseDir, 'text_items.json'), 'utf8')) as Array<{ text: string }>;
    expect(json.some((x) => x.text === cut.text)).toBe(true);
    const findings = JSON.parse(readFileSync(join(r.releaseDir, 'findings.json'), 'utf8')) as Array<Record<string, unknown>>;
    expect(findings.filter((f) => f.rule === 'cell_truncated')).toEqual([
      expect.objectContaining({ dataset: 'text_items', severity: 'warning', reported: '59503', recomputed: String(CELL_LIMITS.keepChars), message: expect.stringMatching(/^text: 59503 characters, more than a spreadsheet cell holds \(32767\)/u) }),
    ]);
    expect(existsSync(join(r.releaseDir, 'manifest.json'))).toBe(true);
  });
});
