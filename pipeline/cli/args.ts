/** Argument parsing shared by the commands: usage errors exit 2, --help prints the usage and exits 0. */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { normaliseBaseUrl } from '../publish/catalog.js';

/**
 * Parse a command's arguments. Returns the parsed values, or the exit status when
 * the command is done (usage error: 2, --help: 0). `check` may throw to report a
 * usage problem found after parsing (its message is printed with the usage).
 */
export function parseCommand<T extends ParseArgsConfig>(command: string, usage: string, config: T, check?: (parsed: ReturnType<typeof parseArgs<T>>) => void): ReturnType<typeof parseArgs<T>> | number {
  let parsed: ReturnType<typeof parseArgs<T>>;
  try {
    parsed = parseArgs(config);
    if ((parsed.values as { help?: boolean }).help) {
      process.stdout.write(`${usage}\n`);
      return 0;
    }
    check?.(parsed);
  } catch (err) {
    process.stderr.write(`sousei-kpi ${command}: ${(err as Error).message}\n\n${usage}\n`);
    return 2;
  }
  return parsed;
}

/** --base-url, where a command has it, must be an http(s) URL (checked before any work starts). */
export function checkBaseUrl(parsed: { values: Record<string, unknown> }): void {
  const url = parsed.values['base-url'];
  if (typeof url === 'string') {
    try {
      normaliseBaseUrl(url);
    } catch (err) {
      throw new Error(`--base-url: ${(err as Error).message}`);
    }
  }
}
