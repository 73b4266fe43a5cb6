/**
 * The catalog files of a release, added by buildRelease after the datasets and
 * datapackage.json: data-dictionary.csv, dcat.jsonld, ckan-package.json and the
 * dataset page index.html. Pure: the same tables and sources give the same bytes.
 */
import type { DatasetName } from '../lib/records.gen.js';
import { buildCkanPackage } from './ckan.js';
import { catalogFiles, catalogMeta, type CatalogSource } from './catalog.js';
import { buildDcat } from './dcat.js';
import { dictionaryCsv, dictionaryEntries } from './dictionary.js';
import { buildPage } from './page.js';
import type { Tables } from './sjis.js';

const json = (v: unknown) => Buffer.from(`${JSON.stringify(v, null, 2)}\n`, 'utf8');

/** Files written by writeRelease (after buildRelease) that the page links to. */
export const HISTORY_FILES = [
  { path: 'CHANGELOG.md', ja: '変更履歴 (前回リリースとの差分)', en: 'What changed since the previous release' },
  { path: 'changelog.json', ja: '変更履歴 (JSON)', en: 'Changelog, machine-readable' },
  { path: 'manifest.json', ja: '全ファイルの SHA-256', en: 'SHA-256 of every file' },
];

export function addCatalogFiles(
  files: Map<string, Buffer>,
  args: { tables: Tables; sources: CatalogSource[]; datasets: DatasetName[]; contentHash: string; baseUrl: string | null },
): void {
  const dictionary = dictionaryEntries(args.datasets);
  files.set('data-dictionary.csv', dictionaryCsv(dictionary));
  const meta = catalogMeta(args.tables, args.sources, args.contentHash, args.baseUrl);
  const dist = catalogFiles(files, args.datasets);
  files.set('dcat.jsonld', json(buildDcat(meta, dist)));
  files.set('ckan-package.json', json(buildCkanPackage(meta, dist)));
  const otherFiles = [
    { path: 'dcat.jsonld', ja: 'カタログ記述 (DCAT 3, JSON-LD)', en: 'Catalog description (DCAT 3, JSON-LD)' },
    { path: 'ckan-package.json', ja: 'CKAN 登録用データ (package_create)', en: 'CKAN package_create payload' },
    ...HISTORY_FILES,
  ];
  files.set('index.html', buildPage({ meta, files: dist, otherFiles, datasets: args.datasets, tables: args.tables, dictionary }));
}
