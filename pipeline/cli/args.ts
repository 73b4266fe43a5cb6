/** Argument parsing shared by the commands: usage errors exit 2, --help prints the usage and exits 0. */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { nearest } from '../lib/nearest.js';
import { normaliseBaseUrl } from '../publish/catalog.js';

/** The flags a command accepts, as typed (--name, and -x for short ones). */
function flagsOf(command: string, config: ParseArgsConfig): string[] {
  const flags = Object.entries(config.options ?? {}).flatMap(([name, o]) => [`--${name}`, ...(o.short ? [`-${o.short}`] : [])]);
  // run takes --dry-run before parsing (it hands over to check).
  return command === 'run' ? [...flags, '--dry-run'] : flags;
}

/**
 * One line for an unknown option: the nearest valid flag, or where the list is.
 * Returns null when the error is not about an unknown option.
 */
export function unknownOptionLine(command: string, err: unknown, config: ParseArgsConfig): string | null {
  const e = err as { code?: string; message?: string };
  if (e?.code !== 'ERR_PARSE_ARGS_UNKNOWN_OPTION') return null;
  const flag = /'([^']+)'/u.exec(e.message ?? '')?.[1] ?? '';
  const name = flag.replace(/=.*$/u, '');
  const near = nearest(name, flagsOf(command, config));
  return `sousei-kpi ${command}: unknown option ${name}${near ? `; did you mean ${near}?` : ''} (sousei-kpi ${command} --help lists the options)`;
}

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
    const line = unknownOptionLine(command, err, config);
    if (line) process.stderr.write(`${line}\n`);
    else process.stderr.write(`sousei-kpi ${command}: ${(err as Error).message}\n\n${usage}\n`);
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
