/**
 * Accounting (issue 11, stage 6): an indicator or a policy direction that a goal's own overview
 * lists but that no table yields is an error finding naming the file, page and goal. Tested on the
 * real H28 report with one table taken away after extraction, as a layout the engine could not read
 * would leave it.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { extractReport, type ExtractedReport } from '../pipeline/extract/index.js';
import { loadIndicators } from '../pipeline/lib/registry.js';
import { unreadStatements } from '../pipeline/normalize/accounting.js';
import { normalizeReport } from '../pipeline/normalize/index.js';

const ROOT = join(import.meta.dirname, '..');
const FILE = 'kurume-sousei-h28-progress.pdf';
const registry = loadIndicators(join(ROOT, 'raw'));
const meta = { file: FILE, municipality_code: '402036', municipality_name: '福岡県久留米市', report_fiscal_year: null };

let ex: ExtractedReport;
beforeAll(async () => {
  ex = await extractReport(new Uint8Array(readFileSync(join(ROOT, 'raw', FILE))), FILE);
});

const lostFindings = (r: ReturnType<typeof normalizeReport>) => r.findings.filter((f) => f.rule === 'indicator_not_read' || f.rule === 'policy_direction_not_read');

describe('accounting of what the goals list', () => {
  it('finds nothing missing on the report as published', () => {
    expect(lostFindings(normalizeReport(ex, meta, registry))).toEqual([]);
  });

  it('names each listed indicator whose table was not read, with its goal and page', () => {
    const without = { ...ex, numericTables: ex.numericTables.filter((t) => t.goalNo !== 2) };
    const lost = lostFindings(normalizeReport(without, meta, registry));
    expect(lost.map((f) => [f.rule, f.severity, f.source_page])).toEqual([
      ['indicator_not_read', 'error', 2],
      ['indicator_not_read', 'error', 2],
    ]);
    expect(lost[0]!.message).toContain('大都市圏への転出超過数');
    expect(lost[1]!.message).toContain('年間観光客数');
    expect(lost[0]!.message).toContain('goal 2');
  });

  it('names each listed policy direction without a KPI row', () => {
    const without = { ...ex, kpiTables: ex.kpiTables.map((t) => (t.goalNo === 3 ? { ...t, rows: t.rows.filter((r) => r.policyDirectionNo !== 9) } : t)) };
    const lost = lostFindings(normalizeReport(without, meta, registry));
    expect(lost.map((f) => [f.rule, f.record_key, f.source_page])).toEqual([['policy_direction_not_read', `${FILE}#goal3`, 3]]);
    expect(lost[0]!.message).toMatch(/policy direction 9 /u);
  });

  it('matches statements to indicators by their words, not by order', () => {
    const statements = ['・新規雇用者数を毎年創出する', '・市内大学等の新卒者の市内企業への就職率：12.1%⇒17%'];
    expect(unreadStatements(statements, ['市内の大学等の新卒者の市内企業への就職率'])).toEqual(['・新規雇用者数を毎年創出する']);
    expect(unreadStatements(statements, ['基準年を上回る年間新規雇用者数を毎年創出する', '市内の大学等の新卒者の市内企業への就職率'])).toEqual([]);
  });
});
