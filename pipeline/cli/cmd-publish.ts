import { existsSync } from 'node:fs';
import { numberOption } from '../lib/options.js';
import { join, resolve } from 'node:path';
import { DEFAULT_OUT_DIR } from '../lib/paths.js';
import { CkanClient, CkanError, pushRelease } from '../publish/ckan-client.js';
import { parseCommand } from './args.js';
import type { Command } from './main.js';

const usage = `Usage: sousei-kpi publish --ckan URL [options]

Pushes a published release to a CKAN catalog: creates the dataset (package_create)
or updates it (package_patch), then uploads every data file of the release as a
resource (resource_create / resource_patch, matched by file name). The payload is
the release's ckan-package.json; every file is checked against manifest.json first.

Options:
  --ckan URL            site URL of the CKAN catalog (API under URL/api/3/action/)
  --release DIR|latest  release folder to push (default: latest under --out)
  --out DIR             publication folder holding latest (default: output/ of the project)
  --dataset NAME        package name in the catalog (default: the name in ckan-package.json)
  --owner-org ORG       organization that owns the package (needed to create it on most catalogs)
  --timeout SECONDS     time limit per request (default 60)
  --retries N           retries for network errors, timeouts and 5xx replies (default 3)
  --retry-delay SECONDS wait before the first retry, doubled for each further one (default 1)
  --quiet               no progress messages on stderr
  -h, --help            this help

Environment:
  CKAN_API_TOKEN        API token of a catalog user allowed to edit the dataset (required)

Exit 0 when the package and every resource were written, 1 with CKAN's error otherwise, 2 on usage errors.`;

function positiveNumber(raw: string | undefined, name: string, fallback: number, integer: boolean): number {
  return raw === undefined ? fallback : numberOption(name, raw, { integer });
}

export const publishCommand: Command = {
  usage,
  async run(argv) {
    const args = parseCommand('publish', usage, {
      args: argv,
      allowPositionals: false,
      options: {
        ckan: { type: 'string' },
        release: { type: 'string' },
        out: { type: 'string' },
        dataset: { type: 'string' },
        'owner-org': { type: 'string' },
        timeout: { type: 'string' },
        retries: { type: 'string' },
        'retry-delay': { type: 'string' },
        quiet: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
    if (typeof args === 'number') return args;
    const v = args.values;
    const fail = (msg: string, code: number) => {
      process.stderr.write(`sousei-kpi publish: ${msg}\n`);
      return code;
    };
    if (!v.ckan) return fail('--ckan URL is required (the CKAN site to push to)', 2);
    const token = process.env.CKAN_API_TOKEN?.trim();
    if (!token) return fail('CKAN_API_TOKEN is not set: create an API token in the catalog (user → API Tokens) and export it', 2);
    let timeout: number, retries: number, delay: number;
    try {
      timeout = positiveNumber(v.timeout, 'timeout', 60, false);
      retries = positiveNumber(v.retries, 'retries', 3, true);
      delay = positiveNumber(v['retry-delay'], 'retry-delay', 1, false);
    } catch (err) {
      return fail((err as Error).message, 2);
    }
    const out = resolve(v.out ?? DEFAULT_OUT_DIR);
    const release = !v.release || v.release === 'latest' ? join(out, 'latest') : resolve(v.release);
    if (!existsSync(release)) return fail(`no release at ${release} (run \`sousei-kpi run\` first, or give --release DIR)`, 1);
    const log = v.quiet ? () => {} : (m: string) => process.stderr.write(`[ckan] ${m}\n`);
    try {
      const client = new CkanClient({ url: v.ckan, token, timeoutMs: timeout * 1000, retries, backoffMs: delay * 1000, log });
      const report = await pushRelease(client, release, { ...(v.dataset ? { dataset: v.dataset } : {}), ...(v['owner-org'] ? { ownerOrg: v['owner-org'] } : {}) });
      log(`package ${report.package.name} ${report.package.action} (${report.package.id})`);
      for (const r of report.resources) log(`resource ${r.name} ${r.action} (${r.bytes} bytes)`);
      if (report.extraResources.length) log(`left alone, not in this release: ${report.extraResources.join(', ')}`);
      process.stdout.write(`${report.package.name} ${report.package.action}, ${report.resources.length} resources uploaded\n`);
      return 0;
    } catch (err) {
      if (err instanceof CkanError) return fail(err.message, 1);
      return fail((err as Error).message ?? String(err), 1);
    }
  },
};
