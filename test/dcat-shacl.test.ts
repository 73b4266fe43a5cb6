/**
 * dcat.jsonld of a real release (the bundled H28 report through the real CLI,
 * with raw/publication.json) against the official DCAT-AP 3.0.1 SHACL shapes
 * vendored in schemas/dcat-ap-3.0.1/ (SOURCE there), run by rdf-validate-shacl:
 * no violation of the mandatory shapes nor of the class-range shapes; of the
 * recommended properties, only the geometry of the place (bbox, centroid) is
 * missing. A broken copy proves the shapes do catch the old faults. Then the
 * facts that come from one place — dates, temporal coverage, licence,
 * publisher, contact — agree across datapackage.json, dcat.jsonld,
 * ckan-package.json and index.html.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { DataFactory } from 'n3';
import { beforeAll, describe, expect, it } from 'vitest';
import { CLI, ROOT, tempDir } from './publish-fixture.js';
import { jsonldToStore, shaclResults } from './support/shacl.js';

type Node = Record<string, unknown>;
const BASE = 'https://opendata.example.jp/sousei/r1/dcat.jsonld';
const DCAT = 'http://www.w3.org/ns/dcat#';
const RDF_TYPE = 'http://www.w3.org/1999/02/22-rdf-syntax-ns#type';

let rel: string;
let doc: Node;
const readJson = <T>(p: string): T => JSON.parse(readFileSync(p, 'utf8')) as T;

beforeAll(() => {
  const out = tempDir('sousei-shacl-');
  rel = realpathSync(execFileSync(process.execPath, [CLI, 'run', '--out', out, '--quiet'], { cwd: ROOT, encoding: 'utf8' }).trim());
  doc = readJson<Node>(join(rel, 'dcat.jsonld'));
});

describe('dcat.jsonld against the DCAT-AP 3.0.1 SHACL shapes', () => {
  it('has no violation of the mandatory shapes (shapes.ttl)', async () => {
    const store = await jsonldToStore(doc, BASE);
    expect(store.size).toBeGreaterThan(300);
    expect(await shaclResults(store, 'shapes.ttl')).toEqual([]);
  });

  it('has no violation of the class-range shapes (range.ttl)', async () => {
    expect(await shaclResults(await jsonldToStore(doc, BASE), 'range.ttl')).toEqual([]);
  });

  it('carries the recommended properties of the dataset and of every distribution; only the place has no geometry', async () => {
    const store = await jsonldToStore(doc, BASE);
    const results = await shaclResults(store, 'shapes_recommended.ttl');
    const dataset = `${new URL('dcat.jsonld', BASE).href}#dataset`;
    const own = new Set([dataset, ...store.getObjects(DataFactory.namedNode(dataset), DataFactory.namedNode(`${DCAT}distribution`), null).map((o) => o.value)]);
    expect(own.size).toBe(1 + (doc['dcat:distribution'] as Node[]).length);
    expect(results.filter((r) => own.has(r.focus))).toEqual([]);
    // The place (e-Stat LOD URI of the municipality) is named, not drawn.
    const place = results.filter((r) => r.focus === 'http://data.e-stat.go.jp/lod/sac/C40203').map((r) => r.path).sort();
    expect(place).toEqual([`${DCAT}bbox`, `${DCAT}centroid`]);
    expect(results.every((r) => r.severity === 'Warning')).toBe(true);
    expect(store.getQuads(DataFactory.namedNode(dataset), DataFactory.namedNode(RDF_TYPE), DataFactory.namedNode(`${DCAT}Dataset`), null)).toHaveLength(1);
  });

  it('reports the faults of the old file: a literal dct:format, no accessURL, an untyped licence and media type', async () => {
    const broken = structuredClone(doc);
    const d = (broken['dcat:distribution'] as Node[])[0]!;
    d['dct:format'] = 'CSV';
    delete d['dcat:accessURL'];
    d['dct:license'] = { '@id': 'https://creativecommons.org/licenses/by/4.0/deed.ja' };
    d['dcat:mediaType'] = { '@id': 'https://www.iana.org/assignments/media-types/text/csv' };
    const store = await jsonldToStore(broken, BASE);
    const mandatory = await shaclResults(store, 'shapes.ttl');
    expect(mandatory.map((r) => r.path).sort()).toEqual(['http://purl.org/dc/terms/format', `${DCAT}accessURL`]);
    const range = await shaclResults(store, 'range.ttl');
    expect(range.map((r) => r.path)).toEqual(expect.arrayContaining(['http://purl.org/dc/terms/format', 'http://purl.org/dc/terms/license', `${DCAT}mediaType`]));
  });
});

describe('one source for dates, coverage, licence and publisher', () => {
  it('datapackage.json, dcat.jsonld, ckan-package.json and index.html agree', () => {
    const dp = readJson<{ created: string; version: string; temporalCoverage: { start: string; end: string }; licenses: Array<{ name: string; path: string }>; contributors: Array<{ title: string; roles: string[] }>; sources: Array<{ path?: string }> }>(join(rel, 'datapackage.json'));
    const ckan = readJson<{ license_id: string; version: string; author: string; maintainer: string; owner_org: string; extras: Array<{ key: string; value: string }> }>(join(rel, 'ckan-package.json'));
    const extras = Object.fromEntries(ckan.extras.map((e) => [e.key, e.value]));
    const page = readFileSync(join(rel, 'index.html'), 'utf8');
    const config = readJson<{ publisher: { name: { ja: string } }; maintainer: { name: { ja: string } }; contact_point: { name: { ja: string } }; ckan_owner_org: string }>(join(ROOT, 'raw/publication.json'));
    const modified = (doc['dct:modified'] as Node)['@value'];
    const temporal = doc['dct:temporal'] as Record<string, Node>;
    // Dates: the release day in Japan, from the same clock reading as datapackage.json's created.
    const jst = new Date(new Date(dp.created).getTime() + 9 * 3600_000).toISOString().slice(0, 10);
    expect(modified).toBe(jst);
    expect((doc['dct:issued'] as Node)['@value']).toBe(jst);
    expect(extras.modified).toBe(jst);
    expect(page).toContain(`<time datetime="${jst}">`);
    expect(dp.version).toBe(jst.split('-').map(Number).join('.'));
    expect(doc['dcat:version']).toBe(dp.version);
    expect(ckan.version).toBe(dp.version);
    // Temporal coverage: FY2015 (baseline of the H28 report) to FY2019 (final target).
    expect(dp.temporalCoverage).toEqual({ start: '2015-04-01', end: '2020-03-31' });
    expect([temporal['dcat:startDate']!['@value'], temporal['dcat:endDate']!['@value']]).toEqual(['2015-04-01', '2020-03-31']);
    expect([extras.temporal_start, extras.temporal_end]).toEqual(['2015-04-01', '2020-03-31']);
    // Licence: CC BY 4.0 everywhere, under each catalog's own id.
    expect(dp.licenses).toEqual([expect.objectContaining({ name: 'CC-BY-4.0', path: 'https://creativecommons.org/licenses/by/4.0/' })]);
    expect((doc['dct:license'] as Node)['@id']).toBe('https://creativecommons.org/licenses/by/4.0/');
    expect(ckan.license_id).toBe('cc-by');
    expect(page).toContain('href="https://creativecommons.org/licenses/by/4.0/" rel="license"');
    // Publisher, maintainer and contact from raw/publication.json.
    const publisher = doc['dct:publisher'] as Node;
    expect((publisher['foaf:name'] as Node[]).map((n) => n['@value'])).toContain(config.publisher.name.ja);
    expect(dp.contributors.map((c) => [c.roles[0], c.title])).toEqual([['publisher', config.publisher.name.ja], ['maintainer', config.maintainer.name.ja], ['contact', config.contact_point.name.ja]]);
    expect([ckan.author, ckan.maintainer, ckan.owner_org]).toEqual([config.publisher.name.ja, config.maintainer.name.ja, config.ckan_owner_org]);
    expect(((doc['dcat:contactPoint'] as Node)['vcard:fn'] as Node[]).map((n) => n['@value'])).toContain(config.contact_point.name.ja);
    expect(page).toContain(config.contact_point.name.ja);
    // The source report: no published URL is known, so it is copied into the release and every catalog points at the copy.
    expect(dp.sources.map((s) => s.path)).toEqual(['sources/kurume-sousei-h28-progress.pdf']);
    expect(readFileSync(join(rel, 'sources/kurume-sousei-h28-progress.pdf')).equals(readFileSync(join(ROOT, 'raw/kurume-sousei-h28-progress.pdf')))).toBe(true);
    expect(page).toContain('href="sources/kurume-sousei-h28-progress.pdf"');
  });
});
