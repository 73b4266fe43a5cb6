/**
 * The PDF sets `npm run accuracy` measures, each PDF with its expected values in the format of
 * test/fixtures/submitted/expected_h28.json, and the in-process run extract → normalize → validate.
 *
 * - submitted: test/fixtures/submitted/*.pdf, all three against expected_h28.json;
 * - corpus: test/fixtures/manifest.json (expected rows converted: texts parsed to base-unit values);
 * - generated: test/fixtures/generated/manifest.json (made by test/fixtures/layouts/generate.mjs);
 * - any other folder holding a manifest.json in the generated format, or PDFs next to an expected_*.json.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { extractReport } from '../../extract/index.js';
import { loadIndicators } from '../../lib/registry.js';
import type { IndicatorRegistry, KPISummary } from '../../lib/records.gen.js';
import { normalizeReport } from '../../normalize/index.js';
import { parseQuantity } from '../../normalize/parse.js';
import { validateReport } from '../../validate/index.js';
import type { ExpectedIndicator, ExpectedReport, Extracted } from './compare.js';

export interface Case {
  set: string;
  /** Path of the PDF. */
  pdf: string;
  expected: ExpectedReport;
  /** Layout classes of a generated PDF (renderer, ruling, …); empty for the others. */
  layout: Record<string, unknown>;
}

/** One row of test/fixtures/expected/<name>.json (the corpus format). */
interface CorpusRow {
  goal_no: number;
  indicator_name: string;
  fiscal_year: number;
  target_text: string | null;
  actual_text: string | null;
  progress_reported: string | null;
  evaluation_reported: string | null;
}
/** A KPI row of the corpus expectations: the counted columns of the published record. */
type CorpusKpi = Pick<KPISummary, 'goal_no' | 'policy_direction_no' | 'kpi_count' | 'achieved' | 'mostly_achieved' | 'not_achieved' | 'undetermined' | 'outlook_a' | 'outlook_b' | 'outlook_c'>;

const readJson = <T>(file: string): T => JSON.parse(readFileSync(file, 'utf8')) as T;

/** The corpus format (printed texts per row) → expected values (no baseline/final target given). */
export function fromCorpusExpected(doc: { report_fiscal_year: number; numeric_targets: CorpusRow[]; kpi_summary: CorpusKpi[] }): ExpectedReport {
  const byName = new Map<string, ExpectedIndicator>();
  for (const r of doc.numeric_targets) {
    const k = `${r.goal_no}|${r.indicator_name}`;
    const ind = byName.get(k) ?? { goal_no: r.goal_no, key: r.indicator_name, years: {}, grade: r.evaluation_reported };
    ind.years[String(r.fiscal_year)] = [parseQuantity(r.target_text).value, parseQuantity(r.actual_text).value, r.progress_reported];
    byName.set(k, ind);
  }
  return {
    report_fiscal_year: doc.report_fiscal_year,
    numeric_targets: [...byName.values()],
    kpi_summary: doc.kpi_summary.map((k) => ({
      no: k.policy_direction_no, goal_no: k.goal_no, kpi: k.kpi_count,
      prog: [k.achieved, k.mostly_achieved, k.not_achieved, k.undetermined], outlook: [k.outlook_a, k.outlook_b, k.outlook_c],
    })),
  };
}

/** PDFs of a folder with a manifest.json in the generated format (file, expected, layout classes). */
export function manifestCases(dir: string, set: string): Case[] {
  const manifest = readJson<Array<Record<string, unknown> & { file: string; expected: string }>>(join(dir, 'manifest.json'));
  return manifest.map((m) => {
    const expected = readJson<ExpectedReport & { numeric_targets: unknown[] }>(join(dir, m.expected));
    const isCorpus = expected.numeric_targets.length > 0 && 'indicator_name' in (expected.numeric_targets[0] as object);
    const { file: _f, expected: _e, description: _d, ...layout } = m;
    return { set, pdf: join(dir, m.file), expected: isCorpus ? fromCorpusExpected(expected as never) : expected, layout };
  });
}

/** PDFs lying next to one expected_*.json that they all share (the submitted renderings). */
export function sharedExpectedCases(dir: string, set: string): Case[] {
  const exp = readdirSync(dir).filter((f) => /^expected.*\.json$/u.test(f));
  if (exp.length !== 1) throw new Error(`${dir}: expected one expected_*.json next to the PDFs, found ${exp.length} (hint: or give the folder a manifest.json)`);
  const expected = readJson<ExpectedReport>(join(dir, exp[0]!));
  return readdirSync(dir).filter((f) => f.endsWith('.pdf')).sort().map((f) => ({ set, pdf: join(dir, f), expected, layout: {} }));
}

/** The cases of a folder given on the command line. */
export function folderCases(dir: string): Case[] {
  if (!existsSync(dir)) throw new Error(`${dir}: no such folder`);
  return existsSync(join(dir, 'manifest.json')) ? manifestCases(dir, basename(dir)) : sharedExpectedCases(dir, basename(dir));
}

/** The project's own sets: submitted, corpus, generated. */
export function defaultCases(root: string): Case[] {
  const fix = join(root, 'test', 'fixtures');
  return [
    ...sharedExpectedCases(join(fix, 'submitted'), 'submitted'),
    ...manifestCases(fix, 'corpus'),
    ...(existsSync(join(fix, 'generated', 'manifest.json')) ? manifestCases(join(fix, 'generated'), 'generated') : []),
  ];
}

/** Run the pipeline on one PDF in-process, as `sousei-kpi run` does (municipality Kurume, year read from the report). */
export async function runPipeline(pdf: string, registry: IndicatorRegistry): Promise<Extracted> {
  const name = basename(pdf);
  try {
    const ex = await extractReport(new Uint8Array(readFileSync(pdf)), name);
    const n = normalizeReport(ex, { file: name, municipality_code: '402036', municipality_name: '福岡県久留米市', report_fiscal_year: null }, registry);
    const rep = validateReport(n).report;
    return { report_fiscal_year: rep.meta.report_fiscal_year, numeric_targets: rep.datasets.numeric_targets, kpi_summary: rep.datasets.kpi_summary, findings: rep.findings, error: null };
  } catch (e) {
    return { report_fiscal_year: null, numeric_targets: [], kpi_summary: [], findings: [], error: e instanceof Error ? e.message : String(e) };
  }
}

export const loadRegistry = (root: string): IndicatorRegistry => loadIndicators(join(root, 'raw'));
