/**
 * The team's review decisions: raw/review-decisions.csv (UTF-8, beside corrections.csv)
 *   record_key,source_sha256,decision,by,at,note
 * One line per held row the team checked against the PDF and accepted as read.
 * A decision holds for the PDF with that sha256 only: a new version of the report
 * is reviewed again. Written by `sousei-kpi review accept`, read by every run.
 */
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DECISIONS_FILE } from '../lib/inputs.js';
import { papaparse } from '../lib/lazy.js';
import { InputError } from '../lib/registry.js';

export interface Decision {
  record_key: string;
  source_sha256: string;
  decision: 'accept';
  by: string;
  /** ISO 8601 time of the decision. */
  at: string;
  note: string;
}

export { DECISIONS_FILE };
const COLUMNS = ['record_key', 'source_sha256', 'decision', 'by', 'at', 'note'] as const;

export const decisionsPath = (rawDir: string): string => join(rawDir, DECISIONS_FILE);

export function loadDecisions(rawDir: string): Decision[] {
  const path = decisionsPath(rawDir);
  if (!existsSync(path)) return [];
  const text = readFileSync(path, 'utf8').replace(/^\uFEFF/u, '');
  const parsed = papaparse().parse<Record<string, string>>(text, { header: true, skipEmptyLines: 'greedy', comments: '#' });
  if (parsed.errors.length) throw new InputError(path, `line ${(parsed.errors[0]!.row ?? 0) + 2}: ${parsed.errors[0]!.message}`, 'the file is written by `sousei-kpi review accept`; fix the quoting or restore it');
  const missing = COLUMNS.filter((c) => !(parsed.meta.fields ?? []).includes(c));
  if (missing.length) throw new InputError(path, `missing column(s) ${missing.join(', ')}`, `the header must be: ${COLUMNS.join(',')}`);
  return parsed.data.map((r, i) => {
    if (r.decision !== 'accept') throw new InputError(path, `line ${i + 2}: decision "${r.decision}" is not accept`, 'the only decision is accept; to change a value use raw/corrections.csv');
    if (!/^[0-9a-f]{64}$/u.test(r.source_sha256 ?? '')) throw new InputError(path, `line ${i + 2}: source_sha256 is not a sha256`, 'use `sousei-kpi review accept`, which fills it in');
    if (!r.by?.trim()) throw new InputError(path, `line ${i + 2}: by is empty`, 'every decision says who made it');
    return { record_key: r.record_key ?? '', source_sha256: r.source_sha256!, decision: 'accept', by: r.by.trim(), at: r.at ?? '', note: r.note ?? '' };
  });
}

export function decisionFor(decisions: Decision[], recordKey: string, sha256: string): Decision | null {
  return decisions.find((d) => d.record_key === recordKey && d.source_sha256 === sha256) ?? null;
}

/** Append a decision (the file is created with its header). */
export function appendDecision(rawDir: string, d: Decision): void {
  const path = decisionsPath(rawDir);
  if (!existsSync(path)) writeFileSync(path, `${COLUMNS.join(',')}\n`);
  appendFileSync(path, `${papaparse().unparse([COLUMNS.map((c) => d[c])], { newline: '\n' })}\n`);
}
