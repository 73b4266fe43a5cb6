/**
 * npm run accuracy: the cell comparison tells matched, missing, wrong-but-flagged and wrong-and-silent
 * apart, counts spurious rows and lost indicators (and whether an error finding names them), and the
 * CLI reports the corpus as exact. Run on a real corpus PDF through the real pipeline.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { compareReport, isExact, type ExpectedReport, type Extracted } from '../pipeline/tools/accuracy/compare.js';
import { loadRegistry, manifestCases, runPipeline } from '../pipeline/tools/accuracy/sets.js';

const ROOT = join(import.meta.dirname, '..');
const FIX = join(ROOT, 'test', 'fixtures');
const corpus = manifestCases(FIX, 'corpus');
const ruled = corpus.find((c) => c.pdf.endsWith('h28-chromium-a4-ruled.pdf'))!;

let got: Extracted;
beforeAll(async () => {
  got = await runPipeline(ruled.pdf, loadRegistry(ROOT));
});

const clone = <T>(x: T): T => structuredClone(x);

describe('compareReport on h28-chromium-a4-ruled.pdf', () => {
  it('matches every cell of the converted corpus expectation (105 numeric, 96 KPI)', () => {
    const a = compareReport(ruled.expected, got);
    expect([a.numeric.matched, a.numeric.cells, a.kpi.matched, a.kpi.cells]).toEqual([105, 105, 96, 96]);
    expect(isExact(a)).toBe(true);
  });

  it('counts a different value on an ok row as silent, and on an uncertain row as flagged', () => {
    const exp: ExpectedReport = clone(ruled.expected);
    const tourism = exp.numeric_targets.find((i) => i.key.includes('観光客数'))!;
    tourism.years['2016']![0] = 6100000; // printed: 600万人
    exp.kpi_summary[0]!.prog[0] = 7; // printed: ○ 8
    const silent = compareReport(exp, got);
    expect([silent.numeric.silent, silent.kpi.silent, silent.numeric.flagged]).toEqual([1, 1, 0]);
    expect(silent.mismatches.map((m) => m.where)).toEqual(['goal 2 年間観光客数 2016 target', 'KPI 1 (goal 1) ○']);

    const doubtful = clone(got);
    for (const r of doubtful.numeric_targets) if (r.indicator_name.includes('観光客数')) r.extraction_status = 'uncertain';
    const flagged = compareReport(exp, doubtful);
    expect([flagged.numeric.silent, flagged.numeric.flagged]).toEqual([0, 1]);
  });

  it('counts the cells of a missing indicator as missing, the indicator as lost, named only by an error finding', () => {
    const without = clone(got);
    without.numeric_targets = without.numeric_targets.filter((r) => !r.indicator_name.includes('就職率'));
    const a = compareReport(ruled.expected, without);
    expect([a.numeric.missing, a.numeric.matched, a.lost]).toEqual([15, 90, [{ goal_no: 1, key: '市内の大学等の新卒者の市内企業への就職率', named: false }]]);
    without.findings.push({
      municipality_code: '402036', report_fiscal_year: 2016, dataset: 'numeric_targets', record_key: 'h28-chromium-a4-ruled.pdf', rule: 'indicator_missing', severity: 'error',
      message: 'goal 1 lists 市内の大学等の新卒者の市内企業への就職率 but no table gives it', reported: null, recomputed: null, source_file: 'h28-chromium-a4-ruled.pdf', source_page: 1,
    });
    expect(compareReport(ruled.expected, without).lost[0]!.named).toBe(true);
  });

  it('counts rows no expected indicator or year asks for as spurious', () => {
    const exp: ExpectedReport = clone(ruled.expected);
    exp.numeric_targets = exp.numeric_targets.filter((i) => !i.key.includes('滞在人口'));
    delete exp.numeric_targets[0]!.years['2019'];
    exp.kpi_summary.pop();
    const a = compareReport(exp, got);
    expect([a.spuriousRows, a.spuriousKpiRows, a.numeric.cells]).toEqual([6, 1, 87]);
  });
});

describe('npm run accuracy (the built CLI)', () => {
  it('reports the corpus as exact in --json, with per-file counts', () => {
    const res = spawnSync(process.execPath, [join(ROOT, 'dist', 'pipeline', 'tools', 'accuracy.js'), '--json', '--only', 'corpus'], { cwd: ROOT, encoding: 'utf8' });
    expect(res.status).toBe(0);
    const out = JSON.parse(res.stdout) as { files: Array<{ file: string; exact: boolean }>; total: { files: number; exact: number; numeric: { cells: number; matched: number } } };
    expect(out.files.length).toBe(corpus.length);
    expect(out.files.every((f) => f.exact)).toBe(true);
    expect(out.total.numeric.matched).toBe(out.total.numeric.cells);
  });

  it('refuses an unknown option with a one-line error and a non-zero exit', () => {
    const res = spawnSync(process.execPath, [join(ROOT, 'dist', 'pipeline', 'tools', 'accuracy.js'), '--bogus'], { cwd: ROOT, encoding: 'utf8' });
    expect(res.status).toBe(1);
    expect(res.stderr.trim()).toBe('accuracy: unknown option --bogus (use --json, --by-class, --only SETS, or folders)');
  });
});
