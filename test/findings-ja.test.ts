/**
 * The dataset page gives every finding a sentence in plain Japanese (findings-ja.ts).
 * The rules come from three branches (i13's page, i14's cell bound, i12's review loop):
 * every rule the pipeline emits has a sentence of its own, not the general fallback.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Finding } from '../pipeline/lib/records.gen.js';
import { CELL_RULE } from '../pipeline/publish/cells.js';
import { findingJa, FINDING_RULES_JA } from '../pipeline/publish/findings-ja.js';

const PIPELINE = join(import.meta.dirname, '..', 'pipeline');

/** Every `rule: '…'` literal in the pipeline's sources. */
function emittedRules(): string[] {
  const files = readdirSync(PIPELINE, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts') && !f.endsWith('.gen.ts'));
  const rules = new Set<string>();
  for (const f of files) for (const m of readFileSync(join(PIPELINE, f), 'utf8').matchAll(/\brule: '([a-z_]+)'/gu)) rules.add(m[1]!);
  return [...rules].sort();
}

const finding = (rule: string, extra: Partial<Finding> = {}): Finding => ({
  municipality_code: '402036',
  report_fiscal_year: 2016,
  dataset: 'numeric_targets',
  record_key: '402036/2016/402036-G2-tourists/2015',
  rule,
  severity: 'warning',
  message: 'x',
  reported: null,
  recomputed: null,
  source_file: 'r.pdf',
  source_page: 3,
  ...extra,
});

describe('plain-Japanese findings', () => {
  it('cover every rule the pipeline emits', () => {
    const rules = [...emittedRules(), CELL_RULE];
    expect(rules.length).toBeGreaterThan(20);
    expect(rules.filter((r) => !FINDING_RULES_JA.includes(r))).toEqual([]);
  });

  it('say that a held row is not published and an accepted one was checked, with the page', () => {
    const ctx = { numericTargets: [], kpiSummary: [] };
    expect(findingJa(finding('row_held'), ctx)).toBe('3ページのこの行は読み取りに疑いがあるため、担当者が確認するまで公開していません。');
    expect(findingJa(finding('review_accepted', { severity: 'info' }), ctx)).toContain('担当者が元の PDF と照らし合わせて');
    expect(findingJa(finding(CELL_RULE, { recomputed: '32000' }), ctx)).toContain('最初の32000文字だけを公開しています');
  });
});
