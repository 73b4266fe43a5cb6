#!/usr/bin/env node
/**
 * sousei-kpi command line. Commands live in their own modules and register
 * here; `sousei-kpi --help` lists them, `sousei-kpi COMMAND --help` explains one.
 *
 * Start-up is kept short (issue 15): a command's module, and with it whatever the
 * command needs, is loaded only when that command runs; and for `run` and `check`
 * (which parse PDFs) the first extraction worker is forked before anything else is
 * loaded, so its pdf.js load overlaps the CLI's own start. The command stops it
 * when no pool takes it (usage error, run lock held, everything cached). And a `run` on
 * input identical to the last run's, on an output folder as that run left it, loads
 * neither: cli/rerun.ts prints what the run would and returns its status.
 */
import { nearest } from '../lib/nearest.js';

export interface Command {
  usage: string;
  run(argv: string[]): Promise<number>;
}

interface Entry {
  summary: string;
  load(): Promise<Command>;
}

const commands: Record<string, Entry> = {
  run: {
    summary: 'process report PDFs into published datasets (default: everything in raw/sources.json)',
    load: async () => (await import('./cmd-run.js')).runCommand,
  },
  check: {
    summary: 'run every stage without writing anything: what a release would contain and change',
    load: async () => (await import('./cmd-check.js')).checkCommand,
  },
  review: {
    summary: 'write the review page of the rows held for review, or accept a held row as read',
    load: async () => (await import('./cmd-review.js')).reviewCommand,
  },
  publish: {
    summary: 'push a release to a CKAN catalog (create or patch the dataset, upload the files)',
    load: async () => (await import('./cmd-publish.js')).publishCommand,
  },
  ingest: {
    summary: 'download new or changed report PDFs from their URLs into raw/ (no publishing)',
    load: async () => (await import('./cmd-ingest.js')).ingestCommand,
  },
  schedule: {
    summary: 'run ingest → process → publish unattended on a cron schedule (default yearly, 1 October)',
    load: async () => (await import('./cmd-schedule.js')).scheduleCommand,
  },
};

function help(): string {
  const lines = [
    'sousei-kpi — extract, validate and publish the numeric targets and KPIs of 地方創生総合戦略 progress reports',
    '',
    'Usage: sousei-kpi <command> [options]',
    '',
    'Commands:',
    ...Object.entries(commands).map(([n, c]) => `  ${n.padEnd(10)} ${c.summary}`),
    '',
    'Run `sousei-kpi <command> --help` for the options of a command.',
    'Exit status: 0 success, 1 failure (nothing published), 2 usage error, 3 published with some files failed (--keep-going),',
    '4 published with doubtful rows held for review (run, check).',
  ];
  return lines.join('\n');
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(`${help()}\n`);
    return name ? 0 : 2;
  }
  if (name === '--version') {
    process.stdout.write('sousei-kpi 0.1.0\n');
    return 0;
  }
  const entry = commands[name];
  if (!entry) {
    const near = nearest(name, Object.keys(commands));
    process.stderr.write(`sousei-kpi: unknown command "${name}"${near ? `; did you mean ${near}?` : ''} (sousei-kpi --help lists the commands)\n`);
    return 2;
  }
  if (name === 'run') {
    // A re-run on unchanged input is answered from the last run's record, before the
    // early worker is forked and before the pipeline loads (null: run it).
    const unchanged = (await import('./rerun.js')).rerun(rest);
    if (unchanged !== null) return unchanged;
  }
  if (name === 'run' || name === 'check') {
    // `run --dry-run` is check: the same options, and it parses too.
    (await import('./prestart.js')).prestart(rest.filter((a) => a !== '--dry-run'));
  }
  return (await entry.load()).run(rest);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`sousei-kpi: ${(err as Error)?.stack ?? String(err)}\n`);
    process.exitCode = 1;
  },
);
