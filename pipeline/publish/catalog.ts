/**
 * What a catalog needs to know about a release, derived once from the sources
 * and the published tables and shared by dcat.jsonld, ckan-package.json and the
 * dataset page: titles and descriptions (ja + en), publisher, coverage, licence
 * and attribution, and one entry per downloadable file.
 */
import { DATASET_SCHEMAS, type DatasetName } from '../lib/records.gen.js';
import { schemaDoc } from '../lib/schemas.js';
import { calendarVersion, fallbackPublication, LICENCES, reportLocation, type Licence, type PublicationConfig, type PublicationDates } from './publication.js';
import type { WrittenFile } from './stream.js';

/** A source report of a release (file, hash, title, municipality, year). */
export interface CatalogSource {
  file: string;
  sha256: string;
  title: string | null;
  url: string | null;
  municipality_code: string;
  municipality_name: string;
  report_fiscal_year: number;
  synthetic?: boolean;
  /** Where the PDF is on disk (to copy it into the release when the config asks for it). Never published. */
  pdf_path?: string;
}

/** A source as the catalog files cite it: where it is published, or its copy in the release. */
export interface CitedSource extends CatalogSource {
  page_url: string | null;
  /** Path of the PDF inside the release (sources/<file>) when it was copied there, else null. */
  release_path: string | null;
}

export interface Bilingual {
  ja: string;
  en: string;
}

export interface CatalogMeta {
  /** URL-safe dataset name (also the CKAN package name). */
  name: string;
  title: Bilingual;
  description: Bilingual;
  municipalities: Array<{ code: string; name: string }>;
  reportYears: number[];
  /** First and last Western fiscal year the data covers (targets included). */
  fiscalYears: { first: number; last: number } | null;
  keywords: { ja: string[]; en: string[] };
  attribution: Bilingual;
  sources: CitedSource[];
  contentHash: string;
  /** Human version of the release: its publishing day as a calendar version (2026.12.3). */
  version: string;
  /** Publisher, contact point, maintainer, themes, CKAN organisation (raw/publication.json). */
  publication: PublicationConfig;
  licence: Licence;
  dates: PublicationDates;
  /** Temporal coverage: 1 April of the first fiscal year to 31 March after the last (YYYY-MM-DD), or null. */
  temporal: { start: string; end: string } | null;
  /** Absolute URL of the release folder (ends in /), or null for relative links. */
  baseUrl: string | null;
}


export interface CatalogFile {
  path: string;
  bytes: number;
  sha256: string;
  mediaType: string;
  /** Short format name as catalogs show it (CSV, JSON). */
  format: string;
  encoding: string | null;
  dataset: DatasetName | null;
  title: Bilingual;
  description: string;
}


/** Normalise a --base-url value: absolute http(s) URL ending in "/". Throws on anything else. */
export function normaliseBaseUrl(raw: string): string {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new Error(`base URL "${raw}" is not an absolute URL`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error(`base URL "${raw}" must use http or https`);
  if (u.search || u.hash) throw new Error(`base URL "${raw}" must not have a query or fragment`);
  return u.href.endsWith('/') ? u.href : `${u.href}/`;
}

/** Download URL of a release file: relative to the release folder, or absolute under the base URL. */
export function fileUrl(meta: CatalogMeta, path: string): string {
  const rel = path.split('/').map(encodeURIComponent).join('/');
  return meta.baseUrl ? new URL(rel, meta.baseUrl).href : rel;
}

/**
 * e-Stat 統計LOD names each municipality by its 5-digit 統計に用いる標準地域コード with a
 * leading "C" (http://data.e-stat.go.jp/lod/sac/C40203). The 6-digit 全国地方公共団体コード is
 * that code plus a check digit, so the URI is only derived when the check digit is right.
 */
export function spatialUri(code: string): string | null {
  if (!/^\d{6}$/u.test(code)) return null;
  const d = [...code].map(Number);
  const sum = d.slice(0, 5).reduce((s, v, i) => s + v * (6 - i), 0);
  const check = (11 - (sum % 11)) % 10;
  return check === d[5] ? `http://data.e-stat.go.jp/lod/sac/C${code.slice(0, 5)}` : null;
}

export function datasetTitle(ds: DatasetName): Bilingual {
  const doc = schemaDoc(DATASET_SCHEMAS[ds]);
  return { ja: doc['x-title-ja'] ?? doc.title, en: doc.title };
}

export interface CatalogMetaInput {
  /** The first and last fiscal year of the numeric-target rows (null without rows). */
  dataYears: { first: number; last: number } | null;
  sources: CatalogSource[];
  contentHash: string;
  baseUrl: string | null;
  /** raw/publication.json, or null for the generic description of the municipalities. */
  publication: PublicationConfig | null;
  dates: PublicationDates;
}

/** Where the copy of a source PDF goes in the release. */
export const sourceCopyPath = (file: string) => `sources/${file}`;

export function catalogMeta(input: CatalogMetaInput): CatalogMeta {
  const { dataYears, sources, contentHash, baseUrl, dates } = input;
  const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  const municipalitiesOf = (list: CatalogSource[]) => [...new Map(list.map((s) => [s.municipality_code, s.municipality_name])).entries()].map(([code, name]) => ({ code, name }));
  const ordered = [...sources].sort((a, b) => byText(a.municipality_code, b.municipality_code) || a.report_fiscal_year - b.report_fiscal_year || byText(a.file, b.file));
  const municipalities = municipalitiesOf(ordered);
  const publication = input.publication ?? fallbackPublication(municipalities.map((m) => m.name));
  const licence = LICENCES[publication.licence];
  const sorted: CitedSource[] = ordered.map((s) => {
    const loc = reportLocation(publication, s.file, s.url);
    const copy = !loc.url && publication.copy_source_pdfs === true && s.pdf_path !== undefined;
    return { ...s, url: loc.url, page_url: loc.pageUrl, release_path: copy ? sourceCopyPath(s.file) : null };
  });
  const names = municipalities.map((m) => m.name).join('・');
  const reportYears = [...new Set(sorted.map((s) => s.report_fiscal_year))].sort((a, b) => a - b);
  const years = [...reportYears, ...(dataYears ? [dataYears.first, dataYears.last] : [])];
  const fiscalYears = years.length ? { first: Math.min(...years), last: Math.max(...years) } : null;
  const cite = (s: CitedSource, lang: 'ja' | 'en') => {
    const title = s.title ?? s.file;
    const synthetic = s.synthetic ? (lang === 'ja' ? '【試験用の合成データ。公式の報告書ではありません】' : ' [SYNTHETIC TEST DATA, not an official report]') : '';
    return lang === 'ja'
      ? `${s.municipality_name}「${title}」(${s.file}, SHA-256 ${s.sha256}${s.url ? `, ${s.url}` : ''})${synthetic}`
      : `${s.municipality_name}, "${title}" (${s.file}, SHA-256 ${s.sha256}${s.url ? `, ${s.url}` : ''})${synthetic}`;
  };
  return {
    name: `sousei-kpi-${municipalities.map((m) => m.code).join('-') || 'empty'}`,
    title: {
      ja: `地方創生総合戦略 数値目標・KPI 進捗データ (${names})`,
      en: `Regional revitalisation strategy: numeric targets and KPI progress (${names})`,
    },
    description: {
      ja:
        `${names}の「まち・ひと・しごと創生総合戦略」進捗状況報告書(PDF)から、基本目標・施策の基本的方向・数値目標の目標値と実績値・KPIの進捗状況・本文を抽出したデータです。` +
        '報告書に記載された進捗度(○△×-)は再計算して照合し、食い違いや抽出上の注意は findings(検証結果)に記録しています。各行に出典ファイルとページを記載しています。',
      en:
        `Basic goals, policy directions, numeric targets (targets and actuals by fiscal year), KPI progress counts and text of the regional-revitalisation strategy progress reports of ${names}, extracted from the published PDF reports. ` +
        'Every printed progress symbol (○△×-) was recomputed and checked; disagreements and extraction caveats are listed in findings. Each row names its source file and page.',
    },
    municipalities,
    reportYears,
    fiscalYears,
    keywords: {
      ja: ['地方創生', 'まち・ひと・しごと創生総合戦略', '数値目標', 'KPI', '進捗状況', ...municipalities.map((m) => m.name)],
      en: ['regional revitalisation', 'KPI', 'numeric targets', 'progress report', 'open data'],
    },
    attribution: {
      ja: `出典：${sorted.map((s) => cite(s, 'ja')).join('、')}を加工して作成。sousei-kpi が PDF から抽出・加工したデータであり、原本ではありません。ライセンス：${licence.title}。${licence.note.ja}`,
      en: `Source: ${sorted.map((s) => cite(s, 'en')).join('; ')}. Extracted from the PDF and processed by sousei-kpi; this is not the original publication. Licence: ${licence.title}. ${licence.note.en}`,
    },
    sources: sorted,
    contentHash,
    version: calendarVersion(dates.modified),
    publication,
    licence,
    dates,
    temporal: fiscalYears ? { start: `${fiscalYears.first}-04-01`, end: `${fiscalYears.last + 1}-03-31` } : null,
    baseUrl,
  };
}

/** Every downloadable data file of the release, in a fixed order: per dataset CSV, Shift_JIS CSV, JSON; then the dictionary and datapackage.json. */
export function catalogFiles(files: ReadonlyMap<string, WrittenFile>, datasets: DatasetName[]): CatalogFile[] {
  const out: CatalogFile[] = [];
  const add = (path: string, f: Omit<CatalogFile, 'path' | 'bytes' | 'sha256'>) => {
    const w = files.get(path);
    if (w) out.push({ path, bytes: w.bytes, sha256: w.sha256, ...f });
  };
  for (const ds of datasets) {
    const t = datasetTitle(ds);
    const description = schemaDoc(DATASET_SCHEMAS[ds]).description ?? '';
    add(`${ds}.csv`, { mediaType: 'text/csv', format: 'CSV', encoding: 'UTF-8', dataset: ds, title: { ja: `${t.ja} (CSV, UTF-8)`, en: `${t.en} (CSV, UTF-8 with BOM)` }, description });
    add(`sjis/${ds}.csv`, { mediaType: 'text/csv', format: 'CSV', encoding: 'Shift_JIS', dataset: ds, title: { ja: `${t.ja} (CSV, Shift_JIS)`, en: `${t.en} (CSV, Shift_JIS / CP932)` }, description });
    add(`${ds}.json`, { mediaType: 'application/json', format: 'JSON', encoding: 'UTF-8', dataset: ds, title: { ja: `${t.ja} (JSON)`, en: `${t.en} (JSON)` }, description });
  }
  add('codes.csv', { mediaType: 'text/csv', format: 'CSV', encoding: 'UTF-8', dataset: null, title: { ja: 'コード表 (進捗度 ○△×- と見込み ABC, CSV)', en: 'Code table: progress symbols and outlook grades (CSV)' }, description: 'The symbols ○ △ × - and A B C: meaning in Japanese and English and the threshold of each progress symbol; the Table Schemas refer to it.' });
  add('sjis/unmappable.csv', { mediaType: 'text/csv', format: 'CSV', encoding: 'UTF-8', dataset: null, title: { ja: 'Shift_JIS 版で表せなかった文字 (CSV)', en: 'Characters the Shift_JIS copies could not hold (CSV)' }, description: 'One row per cell of the Shift_JIS copies where a character has no CP932 equivalent or best fit and became "?".' });
  add('data-dictionary.csv', { mediaType: 'text/csv', format: 'CSV', encoding: 'UTF-8', dataset: null, title: { ja: 'データ辞書 (CSV)', en: 'Data dictionary (CSV)' }, description: 'One row per column of every dataset: title (ja/en), type, unit and description.' });
  add('datapackage.json', { mediaType: 'application/json', format: 'JSON', encoding: 'UTF-8', dataset: null, title: { ja: 'データパッケージ記述 (Frictionless Data Package v2)', en: 'Data Package descriptor (Frictionless v2)' }, description: 'Table Schemas, licence and sources of the CSV files, for frictionless tools.' });
  return out;
}
