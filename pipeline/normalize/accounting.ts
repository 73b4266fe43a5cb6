/**
 * Accounting: what the report's own lists announce must come out of its tables.
 * Each goal's overview lists its 数値目標 (one statement per indicator) and its
 * 施策の基本的方向 (①…). An indicator or a policy direction that is listed but
 * that no table row was read for is an error finding naming the file, page and
 * goal — never a silent loss.
 */
import type { GoalText } from '../extract/index.js';

export interface LostItem {
  rule: 'indicator_not_read' | 'policy_direction_not_read';
  goalNo: number;
  page: number;
  /** What the report lists (the statement or the policy direction's name). */
  listed: string;
  message: string;
}

const bigrams = (s: string): Set<string> => {
  const t = s.replace(/[\s\d,.%()（）:：・⇒→~〜年度人万件以上平成H]/gu, '');
  const out = new Set<string>();
  for (let i = 0; i + 1 < t.length; i++) out.add(t.slice(i, i + 2));
  return out;
};

/** Share of a statement's character pairs found in an indicator name. */
export function similarity(statement: string, name: string): number {
  const a = bigrams(statement);
  const b = bigrams(name);
  if (a.size === 0 || b.size === 0) return 0;
  let common = 0;
  for (const x of b) if (a.has(x)) common++;
  return common / b.size;
}

/** Statements of a goal that no extracted indicator answers (only when fewer indicators were read than are listed). */
export function unreadStatements(statements: string[], names: string[]): string[] {
  if (statements.length <= names.length) return [];
  const left = [...statements];
  for (const name of names) {
    let best = -1;
    let score = 0;
    left.forEach((s, i) => {
      const v = similarity(s, name);
      if (v > score) [best, score] = [i, v];
    });
    left.splice(best >= 0 ? best : 0, 1);
  }
  return left;
}

/** Items the goals list that the tables did not yield. */
export function lostItems(goals: GoalText[], indicatorNames: Map<number, string[]>, kpiDirections: Set<number>): LostItem[] {
  const out: LostItem[] = [];
  for (const g of goals) {
    for (const s of unreadStatements(g.numericTargetStatement, indicatorNames.get(g.goalNo) ?? [])) {
      out.push({ rule: 'indicator_not_read', goalNo: g.goalNo, page: g.page, listed: s, message: `goal ${g.goalNo} lists the numeric target "${s}" (page ${g.page}) but no numeric-target table row was read for it; check the table on the PDF and add the values to raw/corrections.csv or report the layout` });
    }
    const seen = new Set<number>();
    for (const d of g.policyDirections) {
      if (seen.has(d.no) || kpiDirections.has(d.no)) continue;
      seen.add(d.no);
      out.push({ rule: 'policy_direction_not_read', goalNo: g.goalNo, page: d.page, listed: d.name, message: `goal ${g.goalNo} lists policy direction ${d.no} "${d.name}" (page ${d.page}) but no KPI summary row was read for it; check the KPI table on the PDF` });
    }
  }
  return out;
}
