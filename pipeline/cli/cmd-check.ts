import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ExtractCache } from '../extract/cache.js';
import { createExtractPool } from '../extract/pool.js';
import { dropPrestarted } from '../extract/spawn.js';
import type { Finding } from '../lib/records.gen.js';
import { InputError } from '../lib/registry.js';
import type { Changelog } from '../publish/changelog.js';
import type { Command } from './main.js';
import { createProgress } from './progress.js';
import { runPipeline, type RunResult } from './run.js';
import { parseRunArgs } from './run-args.js';
import { IN_FLIGHT_PER_WORKER } from './run-options.js';
import { shadowOutput, type Shadow } from './shadow.js';
import { exitStatus, printStopped, releaseFindings, summaryLines, timingsLine } from './summary.js';

const usage = `Usage: sousei-kpi check [FILE.pdf ...] [options]

Runs every stage of \`sousei-kpi run\` (extract, normalize, corrections, validate,
publish into a temporary folder) and writes nothing to the output folder. Prints what
the release would contain, what would change against the latest release, the rows that
would be held for review, and every finding of severity warning or above, grouped by rule.

Takes the options of \`sousei-kpi run\` (see sousei-kpi run --help). Neither takes nor
waits for the run lock OUT/runs/lock, since it writes nothing into the output folder.
Extractions are taken from the run's cache OUT/.cache/extract/ when it holds them
(--no-cache: parse every PDF), but the check never adds to it or changes it.

Exit status: the one \`run\` would give — 0 would publish; 4 would publish with doubtful
rows held for review; 3 would publish with some files failed (--keep-going); 1 would
publish nothing (e.g. an invalid line in raw/corrections.csv); 2 usage error.`;

const SEVERITY_ORDER: Array<Finding['severity']> = ['error', 'warning'];

/** Warnings and errors grouped by severity and rule, each group with its findings. */
export function groupedFindings(findings: Finding[]): string[] {
  const lines: string[] = [];
  for (const sev of SEVERITY_ORDER) {
    const groups = new Map<string, Finding[]>();
    for (const f of findings) if (f.severity === sev) groups.set(f.rule, [...(groups.get(f.rule) ?? []), f]);
    for (const [rule, fs] of [...groups].sort(([a], [b]) => (a < b ? -1 : 1))) {
      lines.push(`${sev} ${rule} (${fs.length})`);
      for (const f of fs) lines.push(`  ${f.record_key}${f.source_page !== null ? ` p.${f.source_page}` : ''}: ${f.message}`);
    }
  }
  return lines;
}

function report(res: RunResult, outDir: string): string[] {
  const p = res.published!;
  const lines = [`Release (not written): ${Object.entries(p.rowCounts).map(([k, n]) => `${k} ${n}`).join(', ')}`];
  const logFile = join(p.releaseDir, 'changelog.json');
  if (!p.created) lines.push(`Against latest: no change — the content equals release ${p.releaseId} already in ${outDir}`);
  else if (existsSync(logFile)) {
    const log = JSON.parse(readFileSync(logFile, 'utf8')) as Changelog;
    lines.push(log.previous_release ? `Against latest (${log.previous_release}):` : 'Against latest: there is no release yet; this would be the first');
    lines.push(...log.summary.map((s) => `  ${s}`));
    for (const c of log.corrections) lines.push(`  correction ${c.record_key}: ${c.message}`);
  }
  for (const t of res.held) {
    lines.push(`Held for review: ${t.file} ${t.table}`);
    for (const r of t.rows) lines.push(`  ${r.record_key}: ${r.reason}`);
  }
  const notable = groupedFindings(releaseFindings(p.releaseDir));
  lines.push(notable.length ? 'Findings (warning or above):' : 'Findings: none of severity warning or above', ...notable.map((l) => `  ${l}`));
  return lines;
}

export const checkCommand: Command = {
  usage,
  async run(argv) {
    try {
      return await checkWith(argv);
    } finally {
      // The early worker (prestart.ts) when no pool took it: usage error, everything cached.
      dropPrestarted();
    }
  },
};

async function checkWith(argv: string[]): Promise<number> {
  const parsed = parseRunArgs('check', usage, argv);
  if (typeof parsed === 'number') return parsed;
  const v = parsed.values;
  const outDir = parsed.options.outDir;
  const started = performance.now();
  // No run lock: check writes nothing into the output folder, so it neither takes the lock nor waits for a run holding it.
  let shadow: Shadow;
  try {
    shadow = shadowOutput(outDir);
  } catch (err) {
    printStopped(err);
    return 1;
  }
  // The real output folder's extraction cache, read only: the stand-in gets no .cache of its own.
  const cache = new ExtractCache(outDir, { readOnly: true, refresh: v['no-cache'] === true, warn: (msg) => process.stderr.write(`sousei-kpi: warning: ${msg}\n`) });
  const pool = createExtractPool(parsed.pool);
  const progress = createProgress({ quiet: v.quiet === true, tty: process.stderr.isTTY === true });
  try {
    const res = await runPipeline({ ...parsed.options, outDir: shadow.dir, ...(progress.log ? { log: progress.log } : {}), progress: progress.update, extract: pool.extract, limits: pool.limits, cache, inFlight: IN_FLIGHT_PER_WORKER * pool.size });
    progress.stop();
    for (const f of res.failures) process.stderr.write(`sousei-kpi: ${f.file}: ${f.problem} — ${f.hint}\n`);
    if (!res.published) {
      process.stderr.write(res.failures.length ? 'sousei-kpi: a run would publish nothing\n' : 'sousei-kpi: nothing to publish (no reports)\n');
      return 1;
    }
    process.stdout.write(`${report(res, outDir).join('\n')}\n`);
    // cache_written is always 0 here: the check never writes the cache.
    if (v.timings) process.stderr.write(`[timings] ${JSON.stringify(timingsLine(res, pool, cache, started))}\n`);
    const summary = summaryLines(res, releaseFindings(res.published.releaseDir), 'to publish').filter((l) => !l.startsWith('[summary] release '));
    for (const l of summary) process.stderr.write(`${l}\n`);
    process.stderr.write(`[summary] nothing was written to ${outDir}\n`);
    return exitStatus(res);
  } catch (err) {
    progress.stop();
    // A refusal about the stand-in's releases is about the real output folder's.
    printStopped(err instanceof InputError ? new InputError(shadow.realPath(err.file), shadow.realPath(err.problem), err.hint) : err);
    return 1;
  } finally {
    await pool.close();
    shadow.dispose();
  }
}
