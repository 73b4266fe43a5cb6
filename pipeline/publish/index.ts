/**
 * Stage 4 — publish: validated reports → an immutable release folder holding,
 * per dataset, a CSV (UTF-8 with BOM) and a JSON file, plus datapackage.json
 * (Data Package v2) and manifest.json (sha256 of every file).
 *
 * Layout of the output folder:
 *   releases/<YYYY-MM-DD>-<content hash>/   one folder per release, never rewritten
 *   latest -> releases/<id>                 symlink, switched atomically after a release is complete
 * A release is written into a temporary folder, flushed, renamed into place, and
 * only then does `latest` move, so a crash at any moment leaves the previous
 * release complete and `latest` pointing at a whole release.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, renameSync, rmSync, symlinkSync } from 'node:fs';
import { fsyncDir, processAlive, writeFileDurable } from '../lib/durable.js';
import { dirname, join } from 'node:path';
import type { DatasetName, DatasetRecords, Finding } from '../lib/records.gen.js';
import { DATASET_SCHEMAS } from '../lib/records.gen.js';
import { schemaDoc } from '../lib/schemas.js';
import type { NormalizedReport } from '../normalize/index.js';
import { toCsv } from './csv.js';
import { cumulative } from './cumulative.js';
import { assertValidDataPackage } from './datapackage.js';
import { appendReleaseIndex, buildChangelog, changelogMarkdown, readRelease, readReleaseIndex, type PublicationOptions } from './changelog.js';
import { normaliseBaseUrl, type CatalogSource } from './catalog.js';
import { addCatalogFiles } from './extras.js';
import { cp932Findings, sjisCsv } from './sjis.js';
import { csvColumns, tableSchema } from './tableschema.js';

export { toCsv, neutraliseCell } from './csv.js';
export { tableSchema } from './tableschema.js';

/** A source report of a release, as the catalog metadata describes it. */
export type SourceInfo = CatalogSource;

export interface PublishInput {
  reports: Array<{ report: NormalizedReport; source: SourceInfo }>;
  /** Findings not tied to a published report (e.g. a file that failed). */
  extraFindings?: Finding[];
  /** Also write a Shift_JIS (CP932) copy of every CSV under sjis/. */
  sjis?: boolean;
  /** Absolute URL the release folder will be served from; download URLs in dcat.jsonld / ckan-package.json are relative without it. */
  baseUrl?: string;
}

export interface ReleaseFile {
  path: string;
  bytes: number;
  sha256: string;
  mediatype: string;
}

export interface ReleaseContent {
  /** Hash of the dataset contents; equal contents give equal hashes. */
  contentHash: string;
  files: Map<string, Buffer>;
  rowCounts: Record<DatasetName, number>;
  /** Suffix of the release id: the content hash, mixed with the publication options when they are not the defaults. */
  releaseKey?: string;
  publication?: PublicationOptions;
}

export interface PublishResult {
  releaseId: string;
  releaseDir: string;
  created: boolean;
  rowCounts: Record<DatasetName, number>;
}

/** Publishing order of the datasets. */
export const DATASETS: DatasetName[] = ['goals', 'policy_directions', 'numeric_targets', 'numeric_targets_current', 'revisions', 'kpi_summary', 'text_items', 'findings'];

const cmp = (a: unknown, b: unknown): number => {
  if (a === b) return 0;
  if (a === null || a === undefined) return -1;
  if (b === null || b === undefined) return 1;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return String(a) < String(b) ? -1 : 1;
};

/** Sort rows by the dataset's primary key, then by every other column, for byte-stable output. */
export function sortRows<D extends DatasetName>(dataset: D, rows: Array<DatasetRecords[D]>): Array<DatasetRecords[D]> {
  const key = tableSchema(dataset).primaryKey;
  const cols = Object.keys(schemaDoc(DATASET_SCHEMAS[dataset]).properties);
  const order = [...key, ...cols.filter((c) => !key.includes(c))];
  return [...rows].sort((x, y) => {
    const a = x as unknown as Record<string, unknown>, b = y as unknown as Record<string, unknown>;
    for (const c of order) {
      const d = cmp(a[c], b[c]);
      if (d !== 0) return d;
    }
    return 0;
  });
}

const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');
const json = (v: unknown) => Buffer.from(`${JSON.stringify(v, null, 2)}\n`, 'utf8');

/** Merge the reports' records into dataset tables (pure and deterministic). */
export function collect(input: PublishInput): { [D in DatasetName]: Array<DatasetRecords[D]> } {
  const all = {
    goals: input.reports.flatMap((r) => r.report.datasets.goals),
    policy_directions: input.reports.flatMap((r) => r.report.datasets.policy_directions),
    numeric_targets: input.reports.flatMap((r) => r.report.datasets.numeric_targets),
    kpi_summary: input.reports.flatMap((r) => r.report.datasets.kpi_summary),
    text_items: input.reports.flatMap((r) => r.report.datasets.text_items),
    findings: [...input.reports.flatMap((r) => r.report.findings), ...(input.extraFindings ?? [])],
  };
  const { current, revisions } = cumulative(all.numeric_targets);
  return {
    numeric_targets_current: sortRows('numeric_targets_current', current),
    revisions: sortRows('revisions', revisions),
    goals: sortRows('goals', all.goals),
    policy_directions: sortRows('policy_directions', all.policy_directions),
    numeric_targets: sortRows('numeric_targets', all.numeric_targets),
    kpi_summary: sortRows('kpi_summary', all.kpi_summary),
    text_items: sortRows('text_items', all.text_items),
    findings: sortRows('findings', all.findings),
  };
}

function describe(dataset: DatasetName) {
  const doc = schemaDoc(DATASET_SCHEMAS[dataset]);
  return { title: `${doc.title} (${doc['x-title-ja'] ?? doc.title})`, description: doc.description ?? '' };
}

/** Build every file of a release in memory. */
export function buildRelease(input: PublishInput): ReleaseContent {
  const tables = collect(input);
  const baseUrl = input.baseUrl ? normaliseBaseUrl(input.baseUrl) : null;
  if (input.sjis) {
    const first = input.reports[0]?.source;
    tables.findings = sortRows('findings', [...tables.findings, ...cp932Findings(tables, { municipality_code: first?.municipality_code ?? '', report_fiscal_year: first?.report_fiscal_year ?? 0 })]);
  }
  const files = new Map<string, Buffer>();
  const rowCounts = {} as Record<DatasetName, number>;
  for (const ds of DATASETS) {
    const rows = tables[ds] as unknown as Array<Record<string, unknown>>;
    rowCounts[ds] = rows.length;
    files.set(`${ds}.csv`, toCsv(csvColumns(ds), rows));
    files.set(`${ds}.json`, json(rows));
  }
  const contentHash = sha([...files.entries()].map(([n, b]) => `${n}:${sha(b)}`).join('\n'));
  if (input.sjis) for (const ds of DATASETS) files.set(`sjis/${ds}.csv`, sjisCsv(files.get(`${ds}.csv`)!));
  const publication: PublicationOptions = { sjis: input.sjis === true, base_url: baseUrl };
  const releaseKey = (publication.sjis || baseUrl ? sha(`${contentHash}\n${JSON.stringify(publication)}`) : contentHash).slice(0, 12);
  const sources = [...input.reports]
    .map((r) => r.source)
    .sort((a, b) => cmp(a.municipality_code, b.municipality_code) || a.report_fiscal_year - b.report_fiscal_year || cmp(a.file, b.file));
  const municipalities = [...new Map(sources.map((s) => [s.municipality_code, s.municipality_name])).entries()];
  const years = sources.map((s) => s.report_fiscal_year);
  const descriptor = {
    $schema: 'https://datapackage.org/profiles/2.0/datapackage.json',
    name: `sousei-kpi-${municipalities.map(([c]) => c).join('-') || 'empty'}`,
    id: `urn:sha256:${contentHash}`,
    title: `地方創生総合戦略 数値目標・KPI 進捗データ (${municipalities.map(([, n]) => n).join('・')})`,
    description:
      'Numeric targets, KPI summaries, goals, policy directions and text of the regional-revitalisation strategy (まち・ひと・しごと創生総合戦略) progress reports, ' +
      'extracted from the published PDF reports, with every progress symbol recomputed and every inconsistency listed in findings. ' +
      'Each row names its source file and page. Extracted and processed by sousei-kpi from the source PDFs listed in sources; not the original publication.',
    version: contentHash.slice(0, 12),
    licenses: [{ name: 'CC-BY-4.0', path: 'https://creativecommons.org/licenses/by/4.0/', title: 'Creative Commons Attribution 4.0' }],
    keywords: ['地方創生', 'KPI', '数値目標', 'open data', ...municipalities.map(([, n]) => n)],
    sources: sources.map((s) => ({ title: `${s.title ?? s.file} (sha256 ${s.sha256})`, path: s.url ?? `raw/${s.file}` })),
    ...(years.length ? { temporalCoverage: { start: `${Math.min(...years) - 1}`, end: `${Math.max(...years)}` } } : {}),
    resources: DATASETS.map((ds) => {
      const csv = files.get(`${ds}.csv`)!;
      return {
        name: ds,
        path: `${ds}.csv`,
        type: 'table',
        ...describe(ds),
        format: 'csv',
        mediatype: 'text/csv',
        encoding: 'utf-8',
        bytes: csv.byteLength,
        hash: `sha256:${sha(csv)}`,
        dialect: { header: true, delimiter: ',', lineTerminator: '\r\n', quoteChar: '"' },
        schema: tableSchema(ds),
      };
    }),
  };
  assertValidDataPackage(descriptor);
  files.set('datapackage.json', json(descriptor));
  addCatalogFiles(files, { tables, sources, datasets: DATASETS, contentHash, baseUrl });
  files.set('manifest.json', manifestFile(files, contentHash));
  return { contentHash, files, rowCounts, releaseKey, publication };
}

/** manifest.json: sha256 and size of every other file of the release. */
function manifestFile(files: Map<string, Buffer>, contentHash: string): Buffer {
  const manifest = {
    content_hash: contentHash,
    files: [...files.entries()]
      .filter(([path]) => path !== 'manifest.json')
      .sort(([a], [b]) => cmp(a, b))
      .map(([path, b]) => ({ path, bytes: b.byteLength, sha256: sha(b) })),
  };
  return json(manifest);
}


/** The release `latest` points at, or null. */
export function latestRelease(outDir: string): string | null {
  try {
    const target = readlinkSync(join(outDir, 'latest'));
    return target.replace(/^releases\//u, '');
  } catch {
    return null;
  }
}

/** Date part of a release id: the publishing day in Japan (the catalog's time zone). */
function releaseDate(now: Date): string {
  return new Date(now.getTime() + 9 * 3600 * 1000).toISOString().slice(0, 10);
}

/**
 * Write a release atomically and point `latest` at it. A release whose content
 * equals an existing one is not written again: `latest` moves to that one.
 */
export function writeRelease(outDir: string, content: ReleaseContent, now = new Date()): PublishResult {
  const releases = join(outDir, 'releases');
  mkdirSync(releases, { recursive: true });
  const suffix = content.releaseKey ?? content.contentHash.slice(0, 12);
  const publication = content.publication ?? { sjis: false, base_url: null };
  const existing = readdirSync(releases).find((n) => n.endsWith(`-${suffix}`) && !n.startsWith('.'));
  let id = existing ?? `${releaseDate(now)}-${suffix}`;
  let created = false;
  if (!existing) {
    // The changelog compares with the release `latest` points at before this publish.
    const prevId = latestRelease(outDir);
    const previous = prevId && existsSync(join(releases, prevId)) ? readRelease(join(releases, prevId), prevId, DATASETS) : null;
    const tables = Object.fromEntries(DATASETS.map((ds) => [ds, JSON.parse(content.files.get(`${ds}.json`)?.toString('utf8') ?? '[]') as Array<Record<string, unknown>>]));
    const changelog = buildChangelog({ release: id, created: now, contentHash: content.contentHash, publication, datasets: DATASETS, tables, previous });
    const files = new Map(content.files);
    files.set('CHANGELOG.md', Buffer.from(changelogMarkdown(changelog), 'utf8'));
    files.set('changelog.json', json(changelog));
    files.set('manifest.json', manifestFile(files, content.contentHash));
    const tmp = join(releases, `.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
    mkdirSync(tmp);
    try {
      for (const [name, data] of [...files.entries()].sort(([a], [b]) => cmp(a, b))) {
        mkdirSync(dirname(join(tmp, name)), { recursive: true });
        writeFileDurable(join(tmp, name), data);
      }
      for (const sub of new Set([...files.keys()].map((n) => dirname(n)).filter((d) => d !== '.'))) fsyncDir(join(tmp, sub));
      fsyncDir(tmp);
      renameSync(tmp, join(releases, id));
      fsyncDir(releases);
      created = true;
    } catch (err) {
      rmSync(tmp, { recursive: true, force: true });
      throw err;
    }
  }
  // List the release in releases/index.json (also heals a run killed between the rename and this line).
  if (!readReleaseIndex(releases).releases.some((r) => r.id === id)) {
    const log = readRelease(join(releases, id), id, []);
    const logFile = join(releases, id, 'changelog.json');
    const meta = existsSync(logFile) ? (JSON.parse(readFileSync(logFile, 'utf8')) as { created?: string; previous_release?: string | null }) : {};
    appendReleaseIndex(releases, {
      id,
      content_hash: log.contentHash ?? content.contentHash,
      created: meta.created ?? now.toISOString(),
      previous: meta.previous_release ?? null,
      row_counts: content.rowCounts,
      publication,
    });
  }
  if (latestRelease(outDir) !== id) {
    const link = join(outDir, `.latest-${process.pid}-${randomBytes(4).toString('hex')}`);
    symlinkSync(join('releases', id), link);
    renameSync(link, join(outDir, 'latest'));
    fsyncDir(outDir);
  }
  // Clean leftovers of runs that were killed mid-write (never reachable from latest).
  // Clean leftovers of runs that were killed mid-write (never reachable from latest);
  // a temporary name carries its writer's pid, so a publisher still running is left alone.
  const stale = (n: string) => {
    const m = /\.tmp-(\d+)-|^\.latest-(\d+)-/u.exec(n);
    const pid = m ? Number(m[1] ?? m[2]) : NaN;
    return Number.isFinite(pid) && pid !== process.pid && !processAlive(pid);
  };
  for (const n of readdirSync(releases)) if (n.startsWith('.') && stale(n)) rmSync(join(releases, n), { recursive: true, force: true });
  for (const n of readdirSync(outDir)) if (n.startsWith('.latest-') && stale(n)) rmSync(join(outDir, n), { force: true });
  if (!existsSync(join(releases, id, 'manifest.json'))) id = latestRelease(outDir) ?? id;
  return { releaseId: id, releaseDir: join(releases, id), created, rowCounts: content.rowCounts };
}

export function publish(outDir: string, input: PublishInput, now = new Date()): PublishResult {
  return writeRelease(outDir, buildRelease(input), now);
}
