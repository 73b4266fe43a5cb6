/**
 * Inputs for the publishing tests: the real H28 report (raw/, as registered) and
 * the synthetic FY2018 report of the corpus, taken through extract → normalize →
 * validate by runPipeline, returned as PublishInput parts so tests can publish
 * them in different combinations.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { runPipeline } from '../pipeline/cli/run.js';
import { loadSources } from '../pipeline/lib/registry.js';
import type { NormalizedReport } from '../pipeline/normalize/index.js';
import type { PublishInput, SourceInfo } from '../pipeline/publish/index.js';

export const ROOT = join(import.meta.dirname, '..');
export const RAW = join(ROOT, 'raw');
export const CLI = join(ROOT, 'dist/pipeline/cli/main.js');
export const H28_PDF = join(RAW, 'kurume-sousei-h28-progress.pdf');
export const H30_PDF = join(ROOT, 'test/fixtures/pdf/synthetic-h30-report.pdf');

/** A report with its records in memory (tests change them). */
export type ReportEntry = PublishInput['reports'][number] & { report: NormalizedReport };

/** Extract, normalize and validate the given PDFs; one PublishInput entry per file. */
export async function processReports(files: string[]): Promise<ReportEntry[]> {
  const res = await runPipeline({ rawDir: RAW, outDir: mkdtempSync(join(tmpdir(), 'sousei-fixture-')), files, municipalityCode: '402036', municipalityName: '福岡県久留米市', keepRecords: true });
  if (res.failures.length) throw new Error(`fixture failed: ${JSON.stringify(res.failures)}`);
  const registry = loadSources(RAW).reports;
  return res.reports.map((o, i) => {
    const path = files[i]!;
    const reg = registry.find((r) => r.file === basename(path));
    const source: SourceInfo = {
      file: basename(path),
      sha256: createHash('sha256').update(readFileSync(path)).digest('hex'),
      title: reg?.title ?? (path === H30_PDF ? 'SYNTHETIC TEST DATA — 平成30年度 進捗状況' : null),
      url: reg?.url ?? null,
      municipality_code: o.meta.municipality_code,
      municipality_name: o.meta.municipality_name,
      report_fiscal_year: o.meta.report_fiscal_year,
      ...(path === H30_PDF ? { synthetic: true } : {}),
    };
    return { report: o.report!, source };
  });
}

/** A deep copy, so a test can change records without touching the shared fixture. */
export function clone<T>(v: T): T {
  return structuredClone(v);
}

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), prefix));
}
