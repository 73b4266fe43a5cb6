/**
 * pdf.js's two modules, loaded as classic scripts with V8's code cache (issue 15: cold start).
 *
 * Node 20 compiles an ES module from source in every process, and pdf.js is 3.3 MB of
 * it: parsing it and compiling the functions a report needs is about 40 ms of each
 * extraction worker's start. The build writes the same code as classic scripts
 * (pipeline/tools/gen-pdfjs-scripts.mjs); a script can be handed the code V8 compiled
 * in an earlier process (vm.Script cachedData). After its first document a process
 * saves that code, functions compiled while reading included, beside the scripts
 * (dist/pdfjs/*.v8cache, like Python's __pycache__), keyed on Node's version and the
 * process's V8 flags, which V8 checks too: it rejects a cache made by another V8, another
 * flag set or another source, and the script is then compiled as usual.
 *
 * Without the built scripts (sources run under vitest before a build, or a pdf.js whose
 * shape the build did not recognise) the modules are imported as before. A cache that
 * cannot be written (read-only install, full disk) only costs the saving.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Script } from 'node:vm';
import { ROOT } from '../lib/paths.js';

export type ScriptName = 'pdf' | 'pdf.worker';

const SCRIPTS_DIR = join(ROOT, 'dist', 'pdfjs');
/** Code caches kept per script: one per flag set in use (pool workers, another memory limit, tests); older ones are removed. */
const CACHES_KEPT = 8;
const require = createRequire(import.meta.url);

interface Loaded {
  script: Script;
  cacheFile: string;
  /** The cache was missing or V8 rejected it: save a new one after the first document. */
  stale: boolean;
}
const loaded = new Map<ScriptName, Loaded>();

/** How each pdf.js module was loaded in this process: from a code cache V8 took, compiled (no cache, or one V8 rejected), or as a plain module (no built script). */
export type LoadedAs = 'cache' | 'compiled' | 'rejected' | 'module';
const loadedAs: Partial<Record<ScriptName, LoadedAs>> = {};
export function pdfjsLoadedAs(): Partial<Record<ScriptName, LoadedAs>> {
  return { ...loadedAs };
}

/** Node options that say what to run or how to resolve modules, not how V8 compiles: left out of the cache key. */
const NOT_V8 = /^--(?:input-type|eval|print|require|import|loader|experimental-loader|conditions|experimental-import-meta-resolve|inspect)\b/u;

/**
 * Where this process's code cache of `name` lives: one file per Node version, architecture,
 * set of flags (V8 rejects a cache made under other V8 flags; options such as `-e CODE` or
 * `--conditions` do not count) and script.
 */
function cacheFileOf(name: ScriptName, source: string): string {
  const flags = process.execArgv.filter((a) => a.startsWith('--') && !NOT_V8.test(a));
  const key = createHash('sha256').update(`${process.version} ${process.arch}\n${flags.join('\n')}\n`).update(source).digest('hex').slice(0, 16);
  return join(SCRIPTS_DIR, `${name}.${key}.v8cache`);
}

function readOrNull(file: string): Buffer | undefined {
  try {
    return readFileSync(file);
  } catch {
    return undefined;
  }
}

/**
 * The exports of pdf.js's module `name` from its built script (with the code cache when
 * there is a usable one), or null when there is no built script: import the module then.
 */
export function loadPdfjsScript(name: ScriptName): Record<string, unknown> | null {
  const file = join(SCRIPTS_DIR, `${name}.js`);
  const bytes = readOrNull(file);
  if (!bytes) {
    loadedAs[name] = 'module';
    return null;
  }
  const source = bytes.toString('utf8');
  const cacheFile = cacheFileOf(name, source);
  const cachedData = readOrNull(cacheFile);
  const script = new Script(source, { filename: file, ...(cachedData ? { cachedData } : {}) });
  loaded.set(name, { script, cacheFile, stale: !cachedData || script.cachedDataRejected === true });
  loadedAs[name] = !cachedData ? 'compiled' : script.cachedDataRejected === true ? 'rejected' : 'cache';
  const factory = script.runInThisContext() as (moduleUrl: string) => Record<string, unknown>;
  // The module's own URL: pdf.js resolves its optional packages (createRequire) from it.
  return factory(pathToFileURL(require.resolve(`pdfjs-dist/legacy/build/${name}.mjs`)).href);
}

/**
 * Save the code cache of every script loaded without a usable one. Called once a document
 * has been read, so that the functions reading compiled are in it. Best effort.
 */
export function saveCodeCaches(): void {
  for (const entry of loaded.values()) {
    if (!entry.stale) continue;
    entry.stale = false; // once per process, whatever happens
    const tmp = `${entry.cacheFile}.${process.pid}.tmp`;
    try {
      writeFileSync(tmp, entry.script.createCachedData());
      renameSync(tmp, entry.cacheFile); // whole or not at all, when two workers save at once
      pruneCaches(entry.cacheFile);
    } catch {
      rmSync(tmp, { force: true });
    }
  }
}

/** Remove the oldest code caches of the script `kept` belongs to, beyond CACHES_KEPT. */
function pruneCaches(kept: string): void {
  const prefix = `${basename(kept).split('.').slice(0, -2).join('.')}.`;
  const others = readdirSync(SCRIPTS_DIR)
    .filter((n) => n.startsWith(prefix) && /^[0-9a-f]{16}\.v8cache$/u.test(n.slice(prefix.length)))
    .map((n) => join(SCRIPTS_DIR, n))
    .filter((f) => f !== kept)
    .map((f) => ({ f, t: statSync(f).mtimeMs }))
    .sort((a, b) => b.t - a.t);
  for (const { f } of others.slice(CACHES_KEPT - 1)) rmSync(f, { force: true });
}
