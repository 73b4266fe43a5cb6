/**
 * Reads the given PDFs `--repeat` times in this process, with nothing else around it (no
 * CLI, no pool, no publishing), and prints the wall seconds of the timed reads. `npm run
 * bench` starts one of these and then two at once, with the worker's V8 flags, to measure
 * what the machine itself gives two independent extraction processes: the ceiling of any
 * batch scaling figure, whatever the pipeline does around the workers.
 * Usage: node [flags] dist/pipeline/tools/extract-loop.js --repeat N FILE.pdf ...
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { extractReport } from '../extract/index.js';

const { values, positionals } = parseArgs({ options: { repeat: { type: 'string', default: '10' }, warmup: { type: 'string', default: '2' } }, allowPositionals: true });
const files = positionals.map((f) => ({ f, data: readFileSync(f) }));
const read = async () => {
  for (const { f, data } of files) await extractReport(new Uint8Array(data), f, { maxPages: 10_000, maxBytes: 1e9 });
};
for (let i = 0; i < Number(values.warmup); i++) await read();
const t = performance.now();
for (let i = 0; i < Number(values.repeat); i++) await read();
process.stdout.write(`${((performance.now() - t) / 1000).toFixed(4)}\n`);
