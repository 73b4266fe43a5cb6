/**
 * Catalog metadata of a real release (the H28 report through the real CLI):
 * datapackage.json against the Data Package v2 profile, dcat.jsonld expanded
 * and converted to RDF by the JSON-LD reference implementation, ckan-package.json
 * against CKAN's package_create rules, data-dictionary.csv against the schemas,
 * and the 総務省 machine-readable rules for the CSV files.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { join } from 'node:path';
import jsonld from 'jsonld';
import Papa from 'papaparse';
import { beforeAll, describe, expect, it } from 'vitest';
import { DATASET_SCHEMAS } from '../pipeline/lib/records.gen.js';
import { resolveProperty, schemaDoc } from '../pipeline/lib/schemas.js';
import { spatialUri } from '../pipeline/publish/catalog.js';
import { assertValidDataPackage } from '../pipeline/publish/datapackage.js';
import { DATASETS, neutraliseCell, tableSchema } from '../pipeline/publish/index.js';
import { CLI, ROOT, tempDir } from './publish-fixture.js';

const H28_SHA = '4ab504eaacc91d16cd7ed245896860b6d385300c7f8f293da224d026614472b0';
const DCAT = 'http://www.w3.org/ns/dcat#';
const DCT = 'http://purl.org/dc/terms/';
const SPDX = 'http://spdx.org/rdf/terms#';

type Row = Record<string, string>;
type Node = Record<string, unknown>;

let rel: string;
let relBase: string;

const sha = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');
const readJson = <T>(p: string): T => JSON.parse(readFileSync(p, 'utf8')) as T;

function readCsv(path: string): { header: string[]; rows: string[][] } {
  const text = readFileSync(path, 'utf8');
  expect(text.charCodeAt(0), `${path} starts with a BOM`).toBe(0xfeff);
  const parsed = Papa.parse<string[]>(text.slice(1), { skipEmptyLines: true });
  expect(parsed.errors).toEqual([]);
  const [header, ...rows] = parsed.data;
  return { header: header!, rows };
}

function run(out: string, ...extra: string[]): string {
  return execFileSync(process.execPath, [CLI, 'run', '--out', out, '--quiet', ...extra], { cwd: ROOT, encoding: 'utf8' }).trim();
}

beforeAll(() => {
  rel = realpathSync(run(tempDir('sousei-meta-')));
  relBase = realpathSync(run(tempDir('sousei-meta-base-'), '--base-url', 'https://opendata.example.jp/sousei/2026'));
});

describe('datapackage.json', () => {
  it('satisfies the Data Package v2 profile and points at files that exist with the stated size and hash', () => {
    const dp = readJson<{ resources: Array<{ path: string; bytes: number; hash: string }> }>(join(rel, 'datapackage.json'));
    expect(() => assertValidDataPackage(dp)).not.toThrow();
    for (const r of dp.resources) {
      expect(statSync(join(rel, r.path)).size).toBe(r.bytes);
      expect(r.hash).toBe(`sha256:${sha(join(rel, r.path))}`);
    }
  });
});

describe('dcat.jsonld', () => {
  let doc: Node;
  let expanded: Node[];
  const base = 'http://127.0.0.1:8080/releases/x/dcat.jsonld';

  beforeAll(async () => {
    doc = readJson<Node>(join(rel, 'dcat.jsonld'));
    expanded = (await jsonld.expand(doc, { base })) as Node[];
  });

  const one = (n: Node, p: string) => (n[p] as Node[])[0]!;
  const values = (n: Node, p: string) => ((n[p] as Node[] | undefined) ?? []).map((v) => v['@value'] ?? v['@id']);

  it('is JSON-LD with an inline @context that expands to one dcat:Dataset with the required properties', () => {
    expect(doc['@context']).toMatchObject({ dcat: DCAT, dct: DCT });
    expect(expanded).toHaveLength(1);
    const ds = expanded[0]!;
    expect(ds['@type']).toEqual([`${DCAT}Dataset`]);
    const titles = ds[`${DCT}title`] as Node[];
    expect(titles.map((t) => t['@language']).sort()).toEqual(['en', 'ja']);
    expect(titles.find((t) => t['@language'] === 'ja')!['@value']).toContain('福岡県久留米市');
    expect((ds[`${DCT}description`] as Node[]).map((t) => t['@language']).sort()).toEqual(['en', 'ja']);
    const publisher = one(ds, `${DCT}publisher`);
    expect(values(publisher, 'http://xmlns.com/foaf/0.1/name')).toEqual(['福岡県久留米市', 'Kurume City, Fukuoka Prefecture']);
    expect(values(publisher, `${DCT}identifier`)).toEqual(['402036']);
    expect(values(ds, `${DCT}license`)).toEqual(['https://creativecommons.org/licenses/by/4.0/']);
    const temporal = one(ds, `${DCT}temporal`);
    expect(one(temporal, `${DCAT}startDate`)).toEqual({ '@value': '2015-04-01', '@type': 'http://www.w3.org/2001/XMLSchema#date' });
    expect(one(temporal, `${DCAT}endDate`)['@value']).toBe('2020-03-31');
    const spatial = one(ds, `${DCT}spatial`);
    expect(spatial['@id']).toBe('http://data.e-stat.go.jp/lod/sac/C40203');
    expect(values(spatial, `${DCT}identifier`)).toEqual(['402036']);
    expect(values(ds, `${DCT}accrualPeriodicity`)).toEqual(['http://publications.europa.eu/resource/authority/frequency/ANNUAL']);
    expect(values(ds, `${DCAT}keyword`)).toEqual(expect.arrayContaining(['地方創生', 'KPI']));
    expect(values(ds, `${DCAT}landingPage`)).toEqual(['http://127.0.0.1:8080/releases/x/index.html']);
    // Attribution names the source file and its sha256; so does dct:source.
    const rights = (one(ds, `${DCT}rights`)['http://www.w3.org/2000/01/rdf-schema#label'] as Node[]).map((l) => String(l['@value']));
    expect(rights.join(' ')).toContain(`kurume-sousei-h28-progress.pdf, SHA-256 ${H28_SHA}`);
    const source = one(ds, `${DCT}source`);
    expect(values(source, `${DCT}identifier`)).toEqual(['kurume-sousei-h28-progress.pdf']);
    // The report is a dcat:Dataset of its own; its PDF (copied into the release, no published URL being known) is the distribution.
    expect(source['@type']).toEqual([`${DCAT}Dataset`]);
    const pdf = one(source, `${DCAT}distribution`);
    expect(values(pdf, `${DCAT}downloadURL`)).toEqual(['http://127.0.0.1:8080/releases/x/sources/kurume-sousei-h28-progress.pdf']);
    expect(values(one(pdf, `${SPDX}checksum`), `${SPDX}checksumValue`)).toEqual([H28_SHA]);
    expect(sha(join(rel, 'sources/kurume-sousei-h28-progress.pdf'))).toBe(H28_SHA);
  });

  it('has a distribution per data file whose relative download URL, media type, size and sha256 match the file', () => {
    const dists = expanded[0]![`${DCAT}distribution`] as Node[];
    const dataFiles = [...DATASETS.flatMap((d) => [`${d}.csv`, `${d}.json`]), 'codes.csv', 'data-dictionary.csv', 'datapackage.json'];
    expect(dists).toHaveLength(dataFiles.length);
    const seen: string[] = [];
    for (const d of dists) {
      expect(d['@type']).toEqual([`${DCAT}Distribution`]);
      const url = String(values(d, `${DCAT}downloadURL`)[0]);
      expect(url.startsWith('http://127.0.0.1:8080/releases/x/')).toBe(true); // relative in the file, resolved against its URL
      const path = url.slice('http://127.0.0.1:8080/releases/x/'.length);
      seen.push(path);
      expect(values(d, `${DCAT}byteSize`)).toEqual([String(statSync(join(rel, path)).size)]);
      const cs = one(d, `${SPDX}checksum`);
      expect(values(cs, `${SPDX}algorithm`)).toEqual([`${SPDX}checksumAlgorithm_sha256`]);
      expect(values(cs, `${SPDX}checksumValue`)).toEqual([sha(join(rel, path))]);
      expect(values(d, `${DCAT}mediaType`)).toEqual([`http://www.iana.org/assignments/media-types/${path.endsWith('.csv') ? 'text/csv' : 'application/json'}`]);
      expect(values(d, `${DCT}format`)).toEqual([`http://publications.europa.eu/resource/authority/file-type/${path.endsWith('.csv') ? 'CSV' : 'JSON'}`]);
    }
    expect(seen.sort()).toEqual(dataFiles.sort());
    const raw = (doc['dcat:distribution'] as Node[]).map((d) => (d['dcat:downloadURL'] as Node)['@id']);
    expect(raw).toContain('numeric_targets.csv');
  });

  it('converts to RDF (N-Quads) without dropping data, and uses absolute URLs under --base-url', async () => {
    const nquads = (await jsonld.toRDF(doc, { base, format: 'application/n-quads' })) as string;
    expect(nquads).toContain(`<${DCAT}downloadURL> <http://127.0.0.1:8080/releases/x/numeric_targets.csv>`);
    expect(nquads).toContain('"福岡県久留米市"@ja');
    const abs = readJson<Node>(join(relBase, 'dcat.jsonld'));
    const urls = (abs['dcat:distribution'] as Node[]).map((d) => String((d['dcat:downloadURL'] as Node)['@id']));
    expect(urls.every((u) => u.startsWith('https://opendata.example.jp/sousei/2026/'))).toBe(true);
    expect(urls).toContain('https://opendata.example.jp/sousei/2026/numeric_targets.csv');
    const ckan = readJson<{ resources: Array<{ url: string }>; url: string }>(join(relBase, 'ckan-package.json'));
    expect(ckan.resources.map((r) => r.url)).toEqual(urls);
    expect(ckan.url).toBe('https://opendata.example.jp/sousei/2026/index.html');
  });
});

describe('ckan-package.json', () => {
  it('is a package_create payload CKAN accepts: name, licence, valid tags, extras, and resources matching the files', () => {
    const pkg = readJson<{
      name: string;
      title: string;
      notes: string;
      license_id: string;
      tags: Array<{ name: string }>;
      extras: Array<{ key: string; value: string }>;
      resources: Array<{ name: string; url: string; format: string; mimetype: string; size: number; hash: string }>;
    }>(join(rel, 'ckan-package.json'));
    expect(pkg.name).toMatch(/^[a-z0-9_-]{2,100}$/u);
    expect(pkg.name).toBe('sousei-kpi-402036');
    expect(pkg.license_id).toBe('cc-by'); // CKAN's default licence list names CC BY 4.0 "cc-by"
    expect(pkg).toMatchObject({ owner_org: 'kurume-city', author: '福岡県久留米市', maintainer: '久留米市 オープンデータ担当' });
    expect(pkg.title).toContain('福岡県久留米市');
    expect(pkg.notes).toContain(`kurume-sousei-h28-progress.pdf (SHA-256 ${H28_SHA})`);
    expect(pkg.notes).toContain('CC BY 4.0');
    expect(pkg.tags.length).toBeGreaterThan(3);
    for (const t of pkg.tags) expect(t.name).toMatch(/^[\p{L}\p{N}\p{M} _.-]{2,100}$/u);
    const keys = pkg.extras.map((e) => e.key);
    expect(new Set(keys).size).toBe(keys.length);
    expect(Object.fromEntries(pkg.extras.map((e) => [e.key, e.value]))).toMatchObject({ municipality_code: '402036', temporal_start: '2015-04-01', frequency: 'annual' });
    expect(pkg.resources.length).toBe(DATASETS.length * 2 + 3);
    for (const r of pkg.resources) {
      expect(r.url).toBe(r.name);
      expect(r.size).toBe(statSync(join(rel, r.name)).size);
      expect(r.hash).toBe(sha(join(rel, r.name)));
      expect(r.format).toBe(r.name.endsWith('.csv') ? 'CSV' : 'JSON');
      expect(r.mimetype).toBe(r.name.endsWith('.csv') ? 'text/csv' : 'application/json');
    }
  });
});

describe('data-dictionary.csv', () => {
  it('has one row per column of every dataset, read from the schemas, with units by reference to the unit column', () => {
    const { header, rows } = readCsv(join(rel, 'data-dictionary.csv'));
    expect(header).toEqual(['dataset', 'column', 'title_ja', 'title_en', 'type', 'unit', 'description', 'code_table']);
    const expected = DATASETS.flatMap((ds) => Object.keys(schemaDoc(DATASET_SCHEMAS[ds]).properties).map((c) => `${ds}.${c}`));
    expect(rows.map((r) => `${r[0]}.${r[1]}`)).toEqual(expected);
    for (const r of rows) {
      const [ds, col, titleJa, titleEn, type, unit, description, codeTable] = r as [string, string, string, string, string, string, string, string];
      // Columns holding progress symbols or outlook grades name the code table.
      const symbols = (resolveProperty(schemaDoc(DATASET_SCHEMAS[ds as (typeof DATASETS)[number]]).properties[col]!).enum ?? []).filter((v) => v !== null);
      expect(codeTable, `${ds}.${col}`).toBe(symbols.length && symbols.every((v) => ['○', '△', '×', '-', 'A', 'B', 'C'].includes(String(v))) ? 'codes.csv' : '');
      const prop = resolveProperty(schemaDoc(DATASET_SCHEMAS[ds as (typeof DATASETS)[number]]).properties[col]!);
      // Text cells a spreadsheet would run as a formula ("- 現時点では…") carry the csv module's leading apostrophe.
      expect(titleJa, `${ds}.${col}`).toBe(neutraliseCell(prop['x-title-ja']!));
      expect(titleEn).toBe(neutraliseCell(prop.title!));
      expect(description).toBe(neutraliseCell(prop.description!));
      expect(type).toBe(tableSchema(ds as (typeof DATASETS)[number]).fields.find((f) => f.name === col)!.type);
      if (prop['x-unit-column']) expect(unit).toContain(`"${prop['x-unit-column']}"`);
      else expect(unit).toBe('');
    }
    const units = rows.filter((r) => r[5] !== '').map((r) => `${r[0]}.${r[1]}`);
    expect(units).toEqual(expect.arrayContaining(['numeric_targets.actual_value', 'numeric_targets.target_value', 'numeric_targets.baseline_value']));
    // Every dataset CSV's header is exactly its dictionary entries, in order.
    for (const ds of DATASETS) expect(readCsv(join(rel, `${ds}.csv`)).header).toEqual(rows.filter((r) => r[0] === ds).map((r) => r[1]));
  });
});

describe('総務省 machine-readable rules (機械判読に適したデータ) on the H28 output', () => {
  it('one value per cell, no merged cells, plain numbers, Western and era years side by side, region code on every row', () => {
    const csvs = readdirSync(rel).filter((n) => n.endsWith('.csv') && n !== 'data-dictionary.csv' && n !== 'codes.csv');
    expect(csvs.sort()).toEqual(DATASETS.map((d) => `${d}.csv`).sort());
    for (const name of csvs) {
      const ds = name.replace(/\.csv$/u, '') as (typeof DATASETS)[number];
      const { header, rows } = readCsv(join(rel, name));
      const fields = tableSchema(ds).fields;
      expect(header, name).toEqual(fields.map((f) => f.name));
      // Datasets that only fill with several reports (e.g. revisions) may be empty for H28 alone.
      if (['goals', 'policy_directions', 'numeric_targets', 'kpi_summary', 'text_items', 'findings'].includes(ds)) expect(rows.length, name).toBeGreaterThan(0);
      expect(header, `${name} has the region code`).toContain('municipality_code');
      for (const row of rows) {
        // No merged cells: every row has every column (values are repeated, never left for the row above).
        expect(row.length, name).toBe(header.length);
        row.forEach((cell, i) => {
          const f = fields[i]!;
          // One value per cell: no line breaks, no padding with spaces.
          expect(cell, `${name} ${f.name}`).not.toMatch(/[\r\n]/u);
          expect(cell, `${name} ${f.name}`).toBe(cell.trim());
          // Numbers are plain: no thousands separators, no units, no full-width digits.
          if ((f.type === 'integer' || f.type === 'number') && cell !== '') expect(cell, `${name} ${f.name}`).toMatch(/^-?\d+(\.\d+)?$/u);
          if (f.type === 'boolean' && cell !== '') expect(cell).toMatch(/^(true|false)$/u);
        });
        const rec = Object.fromEntries(header.map((h, i) => [h, row[i]!]));
        // The municipality code on every row, 6 digits with a valid check digit.
        expect(rec.municipality_code, name).toMatch(/^\d{6}$/u);
        expect(spatialUri(rec.municipality_code!)).not.toBeNull();
        if ('report_fiscal_year' in rec) expect(rec.report_fiscal_year, name).toMatch(/^20\d\d$/u);
      }
    }
    // 西暦 beside 和暦.
    const nt = readCsv(join(rel, 'numeric_targets.csv'));
    const fyIdx = nt.header.indexOf('fiscal_year');
    expect(nt.header[fyIdx + 1]).toBe('fiscal_year_label');
    for (const r of nt.rows) expect(Number(r[fyIdx]) - 1988).toBe(Number(r[fyIdx + 1]!.replace(/^H/u, '')));
    const goals = readCsv(join(rel, 'goals.csv'));
    const gi = goals.header.indexOf('report_fiscal_year');
    expect(goals.header[gi + 1]).toBe('report_fiscal_year_label');
    expect(new Set(goals.rows.map((r) => `${r[gi]} ${r[gi + 1]}`))).toEqual(new Set(['2016 H28']));
    // No units in numbers: every row with a number names its unit in the unit column (the printed text is in *_text).
    const col = (n: string) => nt.header.indexOf(n);
    const numeric = nt.rows.filter((r) => ['baseline_value', 'final_target_value', 'target_value', 'actual_value'].some((c) => r[col(c)] !== ''));
    expect(numeric.length).toBeGreaterThan(25);
    for (const r of numeric) expect(r[col('unit')], r[0]).toMatch(/^(人|%|人\/年)$/u);
  });
});

describe('codes.csv', () => {
  it('defines ○ △ × - and A B C in Japanese and English with the thresholds of the report legend, and every symbol column refers to it', () => {
    const { header, rows } = readCsv(join(rel, 'codes.csv'));
    expect(header).toEqual(['code_list', 'symbol', 'meaning_ja', 'meaning_en', 'threshold']);
    const bySymbol = Object.fromEntries(rows.map((r) => [r[1], r]));
    expect(rows.map((r) => r[1])).toEqual(['○', '△', '×', '-', 'A', 'B', 'C']);
    expect(bySymbol['○']!.slice(2, 3)).toEqual(['達成できた']);
    expect(bySymbol['○']![4]).toContain('100%以上');
    expect(bySymbol['△']![2]).toBe('概ね達成できた');
    expect(bySymbol['△']![4]).toContain('70%以上100%未満');
    expect(bySymbol['×']![4]).toContain('70%未満');
    expect(bySymbol['-']![2]).toBe('現時点では判断が困難');
    expect([bySymbol.A![2], bySymbol.B![2], bySymbol.C![2]]).toEqual(['目標を達成できる見込み', '目標達成には努力を要する', '目標達成には厳しい状況にある']);
    // datapackage.json: codes is a resource, and the symbol columns have foreign keys to it, which the data satisfy.
    const dp = readJson<{ resources: Array<{ name: string; path: string; schema: { foreignKeys?: Array<{ fields: string[]; reference: { resource: string; fields: string[] } }> } }> }>(join(rel, 'datapackage.json'));
    expect(dp.resources.find((r) => r.name === 'codes')?.path).toBe('codes.csv');
    const nt = dp.resources.find((r) => r.name === 'numeric_targets')!;
    expect(nt.schema.foreignKeys?.map((k) => k.fields[0]).sort()).toEqual(['evaluation_reported', 'progress_recomputed', 'progress_reported']);
    const symbols = new Set(rows.map((r) => r[1]));
    const data = readCsv(join(rel, 'numeric_targets.csv'));
    for (const k of nt.schema.foreignKeys!) {
      expect(k.reference).toEqual({ resource: 'codes', fields: ['symbol'] });
      const i = data.header.indexOf(k.fields[0]!);
      for (const r of data.rows) if (r[i] !== '') expect(symbols.has(r[i]!), `${k.fields[0]} ${r[i]}`).toBe(true);
    }
  });
});
