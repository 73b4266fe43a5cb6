import { resolve } from 'node:path';
import { numberOption } from '../lib/options.js';
import { ALLOW_ENV, parseAllowList } from '../ingest/address.js';
import { DEFAULT_LIMITS, type FetchLimits } from '../ingest/index.js';
import { DEFAULT_OUT_DIR, DEFAULT_RAW_DIR } from '../lib/paths.js';
import { runJob } from '../schedule/job.js';
import { parseCommand } from './args.js';
import type { Command } from './main.js';

/** Download limits shared by `ingest` and `schedule` (values in seconds and MB on the command line). */
export const fetchOptions = {
  'max-mb': { type: 'string' },
  'connect-timeout': { type: 'string' },
  'stall-timeout': { type: 'string' },
  timeout: { type: 'string' },
  retries: { type: 'string' },
  backoff: { type: 'string' },
  'allow-address': { type: 'string', multiple: true },
} as const;

export const fetchOptionsHelp = `Download limits:
  --max-mb N                largest PDF accepted (default ${DEFAULT_LIMITS.maxBytes / 1024 / 1024})
  --connect-timeout S       seconds to connect (default ${DEFAULT_LIMITS.connectTimeoutMs / 1000})
  --stall-timeout S         seconds without data before giving up (default ${DEFAULT_LIMITS.stallTimeoutMs / 1000})
  --timeout S               seconds for a whole download (default ${DEFAULT_LIMITS.totalTimeoutMs / 1000})
  --retries N               extra attempts after a network error, timeout or 5xx (default ${DEFAULT_LIMITS.retries}; never after 4xx)
  --backoff S               seconds before the first retry, doubling each time (default ${DEFAULT_LIMITS.backoffMs / 1000})
  --allow-address CIDR      also contact this non-public range (repeatable), e.g. 10.1.0.0/16;
                            by default only public addresses are (also ${ALLOW_ENV}=CIDR,…)`;

/** Parse the download limits; throws a message for a bad value. */
export function parseFetchLimits(v: Partial<Record<Exclude<keyof typeof fetchOptions, 'allow-address'>, string>> & { 'allow-address'?: string[] }): Partial<FetchLimits> {
  // flag, limit, scale to the limit's unit, whole number?, may be 0?
  const spec: Array<[Exclude<keyof typeof fetchOptions, 'allow-address'>, Exclude<keyof FetchLimits, 'allowAddresses'>, number, boolean, boolean]> = [
    ['max-mb', 'maxBytes', 1024 * 1024, false, false],
    ['connect-timeout', 'connectTimeoutMs', 1000, false, false],
    ['stall-timeout', 'stallTimeoutMs', 1000, false, false],
    ['timeout', 'totalTimeoutMs', 1000, false, false],
    ['retries', 'retries', 1, true, true],
    ['backoff', 'backoffMs', 1000, false, true],
  ];
  const out: Partial<FetchLimits> = {};
  for (const [flag, key, scale, integer, zero] of spec) {
    const s = v[flag];
    if (s === undefined) continue;
    out[key] = Math.round(numberOption(flag, s, { integer, exclusive: !zero }) * scale);
  }
  const allow = v['allow-address'];
  if (allow) {
    try {
      parseAllowList(allow);
    } catch (err) {
      throw new Error(`--allow-address: ${(err as Error).message}`);
    }
    out.allowAddresses = allow;
  }
  return out;
}

const usage = `Usage: sousei-kpi ingest [options]

Downloads, for every report in raw/sources.json that has a url, what is new or changed
(conditional requests with the stored ETag / Last-Modified). Only PDFs are accepted
(Content-Type application/pdf and the %PDF- signature); anything else is refused.
A changed file is kept as a new version beside the old one (raw/<name>.v2.pdf, …) and the
registry entry points at it, with the history in "versions". Links to PDFs on each
report's page_url that no report has as url are listed as discovered, not registered.
Does not process or publish: \`sousei-kpi run\` (or the schedule) does that.

Options:
  --raw DIR                 folder with sources.json and the PDFs (default: raw/)
  --out DIR                 publication folder; the run report goes to DIR/runs/ (default: output/)
  --add URL                 first register a new report from URL (a discovered link, say):
                            download, verify, save as raw/<id>.pdf, add it to sources.json
    --id ID                   its id (required with --add), e.g. kurume-h29
    --year YYYY               the fiscal year it reports on (required with --add), e.g. 2017
    --municipality-code CODE  default: the registry's only municipality
    --municipality-name NAME
    --title TEXT
    --file NAME.pdf           file name in raw/ (default <id>.pdf)
  --quiet                   no progress on stderr
  -h, --help                this help

${fetchOptionsHelp}

Writes DIR/runs/<timestamp>-<id>.jsonl (events) and .txt (summary, also printed).
Exit status: 0 everything fetched or nothing new, 1 something failed (a download failed or
was refused, a page could not be read, another run holds the lock, stopped), 2 usage error.`;

export const ingestCommand: Command = {
  usage,
  async run(argv) {
    let limits: Partial<FetchLimits> = {};
    const args = parseCommand('ingest', usage, {
      args: argv,
      options: {
        raw: { type: 'string' },
        out: { type: 'string' },
        add: { type: 'string' },
        id: { type: 'string' },
        year: { type: 'string' },
        'municipality-code': { type: 'string' },
        'municipality-name': { type: 'string' },
        title: { type: 'string' },
        file: { type: 'string' },
        quiet: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
        ...fetchOptions,
      },
    }, (a) => {
      limits = parseFetchLimits(a.values);
    });
    if (typeof args === 'number') return args;
    const v = args.values;
    const bad = (msg: string) => {
      process.stderr.write(`sousei-kpi ingest: ${msg}\n`);
      return 2;
    };
    if (!v.add && (v.id || v.year || v.title || v.file || v['municipality-code'] || v['municipality-name'])) return bad('--id, --year, --title, --file and --municipality-* go with --add URL');
    if (v.add) {
      try {
        if (!/^https?:$/.test(new URL(v.add).protocol)) return bad('--add needs an http(s) URL');
      } catch {
        return bad(`--add needs a URL, not "${v.add}"`);
      }
      if (!v.id || !/^[a-z0-9][a-z0-9-]*$/.test(v.id)) return bad('--add needs --id (lower-case letters, digits and -, e.g. kurume-h29)');
      const y = Number(v.year);
      if (!(Number.isInteger(y) && y >= 2014 && y <= 2100)) return bad(`--add needs --year, the Western fiscal year the report covers (e.g. 2017), not "${v.year ?? ''}"`);
      if (v['municipality-code'] !== undefined && !/^\d{6}$/.test(v['municipality-code'])) return bad('--municipality-code must be the 6-digit 全国地方公共団体コード');
      if (v.file !== undefined && !/^[^/\\]+\.pdf$/.test(v.file)) return bad('--file must be a file name ending in .pdf, without folders');
    }
    const controller = new AbortController();
    const onSignal = () => controller.abort();
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    try {
      const res = await runJob({
        rawDir: resolve(v.raw ?? DEFAULT_RAW_DIR),
        outDir: resolve(v.out ?? DEFAULT_OUT_DIR),
        kind: 'ingest',
        pipeline: false,
        limits,
        signal: controller.signal,
        ...(v.quiet ? {} : { echo: (line: string) => process.stderr.write(`${line}\n`) }),
        ...(v.add
          ? {
              add: {
                url: v.add,
                id: v.id!,
                report_fiscal_year: Number(v.year),
                ...(v['municipality-code'] ? { municipality_code: v['municipality-code'] } : {}),
                ...(v['municipality-name'] ? { municipality_name: v['municipality-name'] } : {}),
                ...(v.title ? { title: v.title } : {}),
                ...(v.file ? { file: v.file } : {}),
              },
            }
          : {}),
      });
      process.stdout.write(`${res.summary}\nReport: ${res.txt}\n`);
      return res.status === 'ok' ? 0 : 1;
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
  },
};
