/**
 * Release history: what changed against the previous release (CHANGELOG.md +
 * changelog.json in every release), and OUT/releases/index.json, the
 * append-only list of releases.
 *
 * Rows are matched by the dataset's primary key (x-primary-key of its schema):
 * a key only in the new release is "added", only in the old one "removed", in
 * both with other values "revised" (field, old → new). For the findings dataset
 * the same comparison reads as findings added / resolved / changed.
 */
import { existsSync, readFileSync } from 'node:fs';
import { writeFileAtomic } from '../lib/durable.js';
import { join } from 'node:path';
import type { DatasetName } from '../lib/records.gen.js';
import type { PreviousRelease } from './previous.js';
import { tableSchema } from './tableschema.js';

type Row = Record<string, unknown>;
export type RowTables = Partial<Record<DatasetName, Row[]>>;

export interface PublicationOptions {
  sjis: boolean;
  base_url: string | null;
}

export interface FieldChange {
  field: string;
  old: unknown;
  new: unknown;
}

export interface DatasetChanges {
  rows_before: number;
  rows_after: number;
  added: Row[];
  removed: Row[];
  revised: Array<{ key: Row; changes: FieldChange[] }>;
}

export interface FindingRef {
  key: Row;
  severity: unknown;
  message: unknown;
}

export interface Changelog {
  release: string;
  created: string;
  initial_release: boolean;
  previous_release: string | null;
  content_hash: string;
  previous_content_hash: string | null;
  publication: PublicationOptions;
  previous_publication: PublicationOptions | null;
  /** One line per dataset with changes (or "initial release" / "no changes to the data"). */
  summary: string[];
  datasets: Partial<Record<DatasetName, DatasetChanges>>;
  findings: { added: FindingRef[]; resolved: FindingRef[]; changed: Array<{ key: Row; changes: FieldChange[] }> };
  /** Rows held for review, not published (row_held findings of this release). */
  held_rows: number;
  /** Corrections of the team in this release: "field corrected from … to … by … on … because …". */
  corrections: Array<{ record_key: string; message: string }>;
}

const same = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

/** Primary key columns by dataset (tableSchema builds the whole schema; keyOf runs once per row). */
const primaryKeys = new Map<DatasetName, string[]>();

function keyOf(ds: DatasetName, row: Row): Row {
  let pk = primaryKeys.get(ds);
  if (!pk) primaryKeys.set(ds, (pk = tableSchema(ds).primaryKey));
  if (pk.length === 0) return row;
  return Object.fromEntries(pk.map((k) => [k, row[k] ?? null]));
}

/** Rows by primary key; a repeated key (should not happen) gets "#2", "#3"… so nothing is lost. */
function index(ds: DatasetName, rows: Row[]): Map<string, { key: Row; row: Row }> {
  const m = new Map<string, { key: Row; row: Row }>();
  for (const row of rows) {
    const key = keyOf(ds, row);
    let id = JSON.stringify(key);
    for (let n = 2; m.has(id); n++) id = `${JSON.stringify(key)}#${n}`;
    m.set(id, { key, row });
  }
  return m;
}

export function diffDataset(ds: DatasetName, before: Row[], after: Row[]): DatasetChanges {
  const a = index(ds, before);
  const b = index(ds, after);
  const fields = tableSchema(ds).fields.map((f) => f.name);
  const out: DatasetChanges = { rows_before: before.length, rows_after: after.length, added: [], removed: [], revised: [] };
  for (const [id, { key }] of b) if (!a.has(id)) out.added.push(key);
  for (const [id, { key }] of a) if (!b.has(id)) out.removed.push(key);
  for (const [id, { key, row }] of b) {
    const old = a.get(id);
    if (!old) continue;
    const names = [...fields, ...Object.keys(row).filter((k) => !fields.includes(k))];
    const changes = names.filter((f) => !same(old.row[f], row[f])).map((f) => ({ field: f, old: old.row[f] ?? null, new: row[f] ?? null }));
    if (changes.length) out.revised.push({ key, changes });
  }
  return out;
}

/**
 * The changelog, built one municipality at a time: every primary key starts with
 * municipality_code, so comparing the rows of each municipality and joining the
 * results in code order gives what comparing whole tables gives.
 */
export class ChangelogBuilder {
  private readonly changes = new Map<DatasetName, DatasetChanges>();
  private readonly findingRefs: Changelog['findings'] = { added: [], resolved: [], changed: [] };
  private heldRows = 0;
  private readonly corrections: Changelog['corrections'] = [];

  constructor(
    private readonly datasets: DatasetName[],
    private readonly previous: PreviousRelease | null,
  ) {
    for (const ds of datasets) this.changes.set(ds, { rows_before: previous?.count(ds) ?? 0, rows_after: 0, added: [], removed: [], revised: [] });
  }

  /** Compare one municipality's rows (all of them, in published order) with the previous release's. */
  addMunicipality(code: string, tables: RowTables): void {
    for (const f of tables.findings ?? []) {
      if (f.rule === 'row_held') this.heldRows++;
      if (f.rule === 'correction_applied') this.corrections.push({ record_key: String(f.record_key), message: String(f.message).replace(/^[^:]*line \d+: /u, '') });
    }
    for (const ds of this.datasets) {
      const after = tables[ds] ?? [];
      const total = this.changes.get(ds)!;
      total.rows_after += after.length;
      if (!this.previous) continue;
      const before = this.previous.rows(ds, code);
      const d = diffDataset(ds, before, after);
      total.added.push(...d.added);
      total.removed.push(...d.removed);
      total.revised.push(...d.revised);
      if (ds === 'findings') {
        const ref = (rows: Row[], from: Row[]) => {
          const byKey = index(ds, from);
          return rows.map((key) => {
            const row = byKey.get(JSON.stringify(key))?.row ?? {};
            return { key, severity: row.severity ?? null, message: row.message ?? null };
          });
        };
        this.findingRefs.added.push(...ref(d.added, after));
        this.findingRefs.resolved.push(...ref(d.removed, before));
        this.findingRefs.changed.push(...d.revised);
      }
    }
  }

  finish(args: { release: string; created: Date; contentHash: string; publication: PublicationOptions }): Changelog {
    const { previous } = this;
    const log: Changelog = {
      release: args.release,
      created: args.created.toISOString(),
      initial_release: previous === null,
      previous_release: previous?.id ?? null,
      content_hash: args.contentHash,
      previous_content_hash: previous?.contentHash ?? null,
      publication: args.publication,
      previous_publication: previous?.publication ?? null,
      summary: [],
      datasets: {},
      findings: { added: [], resolved: [], changed: [] },
      held_rows: this.heldRows,
      corrections: this.corrections,
    };
    const held = this.heldRows ? [`${this.heldRows} doubtful row(s) held for review, not published (see review/queue.json beside the releases)`] : [];
    if (!previous) {
      log.summary.push(`initial release: ${this.datasets.map((ds) => `${ds} ${this.changes.get(ds)!.rows_after} rows`).join(', ')}`, ...held);
      return log;
    }
    for (const ds of this.datasets) {
      const d = this.changes.get(ds)!;
      if (ds === 'findings') {
        log.findings = this.findingRefs;
        if (d.added.length || d.removed.length || d.revised.length) log.summary.push(`findings: ${d.added.length} new, ${d.removed.length} resolved, ${d.revised.length} changed`);
        continue;
      }
      if (d.added.length || d.removed.length || d.revised.length) {
        log.datasets[ds] = d;
        log.summary.push(`${ds}: ${d.added.length} rows added, ${d.removed.length} removed, ${d.revised.length} revised (${d.rows_before} → ${d.rows_after} rows)`);
      }
    }
    if (log.summary.length === 0) log.summary.push('no changes to the data');
    log.summary.push(...held);
    const p = previous.publication;
    if (p && (p.sjis !== args.publication.sjis || p.base_url !== args.publication.base_url)) {
      log.summary.push(
        `publication options changed: Shift_JIS copies ${p.sjis ? 'on' : 'off'} → ${args.publication.sjis ? 'on' : 'off'}, base URL ${p.base_url ?? '(relative)'} → ${args.publication.base_url ?? '(relative)'}`,
      );
    }
    return log;
  }
}

/** Text with the characters Markdown would interpret escaped (values come from PDFs). */
const mdText = (s: string) => s.replace(/[\\`*[\]|<>]/gu, (c) => (c === '<' ? '&lt;' : c === '>' ? '&gt;' : `\\${c}`)).replace(/\s+/gu, ' ');

/** A value in Markdown: strings quoted, numbers/booleans as they are, null as "null". */
const md = (v: unknown) => (typeof v === 'string' ? `"${mdText(v)}"` : v === null || v === undefined ? 'null' : mdText(JSON.stringify(v)));

const keyText = (key: Row) => Object.values(key).map((v) => (typeof v === 'string' ? mdText(v) : md(v))).join(' / ');

const LIST_LIMIT = 300;

function list<T>(items: T[], line: (t: T) => string): string[] {
  const out = items.slice(0, LIST_LIMIT).map(line);
  if (items.length > LIST_LIMIT) out.push(`- … and ${items.length - LIST_LIMIT} more (see changelog.json)`);
  return out;
}

export function changelogMarkdown(log: Changelog): string {
  const lines = [`# Changelog — release ${log.release}`, ''];
  lines.push(`Created ${log.created}. Content sha256 \`${log.content_hash}\`.`, '');
  if (log.initial_release) {
    lines.push('**Initial release** (初回リリース). There is no previous release to compare with.', '');
  } else {
    lines.push(`Compared with the previous release **${log.previous_release}**${log.previous_content_hash ? ` (content sha256 \`${log.previous_content_hash}\`)` : ''}.`, '');
  }
  lines.push('## Summary (概要)', '', ...log.summary.map((s) => `- ${s}`), '');
  for (const [ds, d] of Object.entries(log.datasets) as Array<[DatasetName, DatasetChanges]>) {
    lines.push(`## ${ds}`, '', `Rows: ${d.rows_before} → ${d.rows_after}.`, '');
    if (d.added.length) lines.push(`### Added (追加) — ${d.added.length}`, '', ...list(d.added, (k) => `- ${keyText(k)}`), '');
    if (d.removed.length) lines.push(`### Removed (削除) — ${d.removed.length}`, '', ...list(d.removed, (k) => `- ${keyText(k)}`), '');
    if (d.revised.length) {
      lines.push(`### Revised (修正) — ${d.revised.length}`, '');
      lines.push(...list(d.revised, (r) => `- ${keyText(r.key)}: ${r.changes.map((c) => `${c.field} ${md(c.old)} → ${md(c.new)}`).join('; ')}`), '');
    }
  }
  if (log.corrections?.length) {
    lines.push(`## Corrections (訂正) — ${log.corrections.length}`, '', ...list(log.corrections, (c) => `- ${mdText(c.record_key)}: ${mdText(c.message)}`), '');
  }
  const f = log.findings;
  if (f.added.length || f.resolved.length || f.changed.length) {
    lines.push('## Findings (検証結果)', '');
    const ref = (r: FindingRef) => `- [${String(r.severity)}] ${keyText(r.key)}: ${mdText(String(r.message))}`;
    if (f.added.length) lines.push(`### New findings (新規) — ${f.added.length}`, '', ...list(f.added, ref), '');
    if (f.resolved.length) lines.push(`### Resolved findings (解消) — ${f.resolved.length}`, '', ...list(f.resolved, ref), '');
    if (f.changed.length) lines.push(`### Changed findings (変更) — ${f.changed.length}`, '', ...list(f.changed, (r) => `- ${keyText(r.key)}: ${r.changes.map((c) => `${c.field} ${md(c.old)} → ${md(c.new)}`).join('; ')}`), '');
  }
  return `${lines.join('\n').replace(/\n+$/u, '')}\n`;
}

/** The content hash of a published release folder (from its manifest), or null. */
export function releaseContentHash(dir: string): string | null {
  const p = join(dir, 'manifest.json');
  if (!existsSync(p)) return null;
  const manifest = JSON.parse(readFileSync(p, 'utf8')) as { content_hash?: unknown };
  return typeof manifest.content_hash === 'string' ? manifest.content_hash : null;
}

// ---- releases/index.json -------------------------------------------------

export interface ReleaseIndexEntry {
  id: string;
  content_hash: string;
  created: string;
  previous: string | null;
  row_counts: Record<string, number>;
  publication: PublicationOptions;
}

export interface ReleaseIndex {
  description: string;
  releases: ReleaseIndexEntry[];
}

const INDEX_DESCRIPTION = 'Releases in the order they were created (append-only). Each folder releases/<id>/ is immutable; latest points at the current one.';

export function readReleaseIndex(releasesDir: string): ReleaseIndex {
  const p = join(releasesDir, 'index.json');
  if (!existsSync(p)) return { description: INDEX_DESCRIPTION, releases: [] };
  let doc: ReleaseIndex;
  try {
    doc = JSON.parse(readFileSync(p, 'utf8')) as ReleaseIndex;
  } catch (err) {
    throw new Error(`${p} is not valid JSON (${(err as Error).message}); it is append-only, so restore it from a backup instead of deleting it`);
  }
  if (!Array.isArray(doc.releases)) throw new Error(`${p} has no "releases" list`);
  return doc;
}

/** Append an entry unless the release is already listed; written to a temporary file, flushed and renamed into place. */
export function appendReleaseIndex(releasesDir: string, entry: ReleaseIndexEntry): boolean {
  const doc = readReleaseIndex(releasesDir);
  if (doc.releases.some((r) => r.id === entry.id)) return false;
  const next: ReleaseIndex = { description: doc.description ?? INDEX_DESCRIPTION, releases: [...doc.releases, entry] };
  writeFileAtomic(join(releasesDir, 'index.json'), `${JSON.stringify(next, null, 2)}\n`);
  return true;
}
