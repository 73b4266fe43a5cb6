/**
 * raw/publication.json through the real CLI on the real H28 report, in a copy
 * of raw/: a report URL in the config is cited everywhere instead of a copy of
 * the PDF; another licence reaches every catalog under its own id; a change of
 * the metadata makes a new release (the release id names the metadata too);
 * without the file the municipality is named as publisher; a broken file stops
 * the run with a one-line error naming the file, before anything is published.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { PublicationConfig } from '../pipeline/publish/publication.js';
import { CLI, ROOT, tempDir } from './publish-fixture.js';

const KURUME = JSON.parse(readFileSync(join(ROOT, 'raw/publication.json'), 'utf8')) as PublicationConfig;
const PDF_URL = 'https://www.city.kurume.fukuoka.jp/example/h28-progress.pdf';

/** A copy of raw/ with the given publication.json (none when null). */
function rawWith(config: unknown): string {
  const raw = tempDir('sousei-pub-raw-');
  for (const f of ['sources.json', 'indicators.json', 'kurume-sousei-h28-progress.pdf']) copyFileSync(join(ROOT, 'raw', f), join(raw, f));
  if (config !== null) writeFileSync(join(raw, 'publication.json'), typeof config === 'string' ? config : JSON.stringify(config));
  return raw;
}

function run(raw: string, out: string) {
  const r = spawnSync(process.execPath, [CLI, 'run', '--raw', raw, '--out', out, '--quiet'], { cwd: ROOT, encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout.trim(), stderr: r.stderr };
}

const readJson = <T>(p: string): T => JSON.parse(readFileSync(p, 'utf8')) as T;
type Obj = Record<string, unknown>;

describe('raw/publication.json', () => {
  it('cites the published URL of a report instead of copying the PDF, and names a CC0 licence by each catalog\'s id', () => {
    const config: PublicationConfig = { ...KURUME, licence: 'CC0-1.0', reports: [{ file: 'kurume-sousei-h28-progress.pdf', url: PDF_URL, page_url: 'https://www.city.kurume.fukuoka.jp/example/' }] };
    const r = run(rawWith(config), tempDir('sousei-pub-out-'));
    expect(r.status, r.stderr).toBe(0);
    const rel = r.stdout;
    expect(existsSync(join(rel, 'sources'))).toBe(false);
    const dp = readJson<{ sources: Array<{ path: string }>; licenses: Array<{ name: string; path: string }> }>(join(rel, 'datapackage.json'));
    expect(dp.sources.map((s) => s.path)).toEqual([PDF_URL]);
    expect(dp.licenses.map((l) => l.name)).toEqual(['CC0-1.0']);
    const dcat = readJson<Obj>(join(rel, 'dcat.jsonld'));
    expect((dcat['dct:source'] as Obj[])[0]!['@id']).toBe(PDF_URL);
    expect((dcat['dct:license'] as Obj)['@id']).toBe('https://creativecommons.org/publicdomain/zero/1.0/');
    expect(readJson<{ license_id: string }>(join(rel, 'ckan-package.json')).license_id).toBe('cc-zero');
    const page = readFileSync(join(rel, 'index.html'), 'utf8');
    expect(page).toContain(`href="${PDF_URL}"`);
    expect(page).toContain('href="https://creativecommons.org/publicdomain/zero/1.0/" rel="license"');
  });

  it('makes a new release when only the metadata changes, and none when nothing changes', () => {
    const out = tempDir('sousei-pub-out-');
    const first = run(rawWith(KURUME), out);
    const same = run(rawWith(KURUME), out);
    const changed = run(rawWith({ ...KURUME, contact_point: { ...KURUME.contact_point, email: 'opendata@example.jp' } }), out);
    expect([first.status, same.status, changed.status]).toEqual([0, 0, 0]);
    expect(same.stdout).toBe(first.stdout);
    expect(changed.stdout).not.toBe(first.stdout);
    expect(readdirSync(join(out, 'releases')).filter((n) => !n.includes('.'))).toHaveLength(2);
    const dcat = readJson<Obj>(join(changed.stdout, 'dcat.jsonld'));
    expect((dcat['dcat:contactPoint'] as Obj)['vcard:hasEmail']).toEqual({ '@id': 'mailto:opendata@example.jp' });
    // The data files are the same bytes: only the metadata moved.
    expect(readFileSync(join(changed.stdout, 'numeric_targets.csv')).equals(readFileSync(join(first.stdout, 'numeric_targets.csv')))).toBe(true);
  });

  it('without the file, names the municipality as publisher, maintainer and contact, under CC BY 4.0', () => {
    const r = run(rawWith(null), tempDir('sousei-pub-out-'));
    expect(r.status, r.stderr).toBe(0);
    const ckan = readJson<Obj>(join(r.stdout, 'ckan-package.json'));
    expect(ckan).toMatchObject({ license_id: 'cc-by', author: '福岡県久留米市', maintainer: '福岡県久留米市' });
    expect(ckan.owner_org).toBeUndefined();
    const dp = readJson<{ sources: Array<{ path?: string }> }>(join(r.stdout, 'datapackage.json'));
    expect(dp.sources[0]!.path).toBeUndefined(); // no URL known and no copy asked for: the title names file and sha256
  });

  it('stops the run with a one-line error naming the file when it does not match its schema, and publishes nothing', () => {
    const out = tempDir('sousei-pub-out-');
    const raw = rawWith({ ...KURUME, licence: 'CC-BY-SA-4.0' });
    const r = run(raw, out);
    expect(r.status).toBe(1);
    const lines = r.stderr.trim().split('\n');
    // One line naming the file, then the run's last line saying latest did not move.
    expect(lines).toHaveLength(2);
    expect(lines[0]).toContain(join(raw, 'publication.json'));
    expect(lines[1]).toBe('sousei-kpi: nothing was published; latest is unchanged (none)');
    expect(lines[0]).toMatch(/does not match schemas\/publication\.schema\.json: \/licence must be equal to one of the allowed values/u);
    expect(existsSync(join(out, 'latest'))).toBe(false);
    const bad = run(rawWith('{ "publisher": '), out);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/publication\.json: is not valid JSON/u);
  });
});
