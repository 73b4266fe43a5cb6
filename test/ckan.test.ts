/**
 * `sousei-kpi publish --ckan` against a small CKAN-compatible Action API server
 * written here (127.0.0.1): create then patch, multipart uploads checked against
 * manifest.json, the token, an error reply, dropped connections (retried; a lost
 * reply must not create a duplicate resource) and timeouts.
 */
import { execFileSync, spawn } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { appendFileSync, cpSync, readFileSync, realpathSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { basename, join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CLI, ROOT, tempDir } from './publish-fixture.js';

const TOKEN = 'test-token-3f9a';

interface Call {
  action: string;
  auth: string | undefined;
  json?: Record<string, unknown>;
  fields?: Record<string, string>;
  upload?: { filename: string; type: string; sha256: string; bytes: number };
}

type Failure = 'destroy' | 'destroy-after' | 'http-502' | 'hang' | { status: number; error: Record<string, unknown> };

interface Resource {
  id: string;
  name: string;
  [k: string]: unknown;
}

interface Pkg {
  id: string;
  name: string;
  resources: Resource[];
  [k: string]: unknown;
}

/** Just enough of CKAN's Action API for the push: packages and resources in memory, every call recorded. */
class FakeCkan {
  calls: Call[] = [];
  packages = new Map<string, Pkg>();
  private failures: Array<{ action: string; mode: Failure; times: number }> = [];
  private server!: Server;
  url = '';

  fail(action: string, mode: Failure, times = 1): void {
    this.failures.push({ action, mode, times });
  }

  async start(): Promise<void> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((r) => this.server.close(r));
  }

  private reply(res: ServerResponse, status: number, body: unknown): void {
    res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
  }

  private find(idOrName: unknown): Pkg | undefined {
    return [...this.packages.values()].find((p) => p.id === idOrName || p.name === idOrName);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    const m = /^\/api\/3\/action\/([a-z_]+)$/u.exec(req.url ?? '');
    if (req.method !== 'POST' || !m) return this.reply(res, 404, { success: false, error: { __type: 'Not Found Error', message: 'no such action' } });
    const action = m[1]!;
    const call: Call = { action, auth: req.headers.authorization };
    const type = req.headers['content-type'] ?? '';
    if (type.startsWith('multipart/form-data')) {
      const form = await new Request('http://x/', { method: 'POST', headers: { 'content-type': type }, body }).formData();
      call.fields = {};
      for (const [k, v] of form.entries()) {
        if (typeof v === 'string') call.fields[k] = v;
        else {
          const data = Buffer.from(await v.arrayBuffer());
          call.upload = { filename: v.name, type: v.type, sha256: createHash('sha256').update(data).digest('hex'), bytes: data.byteLength };
        }
      }
    } else call.json = JSON.parse(body.toString('utf8') || '{}') as Record<string, unknown>;
    this.calls.push(call);

    const f = this.failures.find((x) => x.action === action && x.times > 0);
    if (f) {
      f.times--;
      if (f.mode === 'destroy') return void req.socket.destroy();
      if (f.mode === 'hang') return;
      if (f.mode === 'http-502') return void res.writeHead(502, { 'Content-Type': 'text/html' }).end('<html>Bad Gateway</html>');
      if (typeof f.mode === 'object') return this.reply(res, f.mode.status, { success: false, error: f.mode.error });
    }
    if (call.auth !== TOKEN) return this.reply(res, 403, { success: false, error: { __type: 'Authorization Error', message: 'Access denied' } });
    const result = this.act(action, call);
    if (f?.mode === 'destroy-after') return void req.socket.destroy(); // the change is made, the reply is lost
    if ('error' in result) return this.reply(res, result.status, { success: false, error: result.error });
    this.reply(res, 200, { success: true, result: result.ok });
  }

  private act(action: string, call: Call): { ok: unknown } | { status: number; error: Record<string, unknown> } {
    const notFound = { status: 404, error: { __type: 'Not Found Error', message: 'Not found' } };
    const input = call.json ?? call.fields ?? {};
    switch (action) {
      case 'package_show': {
        const p = this.find(input.id);
        return p ? { ok: p } : notFound;
      }
      case 'package_create': {
        if (this.find(input.name)) return { status: 409, error: { __type: 'Validation Error', name: ['That URL is already in use.'] } };
        if (!input.owner_org) return { status: 409, error: { __type: 'Validation Error', owner_org: ['Missing value'] } };
        const p: Pkg = { ...input, id: randomUUID(), name: String(input.name), resources: [] };
        this.packages.set(p.id, p);
        return { ok: p };
      }
      case 'package_patch': {
        const p = this.find(input.id);
        if (!p) return notFound;
        Object.assign(p, input, { id: p.id, resources: p.resources });
        return { ok: p };
      }
      case 'resource_create': {
        const p = this.find(input.package_id);
        if (!p) return notFound;
        const { package_id: _pid, ...rest } = input;
        const r: Resource = { ...rest, id: randomUUID(), name: String(input.name), url: `${this.url}/dataset/${p.id}/download/${call.upload?.filename ?? ''}`, size: call.upload?.bytes ?? null };
        p.resources.push(r);
        return { ok: r };
      }
      case 'resource_patch': {
        const r = [...this.packages.values()].flatMap((p) => p.resources).find((x) => x.id === input.id);
        if (!r) return notFound;
        Object.assign(r, input, { size: call.upload?.bytes ?? r.size });
        return { ok: r };
      }
      default:
        return { status: 400, error: { __type: 'Validation Error', message: `${action} is not supported by this test server` } };
    }
  }
}

let out: string;
let release: string;
let manifest: Map<string, string>;
let resourceNames: string[];
let ckan: FakeCkan;

beforeAll(() => {
  out = tempDir('sousei-ckan-');
  release = realpathSync(execFileSync(process.execPath, [CLI, 'run', '--out', out, '--quiet'], { cwd: ROOT, encoding: 'utf8' }).trim());
  const m = JSON.parse(readFileSync(join(release, 'manifest.json'), 'utf8')) as { files: Array<{ path: string; sha256: string }> };
  manifest = new Map(m.files.map((f) => [f.path, f.sha256]));
  resourceNames = (JSON.parse(readFileSync(join(release, 'ckan-package.json'), 'utf8')) as { resources: Array<{ name: string }> }).resources.map((r) => r.name);
});

afterEach(async () => {
  await ckan?.stop();
});

async function startCkan(): Promise<FakeCkan> {
  ckan = new FakeCkan();
  await ckan.start();
  return ckan;
}

/** The real CLI in a child process (the fake server runs in this one, so it must not block). */
function push(args: string[], env: Record<string, string | undefined> = { CKAN_API_TOKEN: TOKEN }): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, 'publish', ...args], { cwd: ROOT, env: { ...process.env, CKAN_API_TOKEN: undefined, ...env } as NodeJS.ProcessEnv });
    let stdout = '', stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const actions = (c: FakeCkan) => c.calls.map((x) => x.action);

describe('publish --ckan', () => {
  it('creates the package and uploads every file, then patches package and resources on the second push', async () => {
    const c = await startCkan();
    const first = await push(['--ckan', c.url, '--out', out, '--owner-org', 'kurume-city']);
    expect(first.stderr).toContain('package sousei-kpi-402036 created');
    expect(first.code).toBe(0);
    expect(actions(c)).toEqual(['package_show', 'package_create', ...resourceNames.map(() => 'resource_create')]);
    expect(c.calls.every((x) => x.auth === TOKEN)).toBe(true);
    const create = c.calls[1]!.json!;
    expect(create).toMatchObject({ name: 'sousei-kpi-402036', owner_org: 'kurume-city', license_id: 'cc-by' });
    expect(create).not.toHaveProperty('resources');
    expect(String(create.notes)).toContain('kurume-sousei-h28-progress.pdf (SHA-256 4ab504eaacc91d16cd7ed245896860b6d385300c7f8f293da224d026614472b0)');
    const uploads = c.calls.filter((x) => x.action === 'resource_create');
    expect(uploads.map((u) => u.fields!.name)).toEqual(resourceNames);
    for (const u of uploads) {
      expect(u.upload!.filename).toBe(basename(u.fields!.name!));
      expect(u.upload!.sha256).toBe(manifest.get(u.fields!.name!));
      expect(u.fields!.hash).toBe(u.upload!.sha256);
      expect(u.fields!.hash_algorithm).toBe('sha256');
      expect(u.upload!.type).toBe(u.fields!.name!.endsWith('.csv') ? 'text/csv' : 'application/json');
    }
    const pkg = [...c.packages.values()][0]!;
    const ids = new Map(pkg.resources.map((r) => [r.name, r.id]));

    c.calls = [];
    const second = await push(['--ckan', c.url, '--out', out, '--release', 'latest']);
    expect(second.code).toBe(0);
    expect(second.stdout).toContain('sousei-kpi-402036 patched');
    expect(actions(c)).toEqual(['package_show', 'package_patch', ...resourceNames.map(() => 'resource_patch')]);
    expect(actions(c)).not.toContain('package_update');
    expect(c.calls[1]!.json).toMatchObject({ id: pkg.id, name: 'sousei-kpi-402036' });
    expect(c.calls[1]!.json).not.toHaveProperty('resources');
    for (const p of c.calls.filter((x) => x.action === 'resource_patch')) {
      expect(p.fields!.id).toBe(ids.get(p.fields!.name!));
      expect(p.upload!.sha256).toBe(manifest.get(p.fields!.name!));
    }
    expect(c.packages.size).toBe(1);
    expect(pkg.resources).toHaveLength(resourceNames.length);
  });

  it('stops with exit 1 and CKAN\'s message when a reply says success: false (no retry)', async () => {
    const c = await startCkan();
    c.fail('package_create', { status: 409, error: { __type: 'Validation Error', owner_org: ['Organization does not exist'] } });
    const r = await push(['--ckan', c.url, '--out', out, '--owner-org', 'nobody']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('CKAN package_create: Validation Error: owner_org: Organization does not exist (HTTP 409)');
    expect(actions(c)).toEqual(['package_show', 'package_create']);
  });

  it('refuses to run without CKAN_API_TOKEN, and reports a wrong token as CKAN\'s authorization error', async () => {
    const c = await startCkan();
    const none = await push(['--ckan', c.url, '--out', out], {});
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('CKAN_API_TOKEN is not set');
    expect(c.calls).toEqual([]);
    const wrong = await push(['--ckan', c.url, '--out', out], { CKAN_API_TOKEN: 'wrong' });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain('CKAN package_show: Authorization Error: Access denied (HTTP 403)');
  });

  it('retries a dropped connection and a 502; a create whose reply was lost becomes a patch, not a duplicate', async () => {
    const c = await startCkan();
    c.fail('package_show', 'http-502');
    c.fail('resource_create', 'destroy'); // first upload: connection dropped before CKAN did anything
    c.fail('resource_create', 'destroy-after'); // then: CKAN created it, the reply is lost
    const r = await push(['--ckan', c.url, '--out', out, '--owner-org', 'kurume-city', '--retry-delay', '0.2']);
    expect(r.stderr).toMatch(/package_show: HTTP 502, reply is not CKAN JSON.*retrying/u);
    expect(r.stderr).toMatch(/resource_create: network error.*retrying/u);
    expect(r.code).toBe(0);
    const pkg = [...c.packages.values()][0]!;
    expect(pkg.resources.map((x) => x.name).sort()).toEqual([...resourceNames].sort());
    const first = resourceNames[0]!;
    const forFirst = c.calls.filter((x) => x.fields?.name === first).map((x) => x.action);
    expect(forFirst).toEqual(['resource_create', 'resource_create', 'resource_patch']);
  });

  it('gives up with a clear message when the connection drops every time, and bounds each request by --timeout', async () => {
    const c = await startCkan();
    c.fail('package_show', 'destroy', 99);
    const r = await push(['--ckan', c.url, '--out', out, '--retries', '1', '--retry-delay', '0.2']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/sousei-kpi publish: CKAN package_show: network error: .* gave up after 2 attempts/u);
    expect(actions(c)).toEqual(['package_show', 'package_show']);

    const c2 = await startCkan();
    await c.stop();
    c2.fail('package_show', 'hang', 99);
    const t = await push(['--ckan', c2.url, '--out', out, '--retries', '0', '--timeout', '0.5']);
    expect(t.code).toBe(1);
    expect(t.stderr).toContain('CKAN package_show: no reply within the time limit — gave up after 1 attempt');
  });

  it('refuses a release folder whose files no longer match manifest.json, or that is not a release', async () => {
    const c = await startCkan();
    const copy = join(tempDir('sousei-ckan-tampered-'), 'rel');
    cpSync(release, copy, { recursive: true });
    appendFileSync(join(copy, 'numeric_targets.csv'), '402036,tampered\r\n');
    const r = await push(['--ckan', c.url, '--release', copy]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('numeric_targets.csv does not match its sha256 in manifest.json');
    const notRelease = await push(['--ckan', c.url, '--release', join(out, 'releases')]);
    expect(notRelease.code).toBe(1);
    expect(notRelease.stderr).toContain('has no ckan-package.json');
    expect(c.calls).toEqual([]);
  });
});
