/**
 * The catalog files of a release, written after the datasets and
 * datapackage.json: data-dictionary.csv, dcat.jsonld, ckan-package.json and the
 * dataset page index.html. The same tables and sources give the same bytes.
 */
import { readFileSync } from 'node:fs';
import { sha256Hex } from '../lib/hash.js';
import type { DatasetName } from '../lib/records.gen.js';
import { buildCkanPackage } from './ckan.js';
import { catalogFiles, type CatalogMeta } from './catalog.js';
import { buildDcat } from './dcat.js';
import { dictionaryCsv, dictionaryEntries } from './dictionary.js';
import type { PageParts } from './page.js';
import { jsonBytes, type HashedFile, type WrittenFile } from './stream.js';

/** Files written by writeRelease (after the catalog files) that the page links to. */
export const HISTORY_FILES = [
  { path: 'CHANGELOG.md', ja: '変更履歴 (前回リリースとの差分)', en: 'What changed since the previous release' },
  { path: 'changelog.json', ja: '変更履歴 (JSON)', en: 'Changelog, machine-readable' },
  { path: 'manifest.json', ja: '全ファイルの SHA-256', en: 'SHA-256 of every file' },
];

/** Where catalog files go: `put` writes a small file whole, `open` a file written piece by piece. */
export interface ReleaseSink {
  put(path: string, data: Buffer): void;
  open(path: string): HashedFile;
  readonly written: ReadonlyMap<string, WrittenFile>;
}

export function writeCatalogFiles(
  sink: ReleaseSink,
  args: { meta: CatalogMeta; datasets: DatasetName[]; rowCounts: Record<DatasetName, number>; page: PageParts },
): void {
  copySources(sink, args.meta);
  const dictionary = dictionaryEntries(args.datasets);
  sink.put('data-dictionary.csv', dictionaryCsv(dictionary));
  const dist = catalogFiles(sink.written, args.datasets);
  sink.put('dcat.jsonld', jsonBytes(buildDcat(args.meta, dist)));
  sink.put('ckan-package.json', jsonBytes(buildCkanPackage(args.meta, dist)));
  const otherFiles = [
    { path: 'dcat.jsonld', ja: 'カタログ記述 (DCAT-AP 3.0.1, JSON-LD)', en: 'Catalog description (DCAT-AP 3.0.1, JSON-LD)' },
    { path: 'ckan-package.json', ja: 'CKAN 登録用データ (package_create)', en: 'CKAN package_create payload' },
    ...HISTORY_FILES,
  ];
  const page = sink.open('index.html');
  args.page.write({ meta: args.meta, files: dist, otherFiles, datasets: args.datasets, rowCounts: args.rowCounts, dictionary }, page);
  page.close();
}

/** Copy the source PDFs the metadata cites inside the release (sources/<file>), checking each is the file the data came from. */
function copySources(sink: ReleaseSink, meta: CatalogMeta): void {
  for (const s of meta.sources) {
    if (!s.release_path || !s.pdf_path) continue;
    const data = readFileSync(s.pdf_path);
    const digest = sha256Hex(data);
    if (digest !== s.sha256) throw new Error(`${s.pdf_path}: sha256 ${digest} is not that of the processed report (${s.sha256}); the file changed during the run, run again`);
    sink.put(s.release_path, data);
  }
}
