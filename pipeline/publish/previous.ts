/**
 * The rows of the previous release, one municipality at a time, for the
 * changelog: a release's <dataset>.json files are read once to find where each
 * municipality's rows are (byte ranges), and a municipality's rows are parsed
 * only when its turn comes. Memory follows the largest municipality, not the
 * release.
 *
 * Every release is written by JsonArrayWriter (one element per "  {" … "  }"
 * block), which is what the scan relies on; a file in any other layout is
 * parsed whole, as before.
 */
import { closeSync, constants, fstatSync, openSync, readFileSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../lib/registry.js';
import type { DatasetName } from '../lib/records.gen.js';
import type { PublicationOptions } from './changelog.js';

type Row = Record<string, unknown>;
type Range = [start: number, end: number];
interface Element {
  range: Range;
  /** The element's municipality_code (from its own line), or "" when it has none. */
  code: string;
}

const CODE_LINE = /^ {4}"municipality_code": ("(?:[^"\\]|\\.)*")/u;

const CHUNK = 1 << 20;

/**
 * Open a file of the previous release for reading: a regular file, never through a
 * symbolic link (a link planted in a release folder could lead anywhere, /dev/zero
 * included). null when it does not exist.
 */
function openRegular(path: string): { fd: number; size: number } | null {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return null;
    if (code === 'ELOOP') throw new InputError(path, 'is a symbolic link in a release folder', 'publish writes no links there: restore the release, or point latest at an intact one');
    throw err;
  }
  const st = fstatSync(fd);
  if (!st.isFile()) {
    closeSync(fd);
    throw new InputError(path, 'is not a regular file, in a release folder', 'restore the release, or point latest at an intact one');
  }
  return { fd, size: st.size };
}

/** A JSON file of the previous release, or null when it does not exist. */
function readJsonFile<T>(path: string): T | null {
  const f = openRegular(path);
  if (!f) return null;
  try {
    return JSON.parse(readFileSync(f.fd, 'utf8')) as T;
  } finally {
    closeSync(f.fd);
  }
}

/** The elements (byte range, municipality) of a JSON array written by JsonArrayWriter, or null when the file has another layout. */
function scanElements(fd: number): { elements: Element[]; fd: number } | null {
  const buf = Buffer.allocUnsafe(CHUNK);
  const elements: Element[] = [];
  let code = '';
  let pos = 0;
  let carry = Buffer.alloc(0);
  let carryAt = 0;
  let lineNo = 0;
  let start = -1;
  let ok = true;
  const onLine = (line: Buffer, at: number) => {
    lineNo++;
    if (lineNo === 1) {
      const s = line.toString('utf8');
      if (s !== '[' && s !== '[]') ok = false;
      return;
    }
    if (line.length === 3 && line[0] === 0x20 && line[1] === 0x20 && line[2] === 0x7b) {
      start = at; // "  {"
      code = '';
    } else if (start >= 0 && line[4] === 0x22 && line[5] === 0x6d) {
      const m = CODE_LINE.exec(line.toString('utf8')); // '    "municipality_code": "…"'
      if (m) code = JSON.parse(m[1]!) as string;
    } else if (start >= 0 && line.length >= 3 && line[0] === 0x20 && line[1] === 0x20 && line[2] === 0x7d && (line.length === 3 || (line.length === 4 && line[3] === 0x2c))) {
      elements.push({ range: [start, at + 3], code }); // through "  }"
      start = -1;
    }
  };
  for (;;) {
    const n = readSync(fd, buf, 0, CHUNK, pos);
    if (n === 0) break;
    const data = carry.length ? Buffer.concat([carry, buf.subarray(0, n)]) : buf.subarray(0, n);
    const base = carry.length ? carryAt : pos;
    let from = 0;
    for (let i = data.indexOf(0x0a); i >= 0; i = data.indexOf(0x0a, from)) {
      onLine(data.subarray(from, i), base + from);
      from = i + 1;
      if (!ok) break;
    }
    if (!ok) break;
    carry = Buffer.from(data.subarray(from));
    carryAt = base + from;
    pos += n;
  }
  if (!ok || start >= 0) {
    closeSync(fd);
    return null;
  }
  return { elements, fd };
}

export class PreviousRelease {
  readonly contentHash: string | null;
  readonly publication: PublicationOptions | null;
  private readonly files = new Map<DatasetName, { fd: number; byCode: Map<string, Range[]>; count: number } | { rows: Row[]; count: number }>();
  private readonly codes = new Set<string>();

  constructor(
    readonly dir: string,
    readonly id: string,
    datasets: DatasetName[],
  ) {
    const readJson = (name: string) => readJsonFile<Record<string, unknown>>(join(dir, name));
    const manifest = readJson('manifest.json');
    const log = readJson('changelog.json');
    this.contentHash = typeof manifest?.content_hash === 'string' ? manifest.content_hash : null;
    this.publication = (log?.publication as PublicationOptions | undefined) ?? null;
    for (const ds of datasets) this.index(ds);
  }

  private index(ds: DatasetName): void {
    const p = join(this.dir, `${ds}.json`);
    const f = openRegular(p);
    if (!f || f.size === 0) {
      if (f) closeSync(f.fd);
      return void this.files.set(ds, { rows: [], count: 0 });
    }
    const scanned = scanElements(f.fd);
    if (!scanned) {
      const rows = readJsonFile<Row[]>(p) ?? [];
      for (const r of rows) this.codes.add(String(r.municipality_code ?? ''));
      return void this.files.set(ds, { rows, count: rows.length });
    }
    const byCode = new Map<string, Range[]>();
    for (const { range, code } of scanned.elements) {
      this.codes.add(code);
      const list = byCode.get(code);
      const last = list?.at(-1);
      // Consecutive rows of one municipality are one range.
      if (last && list) {
        if (range[0] - last[1] <= 3) last[1] = range[1];
        else list.push([...range]);
      } else byCode.set(code, [[...range]]);
    }
    this.files.set(ds, { fd: scanned.fd, byCode, count: scanned.elements.length });
  }

  private read(fd: number, ranges: Range[]): Row[] {
    const out: Row[] = [];
    for (const [a, b] of ranges) {
      const buf = Buffer.allocUnsafe(b - a);
      let off = 0;
      while (off < buf.byteLength) {
        const n = readSync(fd, buf, off, buf.byteLength - off, a + off);
        if (n === 0) break;
        off += n;
      }
      out.push(...(JSON.parse(`[${buf.subarray(0, off).toString('utf8')}]`) as Row[]));
    }
    return out;
  }

  /** Municipality codes that have rows in any dataset of the previous release. */
  municipalities(): string[] {
    return [...this.codes];
  }

  /** How many rows the dataset had. */
  count(ds: DatasetName): number {
    return this.files.get(ds)?.count ?? 0;
  }

  /** The dataset's rows of one municipality, in file order. */
  rows(ds: DatasetName, code: string): Row[] {
    const f = this.files.get(ds);
    if (!f) return [];
    if ('rows' in f) return f.rows.filter((r) => String(r.municipality_code ?? '') === code);
    const ranges = f.byCode.get(code);
    return ranges ? this.read(f.fd, ranges) : [];
  }

  close(): void {
    for (const f of this.files.values()) {
      if ('fd' in f) closeSync(f.fd);
    }
    this.files.clear();
  }
}
