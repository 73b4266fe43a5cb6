import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DEFAULT_OUT_DIR, DEFAULT_RAW_DIR } from '../lib/paths.js';
import { sha256Hex } from '../lib/hash.js';
import { appendDecision, decisionsPath, loadDecisions } from '../review/decisions.js';
import { queuePath, type ReviewQueue } from '../review/held.js';
import { reviewPage, type ReviewImage } from '../review/page.js';
import { DEFAULT_LIMITS } from '../extract/pool.js';
import { parseCommand } from './args.js';
import { describeError, readInput } from './run.js';
import type { Command } from './main.js';

const usage = `Usage: sousei-kpi review [options]
       sousei-kpi review accept RECORD_KEY --by NAME [--note TEXT] [options]

Without a subcommand: writes OUT/review/index.html from OUT/review/queue.json (the rows
the last run held for review): for each table, a picture of the table region in the
PDF beside the grid as read, with the doubtful cells marked, and for each held row the
line to add to raw/corrections.csv and the command that accepts it as read.

accept: records that a held row was checked against the PDF and is right as read, in
raw/review-decisions.csv (record key, sha256 of the PDF, who, when, note). The next run
publishes the row with extraction_status = accepted.

Options:
  --out DIR     publication folder holding review/ (default: output/ of the project)
  --raw DIR     folder with corrections.csv and review-decisions.csv (default: raw/)
  --by NAME     who reviews (filled into the suggested lines; required for accept)
  --note TEXT   why the row is accepted (accept only)
  -h, --help    this help

Exit 0 when the page was written (or nothing is held) or the decision recorded, 1 when
nothing was run yet or the row is not held, 2 on usage errors.`;

function readQueue(outDir: string): ReviewQueue | null {
  const p = queuePath(outDir);
  return existsSync(p) ? (JSON.parse(readFileSync(p, 'utf8')) as ReviewQueue) : null;
}

/**
 * The PDF a held table came from, read as a run reads its inputs (a regular file only, size
 * checked first: a FIFO or device put in its place is refused, never waited on), or why its
 * picture cannot be drawn.
 */
function readReviewedPdf(path: string, sha256: string): Uint8Array | string {
  let data: Uint8Array;
  try {
    data = readInput(path, DEFAULT_LIMITS.maxBytes);
  } catch (err) {
    const f = describeError(path, err);
    return `${f.file}: ${f.problem} (${f.hint}); run again`;
  }
  return sha256Hex(data) === sha256 ? data : `${path} changed since the run (sha256 differs): run again`;
}

async function writePage(outDir: string, by: string): Promise<number> {
  const queue = readQueue(outDir);
  if (!queue) {
    if (existsSync(join(outDir, 'latest'))) {
      process.stderr.write(`[review] nothing is held for review: the last run published every row (${outDir})\n`);
      return 0;
    }
    process.stderr.write(`sousei-kpi review: ${queuePath(outDir)}: no review queue and no release — run \`sousei-kpi run\` first\n`);
    return 1;
  }
  const dir = join(outDir, 'review');
  const imgDir = join(dir, 'img');
  rmSync(imgDir, { recursive: true, force: true });
  mkdirSync(imgDir, { recursive: true });
  // The canvas and pdf.js's renderer are loaded only by this command.
  const { renderRegions } = await import('../review/render.js');
  const images: ReviewImage[][] = [];
  for (const [i, t] of queue.tables.entries()) {
    const regions = t.regions.length ? t.regions : [{ page: t.page, x0: 0, x1: 10_000, top: 0, bottom: 10_000 }];
    const pdf = readReviewedPdf(t.path, t.sha256);
    if (typeof pdf === 'string') {
      images.push(regions.map(() => ({ src: null, width: 0, height: 0, problem: pdf })));
      continue;
    }
    const drawn = await renderRegions(pdf, regions);
    images.push(
      drawn.map((d, j) => {
        const name = `t${i + 1}-${j + 1}.png`;
        writeFileSync(join(imgDir, name), d.png);
        return { src: `img/${name}`, width: d.width, height: d.height, problem: null };
      }),
    );
  }
  const page = join(dir, 'index.html');
  writeFileSync(page, reviewPage(queue.tables, images, { by, date: new Date().toISOString().slice(0, 10), release: queue.release }));
  process.stderr.write(`[review] ${queue.held_rows} held row(s) in ${queue.tables.length} table(s)\n`);
  process.stdout.write(`${page}\n`);
  return 0;
}

function accept(outDir: string, rawDir: string, key: string, by: string, note: string): number {
  const queue = readQueue(outDir);
  const table = queue?.tables.find((t) => t.rows.some((r) => r.record_key === key));
  if (!queue || !table) {
    process.stderr.write(`sousei-kpi review accept: ${key} is not held for review in ${queuePath(outDir)} — copy the key from the review page or queue.json\n`);
    return 1;
  }
  if (loadDecisions(rawDir).some((d) => d.record_key === key && d.source_sha256 === table.sha256)) {
    process.stderr.write(`sousei-kpi review accept: ${key} is already accepted in ${decisionsPath(rawDir)}\n`);
    return 0;
  }
  appendDecision(rawDir, { record_key: key, source_sha256: table.sha256, decision: 'accept', by, at: new Date().toISOString(), note });
  process.stderr.write(`[review] ${key} accepted by ${by} (${decisionsPath(rawDir)}); \`sousei-kpi run\` publishes it\n`);
  return 0;
}

export const reviewCommand: Command = {
  usage,
  async run(argv) {
    const args = parseCommand('review', usage, {
      args: argv,
      allowPositionals: true,
      options: {
        out: { type: 'string' },
        raw: { type: 'string' },
        by: { type: 'string' },
        note: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }, (p) => {
      const [sub, key, ...extra] = p.positionals;
      if (sub === undefined) return;
      if (sub !== 'accept') throw new Error(`unknown subcommand "${sub}" (the only one is accept)`);
      if (!key || extra.length) throw new Error('accept takes one RECORD_KEY');
      if (!p.values.by?.trim()) throw new Error('accept needs --by NAME (who checked the row)');
    });
    if (typeof args === 'number') return args;
    const v = args.values;
    const outDir = resolve(v.out ?? DEFAULT_OUT_DIR);
    if (args.positionals[0] === 'accept') return accept(outDir, resolve(v.raw ?? DEFAULT_RAW_DIR), args.positionals[1]!, v.by!.trim(), v.note ?? '');
    return writePage(outDir, v.by?.trim() || 'open-data team');
  },
};
