/**
 * holdDoubtful on the real doubtful-table fixture, stage by stage: the two
 * uncertain rows are held with their grid cells marked; a table that failed its
 * structure checks has every row held; an accepted row is published only for
 * the PDF it was accepted for.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { extractReport, type ExtractedReport } from '../pipeline/extract/index.js';
import { loadIndicators } from '../pipeline/lib/registry.js';
import { normalizeReport, type NormalizedReport } from '../pipeline/normalize/index.js';
import { holdDoubtful } from '../pipeline/review/held.js';
import { validateReport } from '../pipeline/validate/index.js';

const ROOT = join(import.meta.dirname, '..');
const PDF = join(ROOT, 'test/fixtures/review/doubtful-table.pdf');
let ex: ExtractedReport;
let report: NormalizedReport;
const src = { path: PDF, sha256: '' };

beforeAll(async () => {
  ex = await extractReport(new Uint8Array(readFileSync(PDF)), 'doubtful-table.pdf');
  src.sha256 = ex.sha256;
  report = validateReport(normalizeReport(ex, { file: 'doubtful-table.pdf', municipality_code: '402036', municipality_name: '福岡県久留米市', report_fiscal_year: 2016 }, loadIndicators(join(ROOT, 'raw')))).report;
});

describe('holdDoubtful', () => {
  it('holds the uncertain rows, marks their cells in the grid, and keeps the rest', () => {
    const { report: kept, tables } = holdDoubtful(report, ex, src, []);
    expect(kept.datasets.numeric_targets).toHaveLength(8);
    expect(tables).toHaveLength(1);
    const marked = tables[0]!.grid.filter((g) => g.doubtful.length).map((g) => g.doubtful.map((i) => g.cells[i]));
    expect(marked).toEqual([['16,639件'], ['12.9% (速報 11.0%)']]);
    expect(kept.findings.filter((f) => f.rule === 'row_held')).toHaveLength(2);
    expect(kept.findings.filter((f) => f.rule === 'extraction_uncertain')).toEqual([]);
  });

  it('holds every row of a table that failed its structure checks', () => {
    const broken = structuredClone(ex);
    broken.numericTables[0]!.issues.push('page 1: year rows before the first indicator start');
    const { report: kept, tables } = holdDoubtful(report, broken, src, []);
    expect(kept.datasets.numeric_targets).toEqual([]);
    expect(tables[0]!.rows).toHaveLength(10);
    const clean = tables[0]!.rows.find((r) => r.candidate.actual_text === '17,375人')!;
    expect(clean.reason).toBe('table structure: page 1: year rows before the first indicator start');
    // A layout note is not a failure.
    const noted = structuredClone(ex);
    noted.numericTables[0]!.issues.push('note: page 1: the H28 row continues from the previous page');
    expect(holdDoubtful(report, noted, src, []).report.datasets.numeric_targets).toHaveLength(8);
  });

  it('publishes an accepted row only for the PDF it was accepted for', () => {
    const key = report.datasets.numeric_targets.find((r) => r.actual_text === '16,639件')!.record_key;
    const decision = { record_key: key, source_sha256: ex.sha256, decision: 'accept' as const, by: 'suzuki', at: '2026-12-01T09:00:00.000Z', note: 'misprint' };
    const ok = holdDoubtful(report, ex, src, [decision]);
    expect(ok.accepted).toBe(1);
    const row = ok.report.datasets.numeric_targets.find((r) => r.record_key === key)!;
    expect([row.extraction_status, row.extraction_note]).toEqual(['accepted', 'actual unit 件 differs from the indicator unit 人; accepted as extracted by suzuki on 2026-12-01 because misprint']);
    expect(ok.report.findings.filter((f) => f.record_key === key).map((f) => f.rule)).toEqual(['review_accepted']);
    const other = holdDoubtful(report, ex, src, [{ ...decision, source_sha256: '0'.repeat(64) }]);
    expect([other.accepted, other.report.datasets.numeric_targets.some((r) => r.record_key === key)]).toEqual([0, false]);
  });

  it('holds a KPI row whose counts do not add up (the real H28 report with one count misread)', async () => {
    const h28 = await extractReport(new Uint8Array(readFileSync(join(ROOT, 'raw/kurume-sousei-h28-progress.pdf'))), 'kurume-sousei-h28-progress.pdf');
    const row = h28.kpiTables[0]!.rows[0]!;
    row.progressPairs = row.progressPairs.map(([sym, n], i) => [sym, i === 0 ? n + 1 : n]);
    const validated = validateReport(normalizeReport(h28, { file: 'kurume-sousei-h28-progress.pdf', municipality_code: '402036', municipality_name: '福岡県久留米市', report_fiscal_year: 2016 }, loadIndicators(join(ROOT, 'raw')))).report;
    const { report: kept, tables } = holdDoubtful(validated, h28, { path: 'x', sha256: h28.sha256 }, []);
    expect(kept.datasets.kpi_summary).toHaveLength(11);
    expect(tables.map((t) => [t.dataset, t.rows.length])).toEqual([['kpi_summary', 1]]);
    const held = tables[0]!.rows[0]!;
    expect(held.reason).toMatch(/^counts do not add up to the KPI count \d+: progress counts ○\d+ △\d+ ×\d+ -\d+ add up to \d+$/u);
    expect(tables[0]!.grid.find((g) => g.record_key === held.record_key)!.doubtful).toEqual([1, 2, 3]);
    expect(kept.findings.filter((f) => f.rule === 'kpi_progress_sum')).toEqual([]);
    expect(kept.findings.filter((f) => f.rule === 'row_held').map((f) => f.record_key)).toEqual([held.record_key]);
  });
});
