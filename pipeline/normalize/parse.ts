/**
 * Parsing of printed cell values: quantities with units and 万 multipliers,
 * comparators, provisional marks, dashes for missing, and 和暦 fiscal years.
 */
import { joinWrapped, squash } from '../extract/text.js';

export type Comparator = 'ge' | 'gt' | 'le' | 'lt';
export type ValueStatus = 'final' | 'provisional' | 'missing';

export interface Quantity {
  /** Value in base units (万 expanded), or null when none is printed. */
  value: number | null;
  /** Unit after the number with multipliers removed ("人", "%", "件"), or null. */
  unit: string | null;
  comparator: Comparator | null;
  status: ValueStatus;
  /** The cell text with line breaks folded. */
  text: string | null;
  /** Why a value could not be read unambiguously (null when it could). */
  doubt: string | null;
}

const MULTIPLIERS: Record<string, number> = { 万: 1e4, 千: 1e3, 百万: 1e6, 億: 1e8, 千万: 1e7 };
const COMPARATORS: Array<[RegExp, Comparator]> = [
  [/以上/u, 'ge'],
  [/以下/u, 'le'],
  [/未満/u, 'lt'],
  [/(超|を?上回る)/u, 'gt'],
  [/を?下回る/u, 'lt'],
];
const PROVISIONAL_RE = /集計中|速報|暫定|見込み?値|概数/u;
const DASH_ONLY_RE = /^[\s—\-–ー―‐~〜]*$/u;
const NUMBER_RE = /([▲△-]?)(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d+))?\s*(百万|千万|万|千|億)?\s*([^\d\s,()（）以未超を]{0,4})/gu;

/** Canonical unit: strip per-year marks, unify percent signs. */
export function canonicalUnit(unit: string | null): string | null {
  if (!unit) return null;
  let u = unit.replace(/[/／](年|年度)?$/u, '').replace(/^ポイント$/u, 'pt').replace(/^パーセント$/u, '%');
  u = u.replace(/[、。・:：]+$/u, '');
  return u.length ? u : null;
}

/** Round to at most 10 significant decimals (removes float noise from 万 multiplication). */
function clean(n: number): number {
  return Number.parseFloat(n.toPrecision(12));
}

/**
 * Parse a printed quantity. With `preferUnit`, a cell holding several numbers
 * (e.g. "5年間の平均 550人/年") yields the one in that unit.
 */
export function parseQuantity(raw: string | null | undefined, preferUnit: string | null = null): Quantity {
  const text = raw == null ? '' : joinWrapped(raw).replace(/\s*[/／]\s*(年|月|日|人)/gu, '/$1');
  const status: ValueStatus = PROVISIONAL_RE.test(text) ? 'provisional' : 'final';
  let comparator: Comparator | null = null;
  for (const [re, c] of COMPARATORS) if (re.test(text)) {
    comparator = c;
    break;
  }
  if (DASH_ONLY_RE.test(text)) return { value: null, unit: null, comparator: null, status: 'missing', text: text || null, doubt: null };
  const found: Array<{ value: number; unit: string | null; index: number }> = [];
  for (const m of text.matchAll(NUMBER_RE)) {
    const sign = m[1] === '▲' || m[1] === '-' ? -1 : 1;
    if (m[1] === '△') continue; // △ before a number is the progress symbol, not a sign, in these tables
    const intPart = m[2]!.replace(/,/gu, '');
    const num = Number(`${intPart}${m[3] ? `.${m[3]}` : ''}`);
    const mult = m[4] ? (MULTIPLIERS[m[4]] ?? 1) : 1;
    const unit = canonicalUnit(m[5] ?? null);
    // "5年間" / "H26年度" / "3か年" are periods, not quantities.
    if (unit && /^(年間|年度|か年|カ年|ヵ年|年)/u.test(unit)) continue;
    if (/^[HR]$/u.test(text.slice(Math.max(0, (m.index ?? 0) - 1), m.index ?? 0))) continue;
    found.push({ value: clean(sign * num * mult), unit, index: m.index ?? 0 });
  }
  if (found.length === 0) {
    return { value: null, unit: null, comparator, status: status === 'provisional' ? 'provisional' : 'missing', text: text || null, doubt: null };
  }
  let pick = found[0]!;
  let doubt: string | null = null;
  if (found.length > 1) {
    const same = preferUnit ? found.filter((f) => f.unit === preferUnit) : [];
    if (same.length === 1) pick = same[0]!;
    else {
      pick = found.at(-1)!;
      doubt = `several numbers in "${text}"; took ${pick.value}`;
    }
  }
  return { value: pick.value, unit: pick.unit, comparator, status, text, doubt };
}

export interface FiscalYear {
  fiscalYear: number;
  /** Normalised label: H27…H31 for 平成, R1… for 令和. */
  label: string;
}

/** Parse a 和暦 fiscal-year label: H27, 平成27年度, R1, R元, 令和元年度, H31 → 2019 (label kept). */
export function parseFiscalYear(raw: string): FiscalYear | null {
  const t = raw.replace(/\s+/gu, '');
  const m = /^(H|平成|R|令和)(\d{1,2}|元)(?:年度?)?$/u.exec(t);
  if (!m) {
    const w = /^(20\d{2})(?:年度?)?$/u.exec(t);
    return w ? { fiscalYear: Number(w[1]), label: `${w[1]}` } : null;
  }
  const n = m[2] === '元' ? 1 : Number(m[2]);
  const heisei = m[1] === 'H' || m[1] === '平成';
  if (n < 1 || (heisei && n > 31)) return null;
  return { fiscalYear: heisei ? 1988 + n : 2018 + n, label: `${heisei ? 'H' : 'R'}${n}` };
}

/** 和暦 label of a Western fiscal year (2019 → R1, since reports after May 2019 say 令和元年度). */
export function eraLabel(fiscalYear: number): string {
  return fiscalYear >= 2019 ? `R${fiscalYear - 2018}` : `H${fiscalYear - 1988}`;
}

/** A progress symbol cell → ○ △ × - or null (blank). */
export function parseProgressSymbol(raw: string): { symbol: '○' | '△' | '×' | '-' | null; doubt: string | null } {
  const t = raw.replace(/\s+/gu, '');
  if (t === '') return { symbol: null, doubt: null };
  if (/^[○〇◯]$/u.test(t)) return { symbol: '○', doubt: null };
  if (t === '△') return { symbol: '△', doubt: null };
  if (/^[×xX✕]$/u.test(t)) return { symbol: '×', doubt: null };
  if (/^[—\-–ー―‐]+$/u.test(t)) return { symbol: '-', doubt: null };
  return { symbol: null, doubt: `unreadable progress symbol "${raw}"` };
}

/** An outlook grade cell → A B C or null (blank or dash). */
export function parseGrade(raw: string): { grade: 'A' | 'B' | 'C' | null; doubt: string | null } {
  const t = raw.replace(/\s+/gu, '').toUpperCase();
  if (t === '' || /^[—\-–ー―‐]+$/u.test(t)) return { grade: null, doubt: null };
  if (t === 'A' || t === 'B' || t === 'C') return { grade: t, doubt: null };
  return { grade: null, doubt: `unreadable outlook grade "${raw}"` };
}

/** Split the "baseline ▼ final target" cell. */
export function splitBaselineCell(raw: string): { baseline: string | null; final: string | null } {
  const parts = raw.split(/[▼↓⇒→]/u).map((p) => joinWrapped(p));
  if (parts.length >= 2) return { baseline: parts[0] || null, final: parts.slice(1).join(' ') || null };
  // No arrow: one value per line — first is the baseline, last the target.
  const lines = raw.split('\n').map((l) => l.trim()).filter(Boolean);
  if (lines.length >= 2) return { baseline: lines[0]!, final: lines.at(-1)! };
  return { baseline: squash(raw) || null, final: null };
}
