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
import { randomBytes } from 'node:crypto';
import { sha256Hex } from '../lib/hash.js';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, symlinkSync } from 'node:fs';
import { fsyncDir, processAlive, lstatOrNull } from '../lib/durable.js';
import { atPath } from '../lib/faults.js';
import { dirname, join } from 'node:path';
import type { DatasetName, DatasetRecords, Finding } from '../lib/records.gen.js';
import { DATASET_SCHEMAS } from '../lib/records.gen.js';
import { schemaDoc } from '../lib/schemas.js';
import type { NormalizedReport } from '../normalize/index.js';
import { cumulative } from './cumulative.js';
import { CODES_FILE, CODES_RESOURCE, codesCsv, codesTableSchema } from './codes.js';
import { assertValidDataPackage, buildDataPackage, prepareDataPackageProfile } from './datapackage.js';
import { csvStringify } from '../lib/lazy.js';
import { jstDate, type PublicationConfig } from './publication.js';
import { InputError } from '../lib/registry.js';
import { ChangelogBuilder, changelogMarkdown, readReleaseIndex, type PublicationOptions, type ReleaseIndexEntry, type RowTables } from './changelog.js';
import { addRelease, entryFromFolder, notAFolder, recordSwitch, RELEASE_ID, repairIndex, verifyRelease, type LatestSwitch } from './releases.js';
import { latestRelease } from './release-folder.js';
import { boundCells } from './cells.js';
import { catalogMeta, normaliseBaseUrl, type CatalogSource } from './catalog.js';
import { writeCatalogFiles, type ReleaseSink } from './extras.js';
import { PageParts } from './page.js';
import { PreviousRelease } from './previous.js';
import { cp932UnmappableCells, UNMAPPABLE_FILE, unmappableCsv, type Tables, type UnmappableCell } from './sjis.js';
import { CsvWriter, HashedFile, JsonArrayWriter, jsonBytes, type WrittenFile } from './stream.js';
import { csvColumns, tableSchema } from './tableschema.js';

export { toCsv, neutraliseCell } from './csv.js';
export { tableSchema } from './tableschema.js';
export { latestRelease } from './release-folder.js';

/** A source report of a release, as the catalog metadata describes it. */
export type SourceInfo = CatalogSource;

/**
 * A report to publish: its records, or a function that reads them (a run keeps
 * them on disk until their municipality's turn, so a batch of any size is
 * published in the memory of its largest municipality).
 */
export interface PublishReport {
  report: NormalizedReport | (() => NormalizedReport);
  source: SourceInfo;
}

export interface PublishInput {
  reports: PublishReport[];
  /** Findings not tied to a published report (e.g. a file that failed). */
  extraFindings?: Finding[];
  /** Also write a Shift_JIS (CP932) copy of every CSV under sjis/. */
  sjis?: boolean;
  /** Absolute URL the release folder will be served from; download URLs in dcat.jsonld / ckan-package.json are relative without it. */
  baseUrl?: string;
  /** Publisher, contact, licence, themes, source URLs (raw/publication.json); without it the municipalities of the release are named as publisher. */
  publication?: PublicationConfig | null;
}

export interface PublishResult {
  releaseId: string;
  releaseDir: string;
  created: boolean;
  rowCounts: Record<DatasetName, number>;
  /** The switch of `latest` this publish made (also recorded in releases/index.json), or null when it already pointed at the release. */
  switched: LatestSwitch | null;
  /** What releases/index.json lacked at the start (left by an interrupted run) and was repaired, one line each. */
  repaired: string[];
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



function describe(dataset: DatasetName) {
  const doc = schemaDoc(DATASET_SCHEMAS[dataset]);
  return { title: `${doc.title} (${doc['x-title-ja'] ?? doc.title})`, description: doc.description ?? '' };
}

/** The reports and the extra findings of one municipality. */
interface Group {
  code: string;
  reports: PublishReport[];
  extra: Finding[];
}

/**
 * One municipality's rows of every dataset, sorted as published. Every primary
 * key starts with municipality_code, so the release's tables are these tables
 * joined in code order; numeric_targets_current and revisions compare a
 * municipality's reports with each other only.
 */
function municipalityTables(g: Group, fallback: { municipality_code: string; report_fiscal_year: number }): Tables {
  const loaded = g.reports.map((r) => (typeof r.report === 'function' ? r.report() : r.report));
  const numeric = loaded.flatMap((r) => r.datasets.numeric_targets);
  const { current, revisions } = cumulative(numeric);
  const t: Tables = {
    goals: loaded.flatMap((r) => r.datasets.goals),
    policy_directions: loaded.flatMap((r) => r.datasets.policy_directions),
    numeric_targets: numeric,
    numeric_targets_current: current,
    revisions,
    kpi_summary: loaded.flatMap((r) => r.datasets.kpi_summary),
    text_items: loaded.flatMap((r) => r.datasets.text_items),
    findings: [...loaded.flatMap((r) => r.findings), ...g.extra],
  };
  // Cells longer than a spreadsheet holds are cut, each cut a finding (before the Shift_JIS copies are checked, which read the cells as published).
  const cut: Finding[] = [];
  for (const ds of DATASETS) {
    const b = boundCells(ds, t[ds] as object[], fallback);
    (t as Record<DatasetName, object[]>)[ds] = b.rows;
    cut.push(...b.findings);
  }
  t.findings = [...t.findings, ...cut];
  return {
    goals: sortRows('goals', t.goals),
    policy_directions: sortRows('policy_directions', t.policy_directions),
    numeric_targets: sortRows('numeric_targets', t.numeric_targets),
    numeric_targets_current: sortRows('numeric_targets_current', t.numeric_targets_current),
    revisions: sortRows('revisions', t.revisions),
    kpi_summary: sortRows('kpi_summary', t.kpi_summary),
    text_items: sortRows('text_items', t.text_items),
    findings: sortRows('findings', t.findings),
  };
}

/** The files of a release being written into a temporary folder, with the size and hash of each. */
class DirSink implements ReleaseSink {
  readonly written = new Map<string, WrittenFile>();
  private readonly files: HashedFile[] = [];
  readonly dirs = new Set<string>();

  constructor(readonly dir: string) {}

  open(path: string): HashedFile {
    const full = join(this.dir, path);
    if (dirname(path) !== '.') {
      mkdirSync(dirname(full), { recursive: true });
      this.dirs.add(dirname(full));
    }
    const f = new HashedFile(full, (w) => this.written.set(path, w));
    this.files.push(f);
    return f;
  }

  put(path: string, data: Buffer): void {
    const f = this.open(path);
    f.write(data);
    f.close();
  }

  /** Close (flush) every file not yet closed. */
  closeAll(): void {
    for (const f of this.files) f.close();
  }

  abandon(): void {
    for (const f of this.files) f.abandon();
  }
}

/** The output folder's releases/ (created if missing): a real folder, never one reached through a link. */
function releasesFolder(outDir: string): string {
  const releases = join(outDir, 'releases');
  mkdirSync(releases, { recursive: true });
  const kind = notAFolder(releases);
  if (kind) throw new InputError(releases, `is ${kind}, not the folder this pipeline writes releases into`, 'nothing was published; move it away so that publish can create releases/ itself');
  return releases;
}

/** The previous release to compare with: only a real folder at releases/<id>. */
function openPrevious(releases: string, prevId: string | null): PreviousRelease | null {
  if (!prevId) return null;
  const dir = join(releases, prevId);
  const kind = notAFolder(dir);
  if (kind) throw new InputError(dir, `latest points at it, but it is ${kind}, not a release folder this pipeline wrote`, 'nothing was published; point latest at a real release (ln -sfn releases/<id> latest) or remove it');
  return existsSync(dir) ? new PreviousRelease(dir, prevId, DATASETS) : null;
}

/**
 * The existing release with this content (same id suffix), verified against its
 * manifest, or null. A folder at such a name that does not verify is never adopted: the
 * run fails naming it.
 */
function existingRelease(releases: string, suffix: string, contentHash: string): string | null {
  for (const n of readdirSync(releases).filter((n) => RELEASE_ID.test(n) && n.endsWith(`-${suffix}`)).sort()) {
    const problem = verifyRelease(join(releases, n), contentHash);
    if (problem) {
      throw new InputError(join(releases, n), `has the name of this release but is not a release this pipeline wrote, or was changed since: ${problem}`, 'nothing was published; move it out of releases/ (a release folder is adopted only when every file matches its manifest)');
    }
    return n;
  }
  return null;
}


/** Date part of a release id: the publishing day in Japan (the catalog's time zone). */
function releaseDate(now: Date): string {
  return jstDate(now);
}

/**
 * Publish a release: every file is written into a temporary folder as it is
 * built (one municipality's records in memory at a time), flushed, and the
 * folder renamed into place; then `latest` moves. A release whose content
 * equals an existing one is not kept twice: `latest` moves to that one.
 */
/**
 * Load what writing a release needs (the CSV writer, the Data Package profile's validator)
 * now rather than when the release is written: run.ts calls it while the first PDF is
 * being read, when the process would otherwise wait idle (issue 15: cold start).
 */
export function preparePublish(): void {
  csvStringify();
  prepareDataPackageProfile();
}

export function publish(outDir: string, input: PublishInput, now = new Date()): PublishResult {
  const releases = releasesFolder(outDir);
  const baseUrl = input.baseUrl ? normaliseBaseUrl(input.baseUrl) : null;
  const publication: PublicationOptions = { sjis: input.sjis === true, base_url: baseUrl };
  // Reports in publishing order: municipality, report year, file.
  const reports = [...input.reports].sort((x, y) => {
    const a = x.source, b = y.source;
    return cmp(a.municipality_code, b.municipality_code) || a.report_fiscal_year - b.report_fiscal_year || cmp(a.file, b.file);
  });
  const sources = reports.map((r) => r.source);
  const first = input.reports[0]?.source;
  const fallback = { municipality_code: first?.municipality_code ?? '', report_fiscal_year: first?.report_fiscal_year ?? 0 };
  const names = new Map<string, string>();
  for (const s of sources) if (!names.has(s.municipality_code)) names.set(s.municipality_code, s.municipality_name);

  const groups = new Map<string, Group>();
  const group = (code: string) => {
    let g = groups.get(code);
    if (!g) groups.set(code, (g = { code, reports: [], extra: [] }));
    return g;
  };
  for (const r of reports) group(r.source.municipality_code).reports.push(r);
  for (const f of input.extraFindings ?? []) group(f.municipality_code ?? '').extra.push(f);

  const prevId = latestRelease(outDir);
  const repaired = repairIndex(releases, prevId, now, DATASETS);
  const tmp = join(releases, `.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
  mkdirSync(tmp);
  const sink = new DirSink(tmp);
  let previous: PreviousRelease | null = null;
  const page = new PageParts(`${tmp}.page`, names.size > 1);
  let id: string;
  let created = false;
  let entry: ReleaseIndexEntry | null = null;
  const rowCounts = Object.fromEntries(DATASETS.map((ds) => [ds, 0])) as Record<DatasetName, number>;
  try {
    previous = openPrevious(releases, prevId);
    const changes = new ChangelogBuilder(DATASETS, previous);
    const writers = DATASETS.map((ds) => ({
      ds,
      csv: new CsvWriter(csvColumns(ds), sink.open(`${ds}.csv`), input.sjis ? sink.open(`sjis/${ds}.csv`) : null),
      json: new JsonArrayWriter(sink.open(`${ds}.json`)),
    }));
    let dataYears: { first: number; last: number } | null = null;
    /** Cells of the Shift_JIS copies that lost characters (listed beside the copies). */
    const unmappable: UnmappableCell[] = [];
    const codes = [...new Set([...groups.keys(), ...(previous?.municipalities() ?? [])])].sort(cmp);
    for (const code of codes) {
      const g = groups.get(code);
      const tables: Partial<Tables> = g ? municipalityTables(g, fallback) : {};
      if (g && input.sjis) unmappable.push(...cp932UnmappableCells(tables as Tables));
      for (const w of writers) {
        const rows = (tables[w.ds] ?? []) as unknown as Array<Record<string, unknown>>;
        rowCounts[w.ds] += rows.length;
        w.csv.add(rows);
        for (const row of rows) w.json.add(row);
      }
      for (const r of tables.numeric_targets ?? []) {
        dataYears = dataYears ? { first: Math.min(dataYears.first, r.fiscal_year), last: Math.max(dataYears.last, r.fiscal_year) } : { first: r.fiscal_year, last: r.fiscal_year };
      }
      if (g) page.add({ code, name: names.get(code) ?? code, numericTargets: tables.numeric_targets ?? [], goals: tables.goals ?? [], kpiSummary: tables.kpi_summary ?? [], findings: tables.findings ?? [] });
      changes.addMunicipality(code, tables as RowTables);
    }
    for (const w of writers) w.json.end();
    if (input.sjis) sink.put(UNMAPPABLE_FILE, unmappableCsv(unmappable));
    sink.closeAll();
    const contentHash = sha256Hex(DATASETS.flatMap((ds) => [`${ds}.csv`, `${ds}.json`]).map((n) => `${n}:${sink.written.get(n)!.sha256}`).join('\n'));
    // The suffix names the content and how it is published (Shift_JIS copies, base URL, publication metadata).
    const metadata = input.publication ? `\n${JSON.stringify(input.publication)}` : '';
    const suffix = (publication.sjis || baseUrl || metadata ? sha256Hex(`${contentHash}\n${JSON.stringify(publication)}${metadata}`) : contentHash).slice(0, 12);
    const existing = existingRelease(releases, suffix, contentHash);
    id = existing ?? `${releaseDate(now)}-${suffix}`;
    if (existing) {
      sink.abandon();
      rmSync(tmp, { recursive: true, force: true });
    } else {
      const firstRelease = readReleaseIndex(releases).releases[0]?.created;
      const dates = { issued: jstDate(firstRelease ? new Date(firstRelease) : now), modified: jstDate(now), created: now.toISOString() };
      const meta = catalogMeta({ dataYears, sources, contentHash, baseUrl, publication: input.publication ?? null, dates });
      sink.put(CODES_FILE, codesCsv());
      const descriptor = buildDataPackage(meta, [
        ...DATASETS.map((ds) => ({ name: ds, path: `${ds}.csv`, ...describe(ds), file: sink.written.get(`${ds}.csv`)!, schema: tableSchema(ds) })),
        { name: CODES_RESOURCE, path: CODES_FILE, title: 'Code table (コード表)', description: 'The progress symbols ○ △ × - and outlook grades A B C: meaning in Japanese and English, and the threshold of each progress symbol.', file: sink.written.get(CODES_FILE)!, schema: codesTableSchema() },
      ]);
      assertValidDataPackage(descriptor);
      sink.put('datapackage.json', jsonBytes(descriptor));
      writeCatalogFiles(sink, { meta, datasets: DATASETS, rowCounts, page });
      const changelog = changes.finish({ release: id, created: now, contentHash, publication });
      sink.put('CHANGELOG.md', Buffer.from(changelogMarkdown(changelog), 'utf8'));
      sink.put('changelog.json', jsonBytes(changelog));
      const manifest = {
        content_hash: contentHash,
        files: [...sink.written.entries()]
          .sort(([a], [b]) => cmp(a, b))
          .map(([path, w]) => ({ path, bytes: w.bytes, sha256: w.sha256 })),
      };
      sink.put('manifest.json', jsonBytes(manifest));
      for (const d of sink.dirs) fsyncDir(d);
      fsyncDir(tmp);
      if (lstatOrNull(join(releases, id))) {
        throw new InputError(join(releases, id), 'appeared while this release was being written (another process writes to this output folder)', 'nothing was published; run one publisher at a time on an output folder');
      }
      renameSync(tmp, join(releases, id));
      fsyncDir(releases);
      created = true;
      entry = { id, content_hash: contentHash, created: changelog.created, previous: changelog.previous_release, row_counts: rowCounts, publication };
    }
  } catch (err) {
    sink.abandon();
    rmSync(tmp, { recursive: true, force: true });
    atPath(err, tmp); // a failed write names no path: it happened in the release being written
  } finally {
    previous?.close();
    page.close();
  }
  // List the release in releases/index.json; a run killed before this line is repaired by the next one (repairIndex).
  addRelease(releases, entry ?? entryFromFolder(releases, id, DATASETS, { created: now.toISOString(), publication }));
  const from = latestRelease(outDir);
  let switched: LatestSwitch | null = null;
  if (from !== id) {
    const link = join(outDir, `.latest-${process.pid}-${randomBytes(4).toString('hex')}`);
    symlinkSync(join('releases', id), link);
    renameSync(link, join(outDir, 'latest'));
    fsyncDir(outDir);
    switched = { at: now.toISOString(), from, to: id, reason: created ? 'new release' : 'existing release with the same content' };
    recordSwitch(releases, switched);
  }
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
  return { releaseId: id, releaseDir: join(releases, id), created, rowCounts, switched, repaired };
}
