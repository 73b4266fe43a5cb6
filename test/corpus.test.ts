/**
 * The rendering corpus (test/fixtures/pdf, made by test/fixtures/make-corpus.mjs):
 * the same report rendered by Chromium and LibreOffice on other paper sizes,
 * fonts, with and without ruling lines, split tables, wrapped cells, full-width
 * digits and Kangxi radicals — plus two later-year synthetic reports. Every
 * numeric-target and KPI row of every file must come out as expected, and every
 * rendering of the H28 report must give the same records as the original PDF.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { extractReport } from '../pipeline/extract/index.js';
import { loadIndicators } from '../pipeline/lib/registry.js';
import type { KPISummary, NumericTarget } from '../pipeline/lib/records.gen.js';
import { normalizeReport, type NormalizedReport } from '../pipeline/normalize/index.js';
import { validateReport } from '../pipeline/validate/index.js';

const ROOT = join(import.meta.dirname, '..');
const FIX = join(ROOT, 'test', 'fixtures');

interface ManifestEntry {
  file: string;
  expected: string;
  synthetic: boolean;
  report_fiscal_year: number;
  description: string;
}
interface Expected {
  report_fiscal_year: number;
  numeric_targets: Array<Pick<NumericTarget, 'goal_no' | 'indicator_name' | 'fiscal_year_label' | 'fiscal_year' | 'target_text' | 'actual_text' | 'progress_reported' | 'evaluation_reported'>>;
  kpi_summary: Array<Omit<KPISummary, 'record_key' | 'municipality_code' | 'report_fiscal_year' | 'policy_direction_name' | 'counts_consistent' | 'extraction_status' | 'extraction_note' | 'source_file' | 'source_page'>>;
}

const manifest = JSON.parse(readFileSync(join(FIX, 'manifest.json'), 'utf8')) as ManifestEntry[];
const indicators = loadIndicators(join(ROOT, 'raw'));

async function run(path: string, name: string): Promise<NormalizedReport> {
  const data = new Uint8Array(readFileSync(path));
  const ex = await extractReport(data, name);
  const n = normalizeReport(ex, { file: name, municipality_code: '402036', municipality_name: '福岡県久留米市', report_fiscal_year: null }, indicators);
  return validateReport(n).report;
}

const compact = (s: string | null | undefined) => (s == null ? null : s.replace(/\s+/gu, ''));
/** The parts of a record that depend on the report's content, not on the file it came from. */
const content = (r: NumericTarget) => {
  const { source_file, source_sha256, source_page, record_key, extraction_note, ...rest } = r;
  void source_file, void source_sha256, void source_page, void record_key, void extraction_note;
  return { ...rest, target_text: compact(r.target_text), actual_text: compact(r.actual_text), baseline_text: compact(r.baseline_text), final_target_text: compact(r.final_target_text) };
};

let original: NormalizedReport;
beforeAll(async () => {
  original = await run(join(ROOT, 'raw', 'kurume-sousei-h28-progress.pdf'), 'kurume-sousei-h28-progress.pdf');
});

describe.each(manifest)('$file', (entry) => {
  let rep: NormalizedReport;
  const expected = JSON.parse(readFileSync(join(FIX, entry.expected), 'utf8')) as Expected;
  beforeAll(async () => {
    rep = await run(join(FIX, entry.file), entry.file.split('/').pop()!);
  });

  it('reads the report fiscal year from the report itself', () => {
    expect(rep.meta.report_fiscal_year).toBe(expected.report_fiscal_year);
  });

  it('gives every numeric-target row as printed', () => {
    const got = rep.datasets.numeric_targets.map((r) => ({
      goal_no: r.goal_no,
      indicator_name: r.indicator_name,
      fiscal_year_label: r.fiscal_year_label,
      fiscal_year: r.fiscal_year,
      target_text: compact(r.target_text),
      actual_text: compact(r.actual_text),
      progress_reported: r.progress_reported,
      evaluation_reported: r.evaluation_reported,
    }));
    const want = expected.numeric_targets.map((e) => ({
      ...e,
      target_text: compact(e.target_text),
      actual_text: compact(e.actual_text),
      progress_reported: e.progress_reported === '—' ? '-' : e.progress_reported,
    }));
    const key = (r: { goal_no: number; indicator_name: string; fiscal_year: number }) => `${r.goal_no}|${r.indicator_name}|${r.fiscal_year}`;
    expect([...got].sort((a, b) => key(a).localeCompare(key(b)))).toEqual([...want].sort((a, b) => key(a).localeCompare(key(b))));
  });

  it('gives every KPI row as printed, counts adding up', () => {
    const got = rep.datasets.kpi_summary.map((r) => ({
      goal_no: r.goal_no,
      policy_direction_no: r.policy_direction_no,
      kpi_count: r.kpi_count,
      achieved: r.achieved,
      mostly_achieved: r.mostly_achieved,
      not_achieved: r.not_achieved,
      undetermined: r.undetermined,
      outlook_a: r.outlook_a,
      outlook_b: r.outlook_b,
      outlook_c: r.outlook_c,
    }));
    expect(got.sort((a, b) => a.policy_direction_no - b.policy_direction_no)).toEqual(expected.kpi_summary);
    expect(rep.datasets.kpi_summary.every((r) => r.counts_consistent)).toBe(true);
  });

  it('keeps indicator ids stable (no unknown indicators) and has no structural warnings', () => {
    expect(rep.findings.filter((f) => ['unknown_indicator', 'table_structure', 'schema_invalid', 'kpi_progress_sum', 'kpi_outlook_sum'].includes(f.rule))).toEqual([]);
    expect(new Set(rep.datasets.numeric_targets.map((r) => r.indicator_id))).toEqual(new Set(original.datasets.numeric_targets.map((r) => r.indicator_id)));
  });

  if (!entry.synthetic) {
    it('gives the same records as the original PDF', () => {
      const a = rep.datasets.numeric_targets.map(content);
      const b = original.datasets.numeric_targets.map(content);
      expect(a).toEqual(b);
      const k = (r: KPISummary) => ({ ...r, source_file: '', source_page: 0, policy_direction_name: '' });
      expect(rep.datasets.kpi_summary.map(k)).toEqual(original.datasets.kpi_summary.map(k));
    });
  }
});

describe('a report whose pages are turned 90° (/Rotate)', () => {
  it('gives the same records as the upright original', async () => {
    const rep = await run(join(FIX, 'rotated', 'h28-rotate90.pdf'), 'h28-rotate90.pdf');
    expect(rep.datasets.numeric_targets.map(content)).toEqual(original.datasets.numeric_targets.map(content));
    const k = (r: KPISummary) => ({ ...r, source_file: '', source_page: 0 });
    expect(rep.datasets.kpi_summary.map(k)).toEqual(original.datasets.kpi_summary.map(k));
  });
});

describe('small layouts that once broke the extractor (test/fixtures/layouts)', () => {
  it('a borderless table alone on a page, a wide empty column, header cells aligned top and bottom', async () => {
    const data = new Uint8Array(readFileSync(join(FIX, 'layouts', 'table-only-wide.pdf')));
    const ex = await extractReport(data, 'table-only-wide.pdf');
    const rep = normalizeReport(ex, { file: 'table-only-wide.pdf', municipality_code: '402036', municipality_name: '福岡県久留米市', report_fiscal_year: 2019 }, indicators);
    const rows = rep.datasets.numeric_targets.map((r) => [r.goal_no, r.indicator_id, r.fiscal_year, r.fiscal_year_label, r.target_value, r.actual_value, r.actual_status, r.progress_reported, r.evaluation_reported, r.extraction_status]);
    expect(rows).toEqual([
      [2, '402036-G2-tourists', 2015, 'H27', 5300000, 5250000, 'final', '△', 'B', 'ok'],
      [2, '402036-G2-tourists', 2016, 'H28', 6000000, 5610000, 'final', '△', 'B', 'ok'],
      [2, '402036-G2-tourists', 2017, 'H29', 6500000, 5830000, 'final', '△', 'B', 'ok'],
      [2, '402036-G2-tourists', 2018, 'H30', 6800000, 5970000, 'provisional', '△', 'B', 'ok'],
      [2, '402036-G2-tourists', 2019, 'R1', 7000000, null, 'missing', null, 'B', 'ok'],
    ]);
  });
});
