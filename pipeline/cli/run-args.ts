/** The argument list shared by `run` and `check` (apart from run-options.ts, which the early-worker start-up reads and keeps small). */
import { checkBaseUrl, parseCommand } from './args.js';
import { RUN_OPTIONS, runOptionsFrom } from './run-options.js';

/**
 * The argument list of `run` or `check`: its values and run options, or the exit status when it
 * is not usable (help printed: 0; a usage error said on stderr: 2).
 */
export function parseRunArgs(command: 'run' | 'check', usage: string, argv: string[]) {
  const args = parseCommand(command, usage, { args: argv, allowPositionals: true, options: RUN_OPTIONS }, checkBaseUrl);
  if (typeof args === 'number') return args;
  const parsed = runOptionsFrom(command, args.values, args.positionals);
  if (!parsed.ok) {
    process.stderr.write(`${parsed.message}\n`);
    return 2;
  }
  return { values: args.values, options: parsed.options, pool: parsed.pool };
}
