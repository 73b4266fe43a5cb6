/**
 * A version for compiled code that nobody has to remember to bump: the sha256 of a
 * set of compiled modules and of every module they import by relative path, names
 * and contents, in a stable order. Used at build time (pipeline/tools/gen-extractor-version.mjs)
 * to key the extraction cache on the extractor's code, so any change to it (or to
 * what it imports) invalidates the cache.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

/** Relative module specifiers of a compiled ES module: static imports, re-exports and dynamic import('…'). */
export function relativeImports(source: string): string[] {
  const out: string[] = [];
  const re = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)(['"])(\.{1,2}\/[^'"]+)\1/gu;
  for (const m of source.matchAll(re)) out.push(m[2]!);
  return out;
}

/** Every .js file under `dir` (recursively), sorted. */
export function jsFilesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...jsFilesUnder(p));
    else if (name.endsWith('.js')) out.push(p);
  }
  return out;
}

/** The entry modules and everything they import by relative path, as absolute paths, sorted. */
export function moduleClosure(entries: string[]): string[] {
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const spec of relativeImports(readFileSync(file, 'utf8'))) visit(resolve(dirname(file), spec));
  };
  for (const e of entries) visit(resolve(e));
  return [...seen].sort();
}

/**
 * sha256 (hex) over the names (relative to `base`) and contents of the entries'
 * module closure, then `extra` (e.g. a dependency's version).
 */
export function codeVersion(base: string, entries: string[], extra = ''): string {
  const h = createHash('sha256');
  for (const f of moduleClosure(entries)) h.update(`${relative(base, f)}\n`).update(readFileSync(f)).update('\n');
  return h.update(extra).digest('hex');
}
