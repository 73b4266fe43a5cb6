#!/usr/bin/env node
// Writes dist/pipeline-version.json after the build: the sha256 over everything that
// decides what a run publishes, names and contents in a stable order —
//   dist/pipeline/**/*.js and *.json   the compiled pipeline (and the vocabulary it imports)
//   dist/validators/*                  the validators precompiled from the schemas
//   schemas/**                         the schemas (read at run time too)
//   pipeline/extract/vocabulary.json   the table vocabulary (source of the compiled copy)
//   package-lock.json                  the exact versions of the libraries
// The re-run check (pipeline/cli/rerun.ts) puts it into the fingerprint of a run's input,
// so a new build, schema or library version makes the next run a full one without anyone
// bumping a number. Without this file the check is off (every run is a full one).
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { filesUnder, filesVersion } from '../../dist/pipeline/lib/code-version.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const dist = join(root, 'dist');
const files = [
  ...filesUnder(join(dist, 'pipeline'), (n) => n.endsWith('.js') || n.endsWith('.json')),
  ...filesUnder(join(dist, 'validators')),
  ...filesUnder(join(root, 'schemas')),
  join(root, 'pipeline', 'extract', 'vocabulary.json'),
  join(root, 'package-lock.json'),
];
const version = filesVersion(root, files);
writeFileSync(join(dist, 'pipeline-version.json'), `${JSON.stringify({ version, files: files.length }, null, 2)}\n`);
