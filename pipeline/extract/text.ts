/**
 * Text normalisation for PDF text layers.
 *
 * PDFs made by Word/Excel/LibreOffice often carry Kangxi radicals (U+2F00–2FDF)
 * or CJK radicals-supplement characters instead of unified kanji (⼒ for 力),
 * full-width digits and Latin letters, and odd dash glyphs. NFKC folds most of
 * these, but it would also fold ① into "1", which would lose the policy
 * direction numbering, so circled numbers are protected.
 */

/** Circled numbers ①–⑳ (U+2460–2473), ㉑–㉟ (U+3251–325F), ㊱–㊿ (U+32B1–32BF). */
const CIRCLED_RE = /[\u2460-\u2473\u3251-\u325F\u32B1-\u32BF]/u;
const CIRCLED_SPLIT_RE = /([\u2460-\u2473\u3251-\u325F\u32B1-\u32BF])/u;

/** CJK Radicals Supplement characters that NFKC leaves alone but PDFs use as kanji. */
const RADICAL_SUPPLEMENT: Record<string, string> = {
  '\u2E84': '乙', '\u2E86': '冂', '\u2E87': '几', '\u2E88': '刀', '\u2E8A': '卜', '\u2E8C': '小', '\u2E8D': '小',
  '\u2E8E': '兀', '\u2E8F': '尢', '\u2E90': '尢', '\u2E92': '巳', '\u2E93': '幺', '\u2E94': '彑', '\u2E95': '彐',
  '\u2E96': '心', '\u2E97': '心', '\u2E98': '手', '\u2E99': '攵', '\u2E9B': '旡', '\u2E9D': '月', '\u2E9E': '歹',
  '\u2EA0': '民', '\u2EA1': '水', '\u2EA2': '水', '\u2EA3': '火', '\u2EA4': '爪', '\u2EA5': '爫', '\u2EA6': '丬',
  '\u2EA7': '牛', '\u2EA8': '犬', '\u2EA9': '王', '\u2EAA': '疋', '\u2EAB': '目', '\u2EAC': '示', '\u2EAD': '礻',
  '\u2EAE': '竹', '\u2EAF': '糸', '\u2EB0': '纟', '\u2EB1': '罒', '\u2EB2': '罒', '\u2EB3': '罒', '\u2EB4': '罒',
  '\u2EB5': '罒', '\u2EB6': '羊', '\u2EB7': '羊', '\u2EB8': '羊', '\u2EB9': '老', '\u2EBA': '肀', '\u2EBB': '肀',
  '\u2EBC': '月', '\u2EBD': '臼', '\u2EBE': '艹', '\u2EBF': '艹', '\u2EC0': '艹', '\u2EC1': '虎', '\u2EC2': '衤',
  '\u2EC3': '西', '\u2EC4': '西', '\u2EC5': '見', '\u2EC6': '角', '\u2EC7': '角', '\u2EC8': '讠', '\u2EC9': '贝',
  '\u2ECA': '足', '\u2ECB': '车', '\u2ECC': '辶', '\u2ECD': '辶', '\u2ECE': '辶', '\u2ECF': '阝', '\u2ED0': '钅',
  '\u2ED1': '長', '\u2ED2': '長', '\u2ED3': '长', '\u2ED4': '门', '\u2ED5': '阜', '\u2ED6': '阝', '\u2ED7': '雨',
  '\u2ED8': '青', '\u2ED9': '韦', '\u2EDA': '页', '\u2EDB': '风', '\u2EDC': '飞', '\u2EDD': '食', '\u2EDE': '食',
  '\u2EDF': '食', '\u2EE0': '饣', '\u2EE1': '首', '\u2EE2': '马', '\u2EE3': '骨', '\u2EE4': '鬼', '\u2EE5': '鱼',
  '\u2EE6': '鸟', '\u2EE7': '卤', '\u2EE8': '麦', '\u2EE9': '黄', '\u2EEA': '黾', '\u2EEB': '斉', '\u2EEC': '齐',
  '\u2EED': '歯', '\u2EEE': '齿', '\u2EEF': '竜', '\u2EF0': '龙', '\u2EF1': '龜', '\u2EF2': '亀', '\u2EF3': '龟',
};

/** Characters mapped after NFKC. */
const AFTER_NFKC: Record<string, string> = {
  '\u0336': '—', // combining long stroke overlay, drawn alone as a dash by some Word exports
  '\u2212': '-', // minus sign
  '\u2010': '-', '\u2011': '-', '\u2012': '-', '\u2013': '-', // hyphens, figure dash, en dash
  '\u2015': '—', '\u2500': '—', '\u2501': '—', // horizontal bar, box drawing lines used as dashes
  '\u25EF': '○', '\u26AA': '○', '\u25CE': '◎', // large circle variants
  '\u2573': '×', '\u2716': '×', '\u2715': '×', '\u00D7': '×',
  '\u25B3': '△', '\u25B5': '△', '\u2206': '△',
  '\u2027': '・', '\u00B7': '・', '\u2219': '・', // hyphenation point / middle dots used for ・
  '\u200B': '', '\u200C': '', '\u200D': '', '\uFEFF': '', '\u00AD': '',
};

const AFTER_RE = new RegExp(`[${Object.keys(AFTER_NFKC).join('')}]`, 'gu');
const RADICAL_RE = /[\u2E80-\u2EFF]/gu;

function foldSegment(s: string): string {
  return s
    .replace(RADICAL_RE, (c) => RADICAL_SUPPLEMENT[c] ?? c)
    .normalize('NFKC')
    .replace(AFTER_RE, (c) => AFTER_NFKC[c] ?? c);
}

/**
 * Normalise PDF text: Kangxi radicals and compatibility ideographs to unified
 * kanji, full-width ASCII to ASCII, dash and circle glyph variants to one form,
 * while keeping circled numbers (①…) and the symbols ○ △ × distinct.
 */
export function normalizeText(s: string): string {
  if (!CIRCLED_RE.test(s)) return foldSegment(s);
  return s
    .split(CIRCLED_SPLIT_RE)
    .map((part) => (CIRCLED_RE.test(part) && part.length === 1 ? part : foldSegment(part)))
    .join('');
}

/** The number of a circled numeral ①=1 … ㊿=50, or null. */
export function circledNumber(c: string): number | null {
  const cp = c.codePointAt(0);
  if (cp === undefined) return null;
  if (cp >= 0x2460 && cp <= 0x2473) return cp - 0x2460 + 1;
  if (cp >= 0x3251 && cp <= 0x325f) return cp - 0x3251 + 21;
  if (cp >= 0x32b1 && cp <= 0x32bf) return cp - 0x32b1 + 36;
  return null;
}

/** Leading circled number of a string (after optional spaces/brackets), e.g. "【⑥関連】" → 6. */
export function leadingCircled(s: string): number | null {
  const m = /^[\s【\[(（]*([\u2460-\u2473\u3251-\u325F\u32B1-\u32BF])/u.exec(s);
  return m?.[1] ? circledNumber(m[1]) : null;
}

/** Remove all white space (PDF line wraps and stray spaces inside Japanese names). */
export function compact(s: string): string {
  return s.replace(/\s+/gu, '');
}

/** Collapse runs of white space to one space and trim. */
export function squash(s: string): string {
  return s.replace(/\s+/gu, ' ').trim();
}

/** Whether a character is CJK (kana, kanji, full-width punctuation): no space is needed between two of them. */
export function isCjk(ch: string): boolean {
  return /[\u3000-\u30FF\u3400-\u9FFF\uF900-\uFAFF\uFF01-\uFF60\u2460-\u24FF\u25A0-\u25FF\u3251-\u32BF]/u.test(ch);
}

/**
 * Join the lines of a wrapped cell: Japanese text (and numbers in narrow cells)
 * wrap anywhere, so lines are joined without a space unless both sides are Latin letters.
 */
export function joinWrapped(text: string): string {
  return text
    .split('\n')
    .map((l) => squash(l))
    .filter(Boolean)
    .reduce((acc, line) => (acc && /[A-Za-z]$/u.test(acc) && /^[A-Za-z]/u.test(line) ? `${acc} ${line}` : acc + line), '');
}
