/** Numeric command-line values, checked the same way by every command. */

export interface NumberRule {
  /** Smallest value allowed (default 0). */
  min?: number;
  /** The minimum itself is not allowed (a value must be greater). */
  exclusive?: boolean;
  integer?: boolean;
}

/** The number a flag's text gives; throws an Error naming the flag and the rule when it breaks it. */
export function numberOption(flag: string, raw: string, rule: NumberRule = {}): number {
  const { min = 0, exclusive = false, integer = false } = rule;
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(n) || (exclusive ? n <= min : n < min) || (integer && !Number.isInteger(n))) {
    const bound = exclusive ? `> ${min}` : min === 0 ? '≥ 0' : `of at least ${min}`;
    throw new Error(`--${flag} must be a ${integer ? 'whole number' : 'number'} ${bound}, not "${raw}"`);
  }
  return n;
}
