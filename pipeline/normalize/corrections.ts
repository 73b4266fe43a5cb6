/**
 * Corrections by the open-data team: raw/corrections.csv
 *   record_key,field,corrected_value,reason,author,date
 * Lines starting with # are comments. The file may be UTF-8 (with or without a
 * BOM) or Shift_JIS/CP932 as Excel saves it; the encoding is detected with
 * encoding-japanese and a file that is neither is refused (never decoded into
 * mojibake).
 *
 * Every line is checked before anything runs: the key must be a record key, the
 * field a correctable column of that dataset, the value must parse in the
 * column's type and unit (base units: 5400000, not 540万人; decimal, not 0x10),
 * and a key+field may be corrected once. After the reports are read, a key of a
 * report in the run that matches no record is an error too. Any invalid line
 * stops the run before anything is published (CorrectionsError: file, line,
 * column and a hint for each).
 *
 * A corrected value flows into the columns derived from it: correcting
 * actual_value rewrites actual_text and actual_status (unless they are
 * corrected too); correcting actual_text re-reads actual_value and
 * actual_status from the text. Validation runs afterwards, so progress symbols
 * and findings are recomputed from the corrected values.
 */
import { existsSync, readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { encodingJapanese, iconvLite, papaparse } from '../lib/lazy.js';
import { InputError } from '../lib/registry.js';
import { nearest } from '../lib/nearest.js';
import type { Finding, KPISummary, NumericTarget } from '../lib/records.gen.js';
import { DATASET_SCHEMAS } from '../lib/records.gen.js';
import { datasetValidator, formatErrors, resolveProperty, schemaDoc, type PropertySchema } from '../lib/schemas.js';
import type { NormalizedReport } from './index.js';
import { parseQuantity } from './parse.js';

export interface Correction {
  /** Line of the file (1-based) and the columns of its values (1-based). */
  line: number;
  record_key: string;
  field: string;
  corrected_value: string;
  reason: string;
  author: string;
  date: string;
  dataset: CorrectedDataset;
}

export type CorrectedDataset = 'numeric_targets' | 'kpi_summary';

/** One invalid line of the corrections file. */
export interface CorrectionIssue {
  line: number;
  column: number;
  column_name: string;
  problem: string;
  hint: string;
}

/** The corrections file has invalid lines: the run stops before publishing. */
export class CorrectionsError extends InputError {
  constructor(
    file: string,
    readonly issues: CorrectionIssue[],
  ) {
    const i = issues[0]!;
    super(file, `${issueText(i)}${issues.length > 1 ? ` (and ${issues.length - 1} more invalid line(s))` : ''}`, i.hint);
    this.name = 'CorrectionsError';
  }
}

export const issueText = (i: CorrectionIssue): string => `line ${i.line}, column ${i.column} (${i.column_name}): ${i.problem}`;

export const CORRECTION_COLUMNS = ['record_key', 'field', 'corrected_value', 'reason', 'author', 'date'] as const;
type Column = (typeof CORRECTION_COLUMNS)[number];

/** Fields that describe provenance or are computed, never corrected by hand. */
const NOT_CORRECTABLE = new Set(['record_key', 'municipality_code', 'report_fiscal_year', 'source_file', 'source_sha256', 'source_page', 'extraction_status', 'extraction_note', 'progress_method', 'progress_ratio', 'progress_recomputed', 'progress_consistent', 'counts_consistent']);

const KEY_RE: Record<CorrectedDataset, RegExp> = {
  kpi_summary: /^\d{6}\/\d{4}\/kpi\/\d+$/u,
  numeric_targets: /^\d{6}\/\d{4}\/[^/\s]+\/\d{4}$/u,
};

/** A decimal number in base units, optionally with thousands separators (no units, no 万, no hex or exponents). */
const DECIMAL_RE = /^-?(?:\d+|\d{1,3}(?:,\d{3})+)(?:\.\d+)?$/u;

/** Decode the file: UTF-8 (BOM or not) or Shift_JIS/CP932; anything else is refused. */
export function decodeCorrections(path: string, data: Uint8Array): string {
  if (data[0] === 0xef && data[1] === 0xbb && data[2] === 0xbf) {
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(data.subarray(3));
    } catch {
      throw new InputError(path, 'the file starts with a UTF-8 BOM but is not valid UTF-8', 'save it again as "CSV UTF-8" from Excel, or as UTF-8 from an editor');
    }
  }
  if ((data[0] === 0xff && data[1] === 0xfe) || (data[0] === 0xfe && data[1] === 0xff) || data.includes(0)) {
    throw new InputError(path, 'the file is UTF-16 (or binary), not UTF-8 or Shift_JIS', 'save it from Excel as "CSV UTF-8" (not "Unicode text"), or as UTF-8 from an editor');
  }
  const Encoding = encodingJapanese();
  const bytes = Array.from(data);
  if (Encoding.detect(bytes, 'UTF8')) return new TextDecoder('utf-8', { fatal: true }).decode(data);
  if (Encoding.detect(bytes, 'SJIS')) return iconvLite().decode(Buffer.from(data), 'cp932');
  const seen = Encoding.detect(bytes);
  throw new InputError(path, `the file is neither UTF-8 nor Shift_JIS${seen ? ` (it looks like ${String(seen)})` : ''}`, 'save it from Excel as "CSV UTF-8" (or CSV in Shift_JIS), or from an editor as UTF-8');
}

/** The CSV rows of the text with the line each starts on (comment lines and empty lines left out). */
function rowsWithLines(raw: string): Array<{ line: number; cells: string[] }> {
  // Comment lines are blanked, not removed, so line numbers stay right; a quote in a comment cannot break the file.
  const text = raw.replace(/^[ \t]*#[^\r\n]*/gmu, '');
  const lineAt = (pos: number) => text.slice(0, pos).split('\n').length;
  const rows: Array<{ line: number; cells: string[] }> = [];
  let offset = 0;
  papaparse().parse<string[]>(text, {
    header: false,
    skipEmptyLines: false,
    step: (res) => {
      const line = lineAt(offset);
      if (res.errors.length) throw new Error(`line ${line}: ${res.errors[0]!.message}`);
      rows.push({ line, cells: res.data });
      // The cursor stops before the line break; the next row starts after it.
      offset = res.meta.cursor;
      if (text[offset] === '\r') offset++;
      if (text[offset] === '\n') offset++;
    },
  });
  return rows.filter((r) => !r.cells.every((c) => c.trim() === ''));
}

const datasetOfKey = (key: string): CorrectedDataset => (/\/kpi\/\d+$/u.test(key) ? 'kpi_summary' : 'numeric_targets');

const correctableFields = (ds: CorrectedDataset) => Object.keys(schemaDoc(DATASET_SCHEMAS[ds]).properties).filter((f) => !NOT_CORRECTABLE.has(f));

/** The value of a correction in the column's type, or why it cannot be one. */
export function coerceValue(prop: PropertySchema, raw: string): { ok: true; value: unknown } | { ok: false; why: string; hint: string } {
  const p = resolveProperty(prop);
  const types = (Array.isArray(p.type) ? p.type : [p.type]) as string[];
  if (raw === '') return types.includes('null') ? { ok: true, value: null } : { ok: false, why: 'the value is empty and this column cannot be empty', hint: 'give a value' };
  if (types.includes('number') || types.includes('integer')) {
    if (!DECIMAL_RE.test(raw)) {
      const q = parseQuantity(raw);
      const hint = q.value !== null && !q.doubt ? `write the number in base units without a unit: ${q.value}` : 'write a decimal number such as 5400000 or 12.5 (no unit, no 万, no hex)';
      return { ok: false, why: `"${raw}" is not a number in the column's unit`, hint };
    }
    const n = Number(raw.replace(/,/gu, ''));
    if (types.includes('integer') && !types.includes('number') && !Number.isInteger(n)) return { ok: false, why: `"${raw}" is not a whole number`, hint: 'this column counts things: give a whole number' };
    return { ok: true, value: n };
  }
  if (types.includes('boolean')) return raw === 'true' || raw === 'false' ? { ok: true, value: raw === 'true' } : { ok: false, why: `"${raw}" is not true or false`, hint: 'write true or false' };
  const allowed = (p as { enum?: unknown[] }).enum;
  if (allowed && !allowed.includes(raw)) return { ok: false, why: `"${raw}" is not one of the allowed values`, hint: `write one of: ${allowed.filter((v) => v !== null).join(', ')}` };
  return { ok: true, value: raw };
}

/** Check one row of the file; returns the correction or the issues of its line. */
function checkRow(row: Record<Column, string>, line: number, col: (c: Column) => number, seen: Map<string, number>): Correction | CorrectionIssue[] {
  const issues: CorrectionIssue[] = [];
  const issue = (c: Column, problem: string, hint: string) => issues.push({ line, column: col(c), column_name: c, problem, hint });
  const key = row.record_key;
  const dataset = datasetOfKey(key);
  if (!key) issue('record_key', 'record_key is empty', 'copy the record_key column of the row from numeric_targets.csv or kpi_summary.csv');
  else if (!KEY_RE[dataset].test(key)) issue('record_key', `"${key}" is not a record key of numeric_targets or kpi_summary`, 'copy the record_key column of the row, e.g. 402036/2016/402036-G2-tourists/2015 or 402036/2016/kpi/1');
  const props = schemaDoc(DATASET_SCHEMAS[dataset]).properties;
  let value: { ok: true; value: unknown } | null = null;
  if (!row.field) issue('field', 'field is empty', 'name the column to correct, e.g. actual_value');
  else if (!props[row.field]) {
    const near = nearest(row.field, correctableFields(dataset));
    issue('field', `${dataset} has no column "${row.field}"`, near ? `did you mean ${near}?` : `correctable columns: ${correctableFields(dataset).join(', ')}`);
  } else if (NOT_CORRECTABLE.has(row.field)) {
    issue('field', `"${row.field}" is provenance or computed and cannot be corrected`, 'correct the value it is computed from (e.g. actual_value or target_value); progress and status are recomputed');
  } else {
    const v = coerceValue(props[row.field]!, row.corrected_value);
    if (v.ok) value = v;
    else issue('corrected_value', v.why, v.hint);
  }
  if (!row.reason) issue('reason', 'reason is empty', 'every correction says why (it is published in extraction_note and the changelog)');
  if (!row.author) issue('author', 'author is empty', 'every correction says who made it');
  if (!/^\d{4}-\d{2}-\d{2}$/u.test(row.date) || Number.isNaN(Date.parse(`${row.date}T00:00:00Z`))) issue('date', `date "${row.date}" is not YYYY-MM-DD`, 'write the date as e.g. 2026-10-01');
  const dupKey = `${key}\u0000${row.field}`;
  const first = seen.get(dupKey);
  if (key && row.field && first !== undefined) issue('field', `${key} ${row.field} is already corrected on line ${first}`, 'keep one line per record and field (delete the older one)');
  else seen.set(dupKey, line);
  if (issues.length || !value) return issues;
  return { line, ...row, dataset };
}

/**
 * Read and check raw/corrections.csv. Throws CorrectionsError listing every
 * invalid line (or InputError for a file that cannot be read as CSV at all).
 */
export function loadCorrections(path: string): Correction[] {
  if (!existsSync(path)) return [];
  const text = decodeCorrections(path, new Uint8Array(readFileSync(path)));
  let rows: Array<{ line: number; cells: string[] }>;
  try {
    rows = rowsWithLines(text);
  } catch (err) {
    throw new InputError(path, `${(err as Error).message} (the file is not valid CSV)`, 'check the quoting: a value with a comma or a quote must be in double quotes');
  }
  const header = rows.shift();
  const names = (header?.cells ?? []).map((h) => h.trim());
  const missing = CORRECTION_COLUMNS.filter((c) => !names.includes(c));
  if (missing.length) throw new InputError(path, `line ${header?.line ?? 1}: missing column(s) ${missing.join(', ')}`, `the header must be: ${CORRECTION_COLUMNS.join(',')}`);
  const col = (c: Column) => names.indexOf(c) + 1;
  const issues: CorrectionIssue[] = [];
  const corrections: Correction[] = [];
  const seen = new Map<string, number>();
  for (const r of rows) {
    if (r.cells.length > names.length && r.cells.slice(names.length).some((c) => c.trim() !== '')) {
      issues.push({ line: r.line, column: names.length + 1, column_name: '(extra)', problem: `the line has ${r.cells.length} values, the header ${names.length}`, hint: 'a value with a comma must be in double quotes' });
      continue;
    }
    const row = Object.fromEntries(CORRECTION_COLUMNS.map((k) => [k, (r.cells[col(k) - 1] ?? '').trim()])) as Record<Column, string>;
    const checked = checkRow(row, r.line, col, seen);
    if (Array.isArray(checked)) issues.push(...checked);
    else corrections.push(checked);
  }
  if (issues.length) throw new CorrectionsError(path, issues);
  return corrections;
}

type Target = { dataset: 'numeric_targets'; rec: NumericTarget } | { dataset: 'kpi_summary'; rec: KPISummary };

/** The printed form of a corrected number: 5,400,000人. */
const formatValue = (value: number | null, unit: string | null): string | null => (value === null ? null : `${value.toLocaleString('en-US', { maximumFractionDigits: 10 })}${unit ?? ''}`);

/** Text/value column pairs of numeric_targets whose text is rewritten when the value is corrected, and the other way round. */
const PAIRS = [
  { text: 'actual_text', value: 'actual_value', status: 'actual_status', comparator: null },
  { text: 'target_text', value: 'target_value', status: null, comparator: 'target_comparator' },
  { text: 'baseline_text', value: 'baseline_value', status: null, comparator: null },
  { text: 'final_target_text', value: 'final_target_value', status: null, comparator: null },
] as const;

/** Bring the columns derived from a corrected column in line with it (numeric_targets only). */
function deriveColumns(rec: Record<string, unknown>, corrected: Set<string>): string[] {
  const derived: string[] = [];
  const set = (f: string, v: unknown) => {
    if (corrected.has(f) || rec[f] === v) return;
    rec[f] = v;
    derived.push(f);
  };
  const unit = typeof rec.unit === 'string' ? rec.unit : null;
  for (const p of PAIRS) {
    if (corrected.has(p.value) && !corrected.has(p.text)) {
      const v = rec[p.value] as number | null;
      set(p.text, formatValue(v, unit));
      if (p.status) set(p.status, v === null ? 'missing' : 'final');
    } else if (corrected.has(p.text) && !corrected.has(p.value)) {
      const q = parseQuantity(typeof rec[p.text] === 'string' ? (rec[p.text] as string) : null, unit);
      set(p.value, q.value);
      if (p.status) set(p.status, q.status);
      if (p.comparator) set(p.comparator, q.comparator);
    } else if (corrected.has(p.value) && p.status && !corrected.has(p.status)) {
      set(p.status, rec[p.value] === null ? 'missing' : 'final');
    }
  }
  return derived;
}

/**
 * Apply the corrections that match records of this report. Returns the report
 * with corrected records and findings, the corrections it used, and issues for
 * corrections that make a record invalid (the run stops on them).
 */
export function applyCorrections(report: NormalizedReport, corrections: Correction[], file: string): { report: NormalizedReport; used: Set<Correction>; issues: CorrectionIssue[] } {
  const used = new Set<Correction>();
  const issues: CorrectionIssue[] = [];
  if (corrections.length === 0) return { report, used, issues };
  const numeric = report.datasets.numeric_targets.map((r) => ({ ...r }));
  const kpi = report.datasets.kpi_summary.map((r) => ({ ...r }));
  const byKey = new Map<string, Target>();
  for (const rec of numeric) byKey.set(rec.record_key, { dataset: 'numeric_targets', rec });
  for (const rec of kpi) byKey.set(rec.record_key, { dataset: 'kpi_summary', rec });
  const base = { municipality_code: report.meta.municipality_code, report_fiscal_year: report.meta.report_fiscal_year, source_file: report.meta.file };
  const byRecord = new Map<string, Correction[]>();
  for (const c of corrections) {
    if (!byKey.has(c.record_key)) continue;
    used.add(c);
    byRecord.set(c.record_key, [...(byRecord.get(c.record_key) ?? []), c]);
  }
  const applied: Finding[] = [];
  for (const [key, cs] of byRecord) {
    const t = byKey.get(key)!;
    const rec = t.rec as unknown as Record<string, unknown>;
    const before = { ...rec };
    const props = schemaDoc(DATASET_SCHEMAS[t.dataset]).properties;
    for (const c of cs) rec[c.field] = (coerceValue(props[c.field]!, c.corrected_value) as { value: unknown }).value;
    const derived = t.dataset === 'numeric_targets' ? deriveColumns(rec, new Set(cs.map((c) => c.field))) : [];
    const notes = cs.map((c) => `${c.field} corrected from "${before[c.field] ?? ''}" to "${c.corrected_value}" by ${c.author} on ${c.date} because ${c.reason}`);
    if (derived.length) notes.push(`${derived.join(', ')} follow${derived.length === 1 ? 's' : ''} the correction`);
    rec.extraction_status = 'corrected';
    rec.extraction_note = notes.join('; ');
    const validate = datasetValidator(t.dataset);
    if (!validate(rec)) {
      const c = cs[0]!;
      issues.push({ line: c.line, column: 3, column_name: 'corrected_value', problem: `the corrected ${t.dataset} record ${key} does not match its schema: ${formatErrors((validate as unknown as { errors: Parameters<typeof formatErrors>[0] }).errors)}`, hint: 'check the value against the column description in the README' });
      Object.assign(rec, before);
      continue;
    }
    for (const c of cs) {
      applied.push({ ...base, dataset: t.dataset, record_key: key, source_page: t.rec.source_page, rule: 'correction_applied', severity: 'info', message: `${file} line ${c.line}: ${c.field} corrected from "${before[c.field] ?? ''}" to "${c.corrected_value}" by ${c.author} on ${c.date} because ${c.reason}`, reported: before[c.field] === null || before[c.field] === undefined ? null : String(before[c.field]), recomputed: c.corrected_value });
    }
  }
  // Findings the extractor raised about a row the team has now corrected are settled by the correction.
  const corrected = new Set([...byRecord.keys()].filter((k) => (byKey.get(k)!.rec as { extraction_status: string }).extraction_status === 'corrected'));
  const findings = [...report.findings.filter((f) => !(f.rule === 'extraction_uncertain' && corrected.has(f.record_key))), ...applied];
  return { report: { ...report, datasets: { ...report.datasets, numeric_targets: numeric, kpi_summary: kpi }, findings }, used, issues };
}

/**
 * After every report of the run is read: a correction whose key belongs to a
 * report of this run (same municipality and report year) but matches no record
 * is an issue (the key is mistyped); one for a report not in the run is a
 * warning finding (the report or the indicator id may have changed).
 */
export function unmatchedCorrections(corrections: Correction[], used: Set<Correction>, file: string, reportsInRun: Set<string>, fallback: { municipality_code: string; report_fiscal_year: number }, knownKeys: (c: Correction) => string[]): { issues: CorrectionIssue[]; findings: Finding[] } {
  const issues: CorrectionIssue[] = [];
  const findings: Finding[] = [];
  for (const c of corrections) {
    if (used.has(c)) continue;
    const m = /^(\d{6})\/(\d{4})\//u.exec(c.record_key);
    if (m && reportsInRun.has(`${m[1]}/${m[2]}`)) {
      const near = nearest(c.record_key, knownKeys(c));
      issues.push({ line: c.line, column: 1, column_name: 'record_key', problem: `no record of the report ${m[1]}/${m[2]} has the key ${c.record_key}`, hint: near ? `did you mean ${near}?` : 'copy the record_key column of the row from numeric_targets.csv or kpi_summary.csv' });
      continue;
    }
    findings.push({
      municipality_code: m ? m[1]! : fallback.municipality_code,
      report_fiscal_year: m ? Number(m[2]) : fallback.report_fiscal_year,
      dataset: 'corrections',
      record_key: c.record_key,
      rule: 'correction_unmatched',
      severity: 'warning',
      message: `${basename(file)} line ${c.line}: no report of this run has the key ${c.record_key} (the report is not in the run, or its indicator id changed); the correction of ${c.field} was not applied`,
      reported: null,
      recomputed: c.corrected_value,
      source_file: 'corrections.csv',
      source_page: null,
    });
  }
  return { issues, findings };
}
