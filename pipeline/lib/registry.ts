/** Loading of the project's input registries (raw/sources.json, raw/indicators.json), checked with ajv. */
import { existsSync, readFileSync } from 'node:fs';
import { writeFileAtomic } from './durable.js';
import { join } from 'node:path';
import { INDICATORS_FILE, SOURCES_FILE } from './inputs.js';
import type { IndicatorRegistry, SourceRegistry } from './records.gen.js';
import { formatErrors, validator } from './schemas.js';

export class InputError extends Error {
  constructor(
    readonly file: string,
    readonly problem: string,
    readonly hint: string,
  ) {
    super(`${file}: ${problem}`);
    this.name = 'InputError';
  }
}

function readJson(path: string, what: string): unknown {
  if (!existsSync(path)) throw new InputError(path, `${what} not found`, 'create it (see README, "Adding a year\'s report")');
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new InputError(path, `is not valid JSON (${(err as Error).message})`, 'fix the syntax; `node -e "JSON.parse(require(\'fs\').readFileSync(process.argv[1]))" FILE` shows where');
  }
}

export function loadSources(rawDir: string): SourceRegistry {
  const path = join(rawDir, SOURCES_FILE);
  const doc = readJson(path, 'the source registry');
  const v = validator('sources.schema.json');
  if (!v(doc)) throw new InputError(path, `does not match schemas/sources.schema.json: ${formatErrors(v.errors)}`, 'compare it with the example in the README');
  const reg = doc as SourceRegistry;
  const ids = new Set<string>();
  for (const r of reg.reports) {
    if (ids.has(r.id)) throw new InputError(path, `report id "${r.id}" appears twice`, 'give every report its own id');
    ids.add(r.id);
  }
  return reg;
}

/**
 * Write raw/sources.json atomically (temporary file in the same folder, fsync, rename), after
 * checking it against the schema, so a crash leaves either the old or the new registry, never half of one.
 */
export function saveSources(rawDir: string, reg: SourceRegistry): void {
  const path = join(rawDir, SOURCES_FILE);
  const v = validator('sources.schema.json');
  if (!v(reg)) throw new InputError(path, `would not match schemas/sources.schema.json: ${formatErrors(v.errors)}`, 'this is a bug in the code that updates the registry; the file was left unchanged');
  writeFileAtomic(path, `${JSON.stringify(reg, null, 2)}\n`);
}

export function loadIndicators(rawDir: string): IndicatorRegistry {
  const path = join(rawDir, INDICATORS_FILE);
  if (!existsSync(path)) return { indicators: [] };
  const doc = readJson(path, 'the indicator registry');
  const v = validator('indicators.schema.json');
  if (!v(doc)) throw new InputError(path, `does not match schemas/indicators.schema.json: ${formatErrors(v.errors)}`, 'compare it with the example in the README');
  return doc as IndicatorRegistry;
}
