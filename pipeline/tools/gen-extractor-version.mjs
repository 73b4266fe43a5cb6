#!/usr/bin/env node
// Writes dist/extractor-version.json after tsc: the sha256 of the compiled extract
// stage (dist/pipeline/extract/**/*.js and every module they import) and the
// pdfjs-dist version. The extraction cache (pipeline/extract/cache.ts) keys its
// entries on it, so a change to the extractor's code or to pdf.js makes every
// cached extraction a miss without anyone bumping a number.
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { codeVersion, jsFilesUnder } from '../../dist/pipeline/lib/code-version.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const dist = join(root, 'dist');
const require = createRequire(import.meta.url);
const pdfjs = JSON.parse(readFileSync(require.resolve('pdfjs-dist/package.json'), 'utf8')).version;
const version = codeVersion(dist, jsFilesUnder(join(dist, 'pipeline', 'extract')), `pdfjs-dist ${pdfjs}`);
writeFileSync(join(dist, 'extractor-version.json'), `${JSON.stringify({ version, pdfjs }, null, 2)}\n`);
