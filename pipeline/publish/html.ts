/**
 * Escaping for the dataset page and its SVG charts. Every interpolation in an
 * `html` template is escaped unless it is markup built by another `html`
 * template (a Raw value), so text from PDFs can never become markup.
 */
import { formatNumber } from './csv.js';

export class Raw {
  constructor(readonly html: string) {}
  toString(): string {
    return this.html;
  }
}

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escape text for HTML/SVG element content and quoted attribute values. */
export function esc(s: string): string {
  return s.replace(/[&<>"']/gu, (c) => ENTITIES[c]!);
}

function part(v: unknown): string {
  if (v === null || v === undefined || v === false) return '';
  if (v instanceof Raw) return v.html;
  if (Array.isArray(v)) return v.map(part).join('');
  return esc(String(v));
}

/** Tagged template: escapes every value except Raw fragments (and arrays of them). */
export function html(strings: TemplateStringsArray, ...values: unknown[]): Raw {
  let out = strings[0]!;
  for (let i = 0; i < values.length; i++) out += part(values[i]) + strings[i + 1]!;
  return new Raw(out);
}

/** Thousands separators for display (the CSV files never carry them). */
export function groupDigits(n: number): string {
  const neg = n < 0;
  const [int, frac] = formatNumber(Math.abs(n)).split('.');
  const grouped = int!.replace(/\B(?=(\d{3})+(?!\d))/gu, ',');
  return `${neg ? '-' : ''}${grouped}${frac !== undefined ? `.${frac}` : ''}`;
}
