/**
 * A version for compiled code that nobody has to remember to bump: the sha256 of a
 * set of files, names and contents, in a stable order. Used at build time:
 * - pipeline/tools/gen-extractor-version.mjs keys the extraction cache on the compiled
 *   extractor and every module it imports (codeVersion), so any change to it (or to what
 *   it imports) invalidates the cache;
 * - pipeline/tools/gen-pipeline-version.mjs versions everything that decides a release's
 *   content (filesVersion), so a re-run on unchanged input may skip the pipeline
 *   (cli/rerun.ts) only while the code, schemas and libraries are the ones it ran with.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

/** Relative module specifiers of a compiled ES module: static imports, re-exports and dynamic import('…'). */
export function relativeImports(source: string): string[] {
  const out: string[] = [];
  const re = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)(['"])(\.{1,2}\/[^'"]+)\1/gu;
  for (const m of source.matchAll(re)) out.push(m[2]!);
  return out;
}

/** Every file under `dir` (recursively) whose name `keep` accepts, sorted. */
export function filesUnder(dir: string, keep: (name: string) => boolean = () => true): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...filesUnder(p, keep));
    else if (keep(name)) out.push(p);
  }
  return out;
}

/** Every .js file under `dir` (recursively), sorted. */
export function jsFilesUnder(dir: string): string[] {
  return filesUnder(dir, (name) => name.endsWith('.js'));
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
 * sha256 (hex) over the names (relative to `base`, with / as separator) and contents of
 * `files`, in the order of their relative names, then `extra`. A file's name is hashed
 * with it, so renaming or moving one changes the version too.
 */
export function filesVersion(base: string, files: string[], extra = ''): string {
  const named = files.map((f) => ({ f, rel: relative(base, resolve(f)).split(sep).join('/') }));
  named.sort((a, b) => (a.rel < b.rel ? -1 : a.rel > b.rel ? 1 : 0));
  const h = createHash('sha256');
  for (const { f, rel } of named) h.update(`${rel}\n`).update(readFileSync(f)).update('\n');
  return h.update(extra).digest('hex');
}

/**
 * sha256 (hex) over the names (relative to `base`) and contents of the entries'
 * module closure, then `extra` (e.g. a dependency's version).
 */
export function codeVersion(base: string, entries: string[], extra = ''): string {
  return filesVersion(base, moduleClosure(entries), extra);
}
