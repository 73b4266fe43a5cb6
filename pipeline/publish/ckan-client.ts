/**
 * Push a release to a CKAN catalog through the Action API (v3):
 *   package_show → package_create when absent, else package_patch (never
 *   package_update, which would drop fields and resources we do not send);
 *   then per file resource_create / resource_patch with a multipart upload,
 *   matched to the catalog's resources by name (= the file's path in the release).
 *
 * Every reply's `success` is checked. Network errors, timeouts, 429 and 5xx are
 * retried with exponential backoff; each retry first re-reads the package, so a
 * create whose reply was lost becomes a patch instead of a duplicate. Errors name
 * the action and CKAN's own message.
 */
import { sha256Hex } from '../lib/hash.js';
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { CkanPackage, CkanResource } from './ckan.js';

export class CkanError extends Error {
  constructor(
    readonly action: string,
    readonly detail: string,
    readonly retryable: boolean,
    readonly ckanType: string | null = null,
  ) {
    super(`CKAN ${action}: ${detail}`);
    this.name = 'CkanError';
  }
}

export interface CkanClientOptions {
  /** Site URL of the catalog, e.g. https://catalog.city.example.jp (the API lives under /api/3/action/). */
  url: string;
  /** API token (CKAN_API_TOKEN), sent as the Authorization header. */
  token: string | null;
  /** Per-request time limit in ms (default 60 000). */
  timeoutMs?: number;
  /** Retries after the first attempt for network errors, timeouts, 429 and 5xx (default 3). */
  retries?: number;
  /** First backoff in ms, doubled each retry (default 1000). */
  backoffMs?: number;
  log?: (message: string) => void;
}

interface CkanReply {
  success?: unknown;
  result?: unknown;
  error?: Record<string, unknown>;
}

/** CKAN's error object as one line: "Validation Error: name: That URL is already in use." */
function describeCkanError(err: Record<string, unknown> | undefined): { type: string | null; text: string } {
  if (!err) return { type: null, text: 'success is false and no error was given' };
  const type = typeof err.__type === 'string' ? err.__type : null;
  const parts = Object.entries(err)
    .filter(([k]) => k !== '__type')
    .map(([k, v]) => (k === 'message' ? String(v) : `${k}: ${Array.isArray(v) ? v.join(' ') : typeof v === 'string' ? v : JSON.stringify(v)}`));
  return { type, text: `${type ?? 'error'}${parts.length ? `: ${parts.join('; ')}` : ''}` };
}

function networkReason(err: unknown): string {
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e?.name === 'TimeoutError') return 'no reply within the time limit';
  const cause = e?.cause ? ` (${[e.cause.code, e.cause.message].filter(Boolean).join(' ')})` : '';
  return `network error: ${e?.message ?? String(err)}${cause}`;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class CkanClient {
  private readonly api: URL;
  private readonly timeoutMs: number;
  private readonly retries: number;
  private readonly backoffMs: number;
  private readonly log: (message: string) => void;

  constructor(private readonly opts: CkanClientOptions) {
    let site: URL;
    try {
      site = new URL(opts.url.endsWith('/') ? opts.url : `${opts.url}/`);
    } catch {
      throw new Error(`CKAN URL "${opts.url}" is not an absolute URL`);
    }
    if (site.protocol !== 'http:' && site.protocol !== 'https:') throw new Error(`CKAN URL "${opts.url}" must use http or https`);
    this.api = new URL('api/3/action/', site);
    this.timeoutMs = opts.timeoutMs ?? 60_000;
    this.retries = opts.retries ?? 3;
    this.backoffMs = opts.backoffMs ?? 1000;
    this.log = opts.log ?? (() => {});
  }

  /** One call of an action (no retry). JSON body, or FormData for uploads. Returns `result`. */
  async call<T>(action: string, body: Record<string, unknown> | FormData): Promise<T> {
    const headers: Record<string, string> = {};
    if (this.opts.token) headers.Authorization = this.opts.token;
    if (!(body instanceof FormData)) headers['Content-Type'] = 'application/json';
    let res: Response;
    let text: string;
    try {
      res = await fetch(new URL(action, this.api), {
        method: 'POST',
        headers,
        body: body instanceof FormData ? body : JSON.stringify(body),
        signal: AbortSignal.timeout(this.timeoutMs),
        redirect: 'manual',
      });
      text = await res.text();
    } catch (err) {
      throw new CkanError(action, networkReason(err), true);
    }
    if (res.status >= 300 && res.status < 400) {
      throw new CkanError(action, `HTTP ${res.status} redirect to ${res.headers.get('location') ?? '(no location)'}: give the catalog's final URL with --ckan`, false);
    }
    let reply: CkanReply | null = null;
    try {
      reply = JSON.parse(text) as CkanReply;
    } catch {
      /* handled below */
    }
    const retryable = res.status >= 500 || res.status === 429;
    if (!reply || typeof reply !== 'object') {
      throw new CkanError(action, `HTTP ${res.status}, reply is not CKAN JSON: ${text.slice(0, 200).replace(/\s+/gu, ' ')}`, retryable);
    }
    if (reply.success !== true) {
      const { type, text: msg } = describeCkanError(reply.error);
      throw new CkanError(action, `${msg} (HTTP ${res.status})`, retryable, type);
    }
    return reply.result as T;
  }

  /** Run `step` again after retryable failures, waiting backoffMs, 2×, 4× … between attempts. */
  async retry<T>(what: string, step: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await step();
      } catch (err) {
        if (!(err instanceof CkanError) || !err.retryable) throw err;
        if (attempt >= this.retries) {
          throw new CkanError(err.action, `${err.detail} — gave up after ${attempt + 1} attempt${attempt === 0 ? '' : 's'} (${what})`, false, err.ckanType);
        }
        const wait = this.backoffMs * 2 ** attempt;
        this.log(`${what}: ${err.message}; retrying in ${wait} ms`);
        await sleep(wait);
      }
    }
  }
}

interface CkanPackageResult {
  id: string;
  name: string;
  resources?: Array<{ id: string; name?: string }>;
}

export interface PushOptions {
  /** Package name in the catalog (default: the name in ckan-package.json). */
  dataset?: string;
  /** Organization that owns the package (needed by most catalogs to create one). */
  ownerOrg?: string;
}

export interface PushReport {
  package: { id: string; name: string; action: 'created' | 'patched' };
  resources: Array<{ name: string; action: 'created' | 'patched'; bytes: number }>;
  /** Resources in the catalog that this release does not have (left alone). */
  extraResources: string[];
}

/** ckan-package.json of a release, with every resource file checked against manifest.json. */
export function loadReleaseForCkan(releaseDir: string): { dir: string; pkg: CkanPackage; files: Map<string, Buffer> } {
  const dir = realpathSync(releaseDir);
  const pkgPath = join(dir, 'ckan-package.json');
  if (!existsSync(pkgPath)) throw new Error(`${dir} has no ckan-package.json (is it a release folder written by sousei-kpi run?)`);
  const pkg = JSON.parse(readFileSync(pkgPath, 'utf8')) as CkanPackage;
  const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as { files: Array<{ path: string; sha256: string }> };
  const expected = new Map(manifest.files.map((f) => [f.path, f.sha256]));
  const files = new Map<string, Buffer>();
  for (const r of pkg.resources) {
    const p = join(dir, r.name);
    if (!existsSync(p)) throw new Error(`${p} is listed in ckan-package.json but missing`);
    const data = readFileSync(p);
    const digest = sha256Hex(data);
    if (expected.get(r.name) !== digest || r.hash !== digest) throw new Error(`${p} does not match its sha256 in manifest.json / ckan-package.json: the release folder was changed after publishing`);
    files.set(r.name, data);
  }
  return { dir, pkg, files };
}

function resourceForm(r: CkanResource, data: Buffer, idField: ['package_id' | 'id', string]): FormData {
  const form = new FormData();
  form.append(idField[0], idField[1]);
  form.append('name', r.name);
  form.append('description', r.description);
  form.append('format', r.format);
  form.append('mimetype', r.mimetype);
  form.append('hash', r.hash);
  form.append('hash_algorithm', r.hash_algorithm);
  form.append('upload', new Blob([data], { type: r.mimetype }), basename(r.name));
  return form;
}

/** Create or patch the package and upload every resource file of the release. */
export async function pushRelease(client: CkanClient, releaseDir: string, opts: PushOptions = {}): Promise<PushReport> {
  const { pkg, files } = loadReleaseForCkan(releaseDir);
  const { resources, ...fields } = pkg;
  const name = opts.dataset ?? pkg.name;
  if (!/^[a-z0-9_-]{2,100}$/u.test(name)) throw new Error(`dataset name "${name}" is not a CKAN name (2–100 of a-z 0-9 - _)`);
  const payload: Record<string, unknown> = { ...fields, name, ...(opts.ownerOrg ? { owner_org: opts.ownerOrg } : {}) };

  const show = async (): Promise<CkanPackageResult | null> => {
    try {
      return await client.call<CkanPackageResult>('package_show', { id: name });
    } catch (err) {
      if (err instanceof CkanError && err.ckanType === 'Not Found Error') return null;
      throw err;
    }
  };

  let current!: CkanPackageResult;
  let pkgAction: 'created' | 'patched' = 'patched';
  await client.retry(`package ${name}`, async () => {
    const found = await show();
    if (found) {
      current = await client.call<CkanPackageResult>('package_patch', { ...payload, id: found.id });
    } else {
      current = await client.call<CkanPackageResult>('package_create', payload);
      pkgAction = 'created';
    }
  });

  const report: PushReport = { package: { id: current.id, name: current.name ?? name, action: pkgAction }, resources: [], extraResources: [] };
  let stale = false;
  for (const r of resources) {
    const data = files.get(r.name)!;
    await client.retry(`resource ${r.name}`, async () => {
      // After a failed attempt, re-read the package: the upload may have landed.
      if (stale) current = (await show()) ?? current;
      stale = true;
      const existing = (current.resources ?? []).find((x) => x.name === r.name);
      if (existing) {
        await client.call('resource_patch', resourceForm(r, data, ['id', existing.id]));
        report.resources.push({ name: r.name, action: 'patched', bytes: data.byteLength });
      } else {
        await client.call('resource_create', resourceForm(r, data, ['package_id', current.id]));
        report.resources.push({ name: r.name, action: 'created', bytes: data.byteLength });
      }
      stale = false;
    });
  }
  const names = new Set(resources.map((r) => r.name));
  report.extraResources = (current.resources ?? []).map((x) => x.name ?? x.id).filter((n) => !names.has(n));
  return report;
}
