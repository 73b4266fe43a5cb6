/**
 * Text sections of a report, read in reading order (page, column, top):
 * the goal band (基本目標N), 1 基本目標の概要 (overview, goal title, 【数値目標】,
 * 施策の基本的方向, 重点事業), 2 …取り組み (new initiatives), 3 数値目標・KPI・課題
 * (評価のポイント, 課題), 4 今後の展開 (next steps).
 */
import type { Chunk, Line, PageLayout } from './layout.js';
import { leadingCircled, squash } from './text.js';

export type SectionKind = 'overview' | 'new_initiatives' | 'key_projects' | 'evaluation_points' | 'challenges' | 'next_steps';

export interface TextEntry {
  goalNo: number | null;
  section: SectionKind;
  policyDirectionNo: number | null;
  text: string;
  page: number;
}

export interface GoalText {
  goalNo: number;
  page: number;
  title: string;
  numericTargetStatement: string[];
  policyDirections: Array<{ no: number; name: string; page: number }>;
}

export interface SectionResult {
  goals: GoalText[];
  entries: TextEntry[];
  /** Report fiscal year label found in page headings or section titles (e.g. 平成28年度 → H28). */
  yearLabels: string[];
  /** Where each goal starts in reading order: [page, column, top]. */
  goalMarks: Array<{ goalNo: number; page: number; column: number; top: number }>;
  /** Legend lines (○:達成できた(100%以上) …), for the thresholds the report uses. */
  legend: string[];
}

const GOAL_BAND_RE = /^基本目標\s*[(（【]?\s*([0-9]{1,2}|[IVX]{1,4})(?![0-9A-Za-z])\s*[)）】]?\s*(.*)$/u;
const ROMAN: Record<string, number> = { I: 1, II: 2, III: 3, IV: 4, V: 5, VI: 6, VII: 7, VIII: 8, IX: 9, X: 10 };
/** Goal number from "1" or a Roman numeral (Ⅲ is folded to "III" by NFKC). */
const goalNumber = (s: string) => (/^\d+$/u.test(s) ? Number(s) : (ROMAN[s] ?? NaN));
type Sub = 'overview' | 'goal_title' | 'statement' | 'directions' | 'key_projects' | 'new_initiatives' | 'section3' | 'evaluation_points' | 'challenges' | 'next_steps';

function headingOf(text: string): Sub | null {
  const t = text.replace(/\s+/gu, '');
  if (/^1[.．]?基本目標の概要/u.test(t)) return 'overview';
  if (/^2[.．]?.*(取り組み|取組)/u.test(t)) return 'new_initiatives';
  if (/^3[.．]?数値目標/u.test(t)) return 'section3';
  if (/^4[.．]?今後の展開/u.test(t)) return 'next_steps';
  if (/^■?評価のポイント$/u.test(t)) return 'evaluation_points';
  if (/^課題$/u.test(t)) return 'challenges';
  if (/^基本目標$/u.test(t)) return 'goal_title';
  if (/^【数値目標】/u.test(t)) return 'statement';
  if (/^施策の基本的方向$/u.test(t)) return 'directions';
  if (/^重点事業$/u.test(t)) return 'key_projects';
  return null;
}

const LEGEND_RE = /^[○◯△×\-—ABC]\s*[:：]/u;
const BULLET_RE = /^[・●◆◇■□\-‐]\s*/u;

function eraLabel(text: string): string | null {
  const m = /(平成|令和)\s*([0-9]{1,2}|元)\s*年度/u.exec(text);
  if (!m) return null;
  const n = m[2] === '元' ? 1 : Number(m[2]);
  return `${m[1] === '平成' ? 'H' : 'R'}${n}`;
}

/** Read the text sections of a document. `consumed` are table chunks to skip. */
export function readSections(layouts: PageLayout[], consumed: Set<Chunk>): SectionResult {
  const goals: GoalText[] = [];
  const entries: TextEntry[] = [];
  const yearLabels: string[] = [];
  const goalMarks: SectionResult['goalMarks'] = [];
  const legend: string[] = [];
  let goal: GoalText | null = null;
  let sub: Sub | null = null;
  let pd: number | null = null;
  let current: TextEntry | null = null;
  let lastLine: Line | null = null;

  const close = () => {
    if (current && current.text.trim()) {
      current.text = squash(current.text);
      entries.push(current);
    }
    current = null;
  };
  const start = (section: SectionKind, text: string, page: number) => {
    close();
    current = { goalNo: goal?.goalNo ?? null, section, policyDirectionNo: pd, text, page };
  };
  const sectionOf = (s: Sub | null): SectionKind | null =>
    s === 'overview' || s === 'new_initiatives' || s === 'key_projects' || s === 'evaluation_points' || s === 'challenges' || s === 'next_steps' ? s : null;

  for (const layout of layouts) {
    const lines = [...layout.lines].sort((a, b) => a.column - b.column || a.top - b.top);
    // Horizontal extent of each reading column, for telling photo captions from text.
    const extent = new Map<number, [number, number]>();
    for (const l of lines) {
      const e = extent.get(l.column);
      extent.set(l.column, e ? [Math.min(e[0], l.x0), Math.max(e[1], l.x1)] : [l.x0, l.x1]);
    }
    for (const line of lines) {
      // Table cells are read elsewhere; chunks far from the text before them on the
      // line are photo captions laid over the text column, not part of the sentence.
      const chunks = line.chunks
        .filter((c) => !consumed.has(c))
        .filter((c, i, all) => i === 0 || c.x0 - all[i - 1]!.x1 < c.size * 4);
      if (chunks.length === 0) continue;
      const text = squash(chunks.map((c) => c.text).join(' '));
      if (!text || /^-\s*\d+\s*-$/u.test(text) || /^\d+$/u.test(text)) continue; // page numbers
      // The report year is read from the whole line (a running title sets it far right, apart from the rest).
      const era = eraLabel(line.top < layout.height * 0.12 ? squash(line.chunks.map((c) => c.text).join(' ')) : text);
      if (era && (line.top < layout.height * 0.12 || /^2[.．]?/u.test(text))) yearLabels.push(era);
      if (LEGEND_RE.test(text)) {
        if (legend.length < 40) legend.push(text);
        close();
        continue;
      }
      // The band may share its line with a running page header: read it from the first chunk.
      const band = GOAL_BAND_RE.exec(squash(chunks[0]!.text).replace(/^基本目標\s+/u, '基本目標'));
      if (band && band[1] && Number.isFinite(goalNumber(band[1])) && (band[2] ?? '').length < 60) {
        close();
        const no = goalNumber(band[1]);
        if (!goal || goal.goalNo !== no) {
          goal = { goalNo: no, page: layout.page, title: squash(band[2] ?? ''), numericTargetStatement: [], policyDirections: [] };
          goals.push(goal);
          goalMarks.push({ goalNo: no, page: layout.page, column: line.column, top: line.top });
        }
        sub = null;
        pd = null;
        lastLine = line;
        continue;
      }
      const head = headingOf(text);
      if (head) {
        close();
        sub = head;
        pd = null;
        lastLine = line;
        continue;
      }
      // 3 数値目標・KPI・課題: sub-headings of the tables themselves carry no text.
      if (sub === 'section3' || /^(数値目標|KPI)$/u.test(text)) {
        lastLine = line;
        continue;
      }
      if (!goal) {
        lastLine = line;
        continue;
      }
      if (sub === 'goal_title') {
        if (!goal.title) goal.title = text.replace(/\s+/gu, '');
        lastLine = line;
        continue;
      }
      if (sub === 'statement') {
        const t = text.replace(BULLET_RE, '');
        if (BULLET_RE.test(text) || goal.numericTargetStatement.length === 0 || /^[:：]/u.test(t)) goal.numericTargetStatement.push(t);
        else goal.numericTargetStatement[goal.numericTargetStatement.length - 1] += ` ${t}`;
        lastLine = line;
        continue;
      }
      if (sub === 'directions') {
        const n = leadingCircled(text);
        if (n !== null) goal.policyDirections.push({ no: n, name: text.replace(/^[^\u2460-\u2473\u3251-\u325F]*[\u2460-\u2473\u3251-\u325F]\s*/u, '').replace(/\s+/gu, ''), page: layout.page });
        else {
          const last = goal.policyDirections.at(-1);
          if (last) last.name += text.replace(/\s+/gu, '');
        }
        lastLine = line;
        continue;
      }
      const section = sectionOf(sub);
      if (!section) {
        lastLine = line;
        continue;
      }
      // Photo captions: short lines set far right in the column, away from the text margin.
      const [colLeft, colRight] = extent.get(line.column)!;
      if (section === 'new_initiatives' && line.x0 > colLeft + (colRight - colLeft) * 0.45 && text.length < 40 && !BULLET_RE.test(text)) {
        lastLine = line;
        continue;
      }
      // Group headers: "① 関連", "【⑥関連】", "⑤久留米を知って感じてもらう", "全 般:".
      let rest = text;
      const circ = leadingCircled(rest);
      if (circ !== null || /^全\s*般\s*[:：]/u.test(rest)) {
        close();
        pd = circ;
        rest = rest
          .replace(/^[【\[(（\s]*[\u2460-\u2473\u3251-\u325F]?\s*(関\s*連)?\s*[】\])）]?\s*[:：]?\s*/u, '')
          .replace(/^全\s*般\s*[:：]\s*/u, '');
        const known = goal.policyDirections.find((p) => p.no === circ);
        if (known && rest.replace(/\s+/gu, '') === known.name) rest = '';
        else if (known && rest.replace(/\s+/gu, '').startsWith(known.name) && !BULLET_RE.test(rest)) rest = rest.replace(/\s+/gu, '').slice(known.name.length);
        if (!rest.trim()) {
          lastLine = line;
          continue;
        }
      }
      // Several bullets on one line.
      const parts = rest.split(/\s+(?=・)/u).filter((p) => p.trim());
      for (const [i, part] of parts.entries()) {
        const isBullet = BULLET_RE.test(part);
        const body = part.replace(BULLET_RE, '');
        const prevEnded = current !== null && /[。.]$/u.test((current as TextEntry).text.trim());
        const gapBig = lastLine !== null && lastLine.page === line.page && line.top - lastLine.bottom > line.size * 0.9;
        if (current === null || isBullet || i > 0 || (section === 'overview' && prevEnded) || (gapBig && prevEnded) || (circ !== null && i === 0)) {
          start(section, body, layout.page);
        } else {
          const cur: TextEntry = current;
          cur.text += (/[A-Za-z0-9]$/u.test(cur.text) && /^[A-Za-z0-9]/u.test(body) ? ' ' : '') + body;
        }
      }
      lastLine = line;
    }
    close();
  }
  close();
  for (const g of goals) g.numericTargetStatement = g.numericTargetStatement.map(squash);
  return { goals, entries, yearLabels, goalMarks, legend };
}
