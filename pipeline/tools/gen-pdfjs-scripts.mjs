#!/usr/bin/env node
// Writes dist/pdfjs/pdf.js and dist/pdfjs/pdf.worker.js after tsc: pdf.js's two legacy
// ES modules (each a single self-contained bundle with one `export { … }` at its end) as
// classic scripts that evaluate to a function returning the module's exports. Node 20
// keeps no compiled code of ES modules between runs, but a classic script can be given
// V8's code cache (vm.Script cachedData): with it, a process that reads PDFs skips
// parsing and compiling pdf.js's 3.3 MB again, about 40 ms of every cold start
// (pipeline/extract/pdfjs-script.ts). When a pdf.js release no longer has this shape the
// files are not written and the extractor imports the modules as before.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { spawnSync } from 'node:child_process';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const out = join(root, 'dist', 'pdfjs');
const require = createRequire(import.meta.url);
const build = dirname(require.resolve('pdfjs-dist/legacy/build/pdf.mjs'));

/** The classic-script form of one module, or a reason it cannot be made. */
function asScript(source) {
  const tail = /\nexport \{([^}]*)\};\s*(?:\/\/# sourceMappingURL=\S*\s*)?$/u.exec(source);
  if (!tail) return { error: 'no single `export { … };` at the end' };
  const body = source.slice(0, tail.index);
  // Any other module syntax at the start of a line (static import or export) cannot run as a script.
  if (/^\s*(?:import\s+[\w{*]|export\s)/mu.test(body)) return { error: 'module syntax besides the final export' };
  const exports = tail[1].split(',').map((s) => s.trim()).filter(Boolean).map((spec) => {
    const [local, exported = local] = spec.split(/\s+as\s+/u);
    return `${JSON.stringify(exported)}: ${local}`;
  });
  // import.meta.url becomes the module's real URL, passed in, so that pdf.js's createRequire resolves as before.
  const text = body.replace(/\bimport\.meta\.url\b/gu, '__moduleUrl');
  if (/\bimport\.meta\b/u.test(text)) return { error: 'import.meta used for more than its url' };
  // Strict, as module code is; a function's scope stands for the module scope.
  return { script: `(function (__moduleUrl) {\n"use strict";\n${text}\nreturn { ${exports.join(', ')} };\n})` };
}

rmSync(out, { recursive: true, force: true });
const made = {};
for (const name of ['pdf', 'pdf.worker']) {
  const file = join(build, `${name}.mjs`);
  const res = asScript(readFileSync(file, 'utf8'));
  if (res.error) {
    console.warn(`gen-pdfjs-scripts: ${file}: ${res.error}; pdf.js will be imported as a module (no code cache)`);
    rmSync(out, { recursive: true, force: true });
    process.exit(0);
  }
  made[name] = res.script;
}
mkdirSync(out, { recursive: true });
for (const [name, script] of Object.entries(made)) writeFileSync(join(out, `${name}.js`), script);

// Read the bundled report once in a process with the extraction workers' V8 flags, so that
// the first run after a build starts from a code cache too (a run saves one when it finds
// none, so this only moves that first saving here). Best effort: a failure only costs that.
try {
  const { DEFAULT_WORKER_MEMORY_MB, workerExecArgv } = await import(pathToFileURL(join(root, 'dist', 'pipeline', 'extract', 'spawn.js')).href);
  const report = join(root, 'raw', 'kurume-sousei-h28-progress.pdf');
  const loop = join(root, 'dist', 'pipeline', 'tools', 'extract-loop.js');
  const res = spawnSync(process.execPath, [...workerExecArgv(DEFAULT_WORKER_MEMORY_MB), loop, '--warmup', '1', '--repeat', '0', report], { encoding: 'utf8' });
  if (res.status !== 0) console.warn(`gen-pdfjs-scripts: no code cache made (${(res.stderr || res.error?.message || '').trim().split('\n').pop()}); the first run will make it`);
} catch (err) {
  console.warn(`gen-pdfjs-scripts: no code cache made (${err.message}); the first run will make it`);
}
