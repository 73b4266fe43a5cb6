/**
 * npm run accuracy [-- [--json] [--by-class] [--only submitted,corpus,generated] [FOLDER ...]]
 *
 * Runs extract → normalize → validate in-process on the submitted PDFs, the corpus, the generated
 * layouts and any folder given, and prints per PDF and in total how many numeric, indicator and KPI
 * cells were matched, missing, wrong-but-flagged and wrong-and-silent, the spurious rows and the lost
 * indicators. --json prints the same as JSON (with every mismatch) so two runs can be diffed.
 */
import { existsSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { addCounts, compareReport, emptyCounts, isExact, type CellCounts, type FileAccuracy } from './accuracy/compare.js';
import { defaultCases, folderCases, loadRegistry, runPipeline, type Case } from './accuracy/sets.js';

interface Options {
  json: boolean;
  byClass: boolean;
  only: string[] | null;
  folders: string[];
}

function parseArgs(argv: string[]): Options {
  const o: Options = { json: false, byClass: false, only: null, folders: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--json') o.json = true;
    else if (a === '--by-class') o.byClass = true;
    else if (a === '--only') {
      const v = argv[++i];
      if (!v) throw new Error('--only needs a list of sets, e.g. --only submitted,generated');
      o.only = v.split(',');
    } else if (a.startsWith('--')) throw new Error(`unknown option ${a} (use --json, --by-class, --only SETS, or folders)`);
    else o.folders.push(resolve(a));
  }
  return o;
}

/** The project root: the nearest folder above this file with a package.json. */
function projectRoot(): string {
  let d = import.meta.dirname;
  while (!existsSync(join(d, 'package.json'))) {
    const up = dirname(d);
    if (up === d) throw new Error('cannot find the project root (no package.json above the tool)');
    d = up;
  }
  return d;
}

interface Totals {
  files: number;
  exact: number;
  numeric: CellCounts;
  indicator: CellCounts;
  kpi: CellCounts;
  spuriousRows: number;
  spuriousKpiRows: number;
  lost: number;
  lostNamed: number;
  errors: number;
}

const emptyTotals = (): Totals => ({ files: 0, exact: 0, numeric: emptyCounts(), indicator: emptyCounts(), kpi: emptyCounts(), spuriousRows: 0, spuriousKpiRows: 0, lost: 0, lostNamed: 0, errors: 0 });

function add(t: Totals, a: FileAccuracy): void {
  t.files++;
  if (isExact(a)) t.exact++;
  t.numeric = addCounts(t.numeric, a.numeric);
  t.indicator = addCounts(t.indicator, a.indicator);
  t.kpi = addCounts(t.kpi, a.kpi);
  t.spuriousRows += a.spuriousRows;
  t.spuriousKpiRows += a.spuriousKpiRows;
  t.lost += a.lost.length;
  t.lostNamed += a.lost.filter((l) => l.named).length;
  if (a.error) t.errors++;
}

const pct = (c: CellCounts) => (c.cells ? `${((100 * c.matched) / c.cells).toFixed(1)}%` : '-');
const cells = (c: CellCounts) => `${String(c.matched).padStart(4)}/${String(c.cells).padEnd(4)} ${String(c.missing).padStart(3)} ${String(c.flagged).padStart(3)} ${String(c.silent).padStart(3)}`;
const HEAD = `${'file'.padEnd(58)} ${'numeric ok/cells miss flag SILENT'.padEnd(28)} | ${'indicator'.padEnd(22)} | ${'KPI'.padEnd(22)} | spur kspur lost(named)`;

function line(name: string, a: { numeric: CellCounts; indicator: CellCounts; kpi: CellCounts; spuriousRows: number; spuriousKpiRows: number }, lost: string): string {
  return `${name.slice(0, 58).padEnd(58)} ${cells(a.numeric).padEnd(28)} | ${cells(a.indicator).padEnd(22)} | ${cells(a.kpi).padEnd(22)} | ${String(a.spuriousRows).padStart(4)} ${String(a.spuriousKpiRows).padStart(5)} ${lost}`;
}

function totalLine(label: string, t: Totals): string {
  return `${line(`${label} (${t.exact}/${t.files} exact${t.errors ? `, ${t.errors} failed` : ''})`, t, `${t.lost}(${t.lostNamed})`)}  numeric ${pct(t.numeric)} KPI ${pct(t.kpi)}`;
}

/** Totals of the generated set per value of each layout class. */
function byClass(results: Array<{ c: Case; a: FileAccuracy }>): Map<string, Totals> {
  const out = new Map<string, Totals>();
  for (const { c, a } of results) {
    for (const [k, v] of Object.entries(c.layout)) {
      if (typeof v !== 'string' && typeof v !== 'boolean') continue;
      if (['seed', 'font', 'paper'].includes(k) || k.endsWith('_year')) continue;
      const key = `${k}=${String(v)}`;
      if (!out.has(key)) out.set(key, emptyTotals());
      add(out.get(key)!, a);
    }
  }
  return new Map([...out.entries()].sort((x, y) => x[0].localeCompare(y[0])));
}

async function main(): Promise<void> {
  const opts = parseArgs(process.argv.slice(2));
  const root = projectRoot();
  let cases = [...defaultCases(root), ...opts.folders.flatMap(folderCases)];
  if (opts.only) cases = cases.filter((c) => opts.only!.includes(c.set));
  const registry = loadRegistry(root);
  const results: Array<{ c: Case; a: FileAccuracy }> = [];
  const sets = new Map<string, Totals>();
  const all = emptyTotals();
  if (!opts.json) console.log(HEAD);
  for (const c of cases) {
    const a = compareReport(c.expected, await runPipeline(c.pdf, registry));
    results.push({ c, a });
    if (!sets.has(c.set)) sets.set(c.set, emptyTotals());
    add(sets.get(c.set)!, a);
    add(all, a);
    if (!opts.json) {
      const lost = a.lost.length ? `${a.lost.length}(${a.lost.filter((l) => l.named).length})` : '0';
      console.log(line(`${c.set}/${basename(c.pdf)}`, a, `${lost}${a.yearOk ? '' : ' YEAR'}${a.error ? ` ERROR: ${a.error.slice(0, 80)}` : ''}`));
    }
  }
  const classes = byClass(results.filter((r) => r.c.set !== 'corpus' && Object.keys(r.c.layout).length > 0));
  if (opts.json) {
    const files = results.map(({ c, a }) => ({ set: c.set, file: basename(c.pdf), exact: isExact(a), ...a }));
    console.log(JSON.stringify({ files, sets: Object.fromEntries(sets), total: all, by_class: opts.byClass ? Object.fromEntries(classes) : undefined }, null, 1));
    return;
  }
  console.log('');
  for (const [name, t] of sets) console.log(totalLine(`TOTAL ${name}`, t));
  console.log(totalLine('TOTAL', all));
  if (opts.byClass) {
    console.log('\nby layout class (generated and other manifest sets):');
    for (const [k, t] of classes) console.log(totalLine(k, t));
  }
}

main().catch((e: unknown) => {
  console.error(`accuracy: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
