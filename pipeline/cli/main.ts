#!/usr/bin/env node
/**
 * sousei-kpi command line. Commands live in their own modules and register
 * here; `sousei-kpi --help` lists them, `sousei-kpi COMMAND --help` explains one.
 */
import { nearest } from '../lib/nearest.js';
import { publishCommand } from './cmd-publish.js';
import { ingestCommand } from './cmd-ingest.js';
import { runCommand } from './cmd-run.js';
import { checkCommand } from './cmd-check.js';
import { reviewCommand } from './cmd-review.js';
import { scheduleCommand } from './cmd-schedule.js';

export interface Command {
  summary: string;
  usage: string;
  run(argv: string[]): Promise<number>;
}

const commands: Record<string, Command> = {
  run: runCommand,
  check: checkCommand,
  review: reviewCommand,
  publish: publishCommand,
  ingest: ingestCommand,
  schedule: scheduleCommand,
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
  const cmd = commands[name];
  if (!cmd) {
    const near = nearest(name, Object.keys(commands));
    process.stderr.write(`sousei-kpi: unknown command "${name}"${near ? `; did you mean ${near}?` : ''} (sousei-kpi --help lists the commands)\n`);
    return 2;
  }
  return cmd.run(rest);
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
