/**
 * Corrections by the open-data team: raw/corrections.csv (read with papaparse)
 *   record_key,field,corrected_value,reason,author,date
 * Each correction replaces one field of one numeric-target or KPI record after
 * extraction; the record is validated again against its schema, and the row is
 * marked extraction_status=corrected with the reason in extraction_note. A
 * correction that no longer matches any record is a finding, not an error.
 */
import { existsSync, readFileSync } from 'node:fs';
import { papaparse } from '../lib/lazy.js';
import { InputError } from '../lib/registry.js';
import type { Finding, KPISummary, NumericTarget } from '../lib/records.gen.js';
import { DATASET_SCHEMAS } from '../lib/records.gen.js';
import { datasetValidator, formatErrors, resolveProperty, schemaDoc } from '../lib/schemas.js';
import type { NormalizedReport } from './index.js';

export interface Correction {
  line: number;
  record_key: string;
  field: string;
  corrected_value: string;
  reason: string;
  author: string;
  date: string;
}

const COLUMNS = ['record_key', 'field', 'corrected_value', 'reason', 'author', 'date'] as const;
/** Fields that describe provenance or are computed, never corrected by hand. */
const NOT_CORRECTABLE = new Set(['record_key', 'municipality_code', 'report_fiscal_year', 'source_file', 'source_sha256', 'source_page', 'extraction_status', 'extraction_note', 'progress_method', 'progress_ratio', 'progress_recomputed', 'progress_consistent', 'counts_consistent']);

export function loadCorrections(path: string): Correction[] {
  if (!existsSync(path)) return [];
  const text = readFileSync(path, 'utf8').replace(/^\uFEFF/u, '');
  const parsed = papaparse().parse<Record<string, string>>(text, { header: true, skipEmptyLines: 'greedy', transformHeader: (h) => h.trim() });
  if (parsed.errors.length > 0) {
    const e = parsed.errors[0]!;
    throw new InputError(path, `line ${(e.row ?? 0) + 2}: ${e.message}`, 'check the quoting: a value with a comma or a quote must be in double quotes');
  }
  const fields = parsed.meta.fields ?? [];
  const missing = COLUMNS.filter((c) => !fields.includes(c));
  if (missing.length) throw new InputError(path, `missing column(s) ${missing.join(', ')}`, `the header must be: ${COLUMNS.join(',')}`);
  return parsed.data.map((row, i) => {
    const line = i + 2;
    const c = Object.fromEntries(COLUMNS.map((k) => [k, (row[k] ?? '').trim()])) as Omit<Correction, 'line'>;
    if (!c.record_key) throw new InputError(path, `line ${line}: record_key is empty`, 'copy the record_key column of the row from numeric_targets.csv or kpi_summary.csv');
    if (!c.field) throw new InputError(path, `line ${line}: field is empty`, 'name the column to correct, e.g. actual_value');
    if (!c.reason || !c.author) throw new InputError(path, `line ${line}: reason and author are required`, 'every correction says why and who');
    if (!/^\d{4}-\d{2}-\d{2}$/u.test(c.date)) throw new InputError(path, `line ${line}: date "${c.date}" is not YYYY-MM-DD`, 'write the date as e.g. 2026-10-01');
    return { line, ...c };
  });
}

type Target = { dataset: 'numeric_targets'; rec: NumericTarget } | { dataset: 'kpi_summary'; rec: KPISummary };

function coerce(dataset: Target['dataset'], field: string, raw: string): { ok: true; value: unknown } | { ok: false; why: string } {
  const prop = schemaDoc(DATASET_SCHEMAS[dataset]).properties[field];
  if (!prop) return { ok: false, why: `${dataset} has no column "${field}"` };
  if (NOT_CORRECTABLE.has(field)) return { ok: false, why: `"${field}" is provenance or computed and cannot be corrected` };
  const p = resolveProperty(prop);
  const types = Array.isArray(p.type) ? p.type : [p.type];
  if (raw === '') return types.includes('null') ? { ok: true, value: null } : { ok: false, why: `"${field}" cannot be empty` };
  if (types.includes('number') || types.includes('integer')) {
    const n = Number(raw.replace(/,/gu, ''));
    return Number.isFinite(n) ? { ok: true, value: n } : { ok: false, why: `"${raw}" is not a number` };
  }
  if (types.includes('boolean')) return raw === 'true' || raw === 'false' ? { ok: true, value: raw === 'true' } : { ok: false, why: `"${raw}" is not true/false` };
  return { ok: true, value: raw };
}

/**
 * Apply the corrections that match records of this report. Returns the report
 * with corrected records and findings, and the corrections it used.
 */
export function applyCorrections(report: NormalizedReport, corrections: Correction[], file: string): { report: NormalizedReport; used: Set<Correction> } {
  const used = new Set<Correction>();
  if (corrections.length === 0) return { report, used };
  const numeric = report.datasets.numeric_targets.map((r) => ({ ...r }));
  const kpi = report.datasets.kpi_summary.map((r) => ({ ...r }));
  const byKey = new Map<string, Target>();
  for (const rec of numeric) byKey.set(rec.record_key, { dataset: 'numeric_targets', rec });
  for (const rec of kpi) byKey.set(rec.record_key, { dataset: 'kpi_summary', rec });
  const findings: Finding[] = [...report.findings];
  const base = { municipality_code: report.meta.municipality_code, report_fiscal_year: report.meta.report_fiscal_year, source_file: report.meta.file };
  for (const c of corrections) {
    const t = byKey.get(c.record_key);
    if (!t) continue;
    used.add(c);
    const where = { ...base, dataset: t.dataset, record_key: c.record_key, source_page: t.rec.source_page };
    const v = coerce(t.dataset, c.field, c.corrected_value);
    const rec = t.rec as unknown as Record<string, unknown>;
    if (!v.ok) {
      findings.push({ ...where, rule: 'correction_invalid', severity: 'error', message: `${file} line ${c.line}: not applied: ${v.why}`, reported: null, recomputed: c.corrected_value });
      continue;
    }
    const before = rec[c.field];
    const candidate = { ...rec, [c.field]: v.value };
    const validate = datasetValidator(t.dataset);
    if (!validate(candidate)) {
      findings.push({ ...where, rule: 'correction_invalid', severity: 'error', message: `${file} line ${c.line}: not applied: ${formatErrors((validate as unknown as { errors: Parameters<typeof formatErrors>[0] }).errors)}`, reported: before === null || before === undefined ? null : String(before), recomputed: c.corrected_value });
      continue;
    }
    const note = `${c.field} corrected from "${before ?? ''}" to "${c.corrected_value}" by ${c.author} on ${c.date}: ${c.reason}`;
    const previousNote = typeof rec.extraction_note === 'string' && rec.extraction_note !== '' ? rec.extraction_note : null;
    rec[c.field] = v.value;
    rec.extraction_status = 'corrected';
    rec.extraction_note = previousNote ? `${previousNote}; ${note}` : note;
    findings.push({ ...where, rule: 'correction_applied', severity: 'info', message: `${file} line ${c.line}: ${note}`, reported: before === null || before === undefined ? null : String(before), recomputed: c.corrected_value });
  }
  return { report: { ...report, datasets: { ...report.datasets, numeric_targets: numeric, kpi_summary: kpi }, findings }, used };
}

/** Findings for corrections that matched no record in any report of the run. */
export function unusedCorrectionFindings(corrections: Correction[], used: Set<Correction>, file: string, fallback: { municipality_code: string; report_fiscal_year: number }): Finding[] {
  return corrections
    .filter((c) => !used.has(c))
    .map((c) => {
      const m = /^(\d{6})\/(\d{4})\//u.exec(c.record_key);
      return {
        municipality_code: m ? m[1]! : fallback.municipality_code,
        report_fiscal_year: m ? Number(m[2]) : fallback.report_fiscal_year,
        dataset: 'corrections',
        record_key: c.record_key,
        rule: 'correction_unmatched',
        severity: 'warning' as const,
        message: `${file} line ${c.line}: no record has the key ${c.record_key} (the report or the indicator id may have changed); the correction of ${c.field} was not applied`,
        reported: null,
        recomputed: c.corrected_value,
        source_file: 'corrections.csv',
        source_page: null,
      };
    });
}
