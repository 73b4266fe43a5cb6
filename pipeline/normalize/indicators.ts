/** Indicator registry: maps the names printed in reports to stable indicator ids. */
import { createHash } from 'node:crypto';
import type { IndicatorDefinition, IndicatorRegistry } from '../lib/records.gen.js';
import { normalizeText } from '../extract/text.js';

/** Comparison key of an indicator name: normalised, without white space or punctuation. */
export function nameKey(name: string): string {
  return normalizeText(name).replace(/[\s・、,.。:：()（）「」『』]/gu, '');
}

export interface IndicatorMatch {
  id: string;
  known: boolean;
  definition: IndicatorDefinition | null;
}

export class IndicatorIndex {
  private readonly byKey = new Map<string, IndicatorDefinition[]>();

  constructor(readonly registry: IndicatorRegistry) {
    for (const d of registry.indicators) {
      for (const n of [d.name, ...d.variants]) {
        const k = `${d.municipality_code}|${nameKey(n)}`;
        this.byKey.set(k, [...(this.byKey.get(k) ?? []), d]);
      }
    }
  }

  match(municipalityCode: string, goalNo: number, name: string): IndicatorMatch {
    const hits = this.byKey.get(`${municipalityCode}|${nameKey(name)}`) ?? [];
    const def = hits.find((d) => d.goal_no === goalNo) ?? (hits.length === 1 ? hits[0]! : null);
    if (def) return { id: def.indicator_id, known: true, definition: def };
    const hash = createHash('sha256').update(nameKey(name)).digest('hex').slice(0, 8);
    return { id: `${municipalityCode}-G${goalNo}-auto-${hash}`, known: false, definition: null };
  }
}
