/**
 * Files of a release written as they are built: bytes go to disk in 64 KiB
 * blocks while their size and sha256 are counted, so a release of any size is
 * written without holding a whole file in memory.
 */
import { createHash, type Hash } from 'node:crypto';
import { closeSync, fsyncSync, openSync, writeSync } from 'node:fs';
import { csvStringify } from '../lib/lazy.js';
import { cellValue, type CsvColumn } from './csv.js';
import { toCp932 } from './sjis.js';

export interface WrittenFile {
  bytes: number;
  sha256: string;
}

const BLOCK = 64 * 1024;

/** A small JSON file of the release: two-space indented, with a final line break. */
export const jsonBytes = (v: unknown): Buffer => Buffer.from(`${JSON.stringify(v, null, 2)}\n`, 'utf8');

/** A new file (it must not exist), written through a buffer; `close` flushes it to disk and returns its size and hash. */
export class HashedFile {
  private readonly fd: number;
  private readonly hash: Hash = createHash('sha256');
  private readonly buf = Buffer.allocUnsafe(BLOCK);
  private used = 0;
  private bytes = 0;
  private result: WrittenFile | null = null;

  constructor(
    readonly path: string,
    private readonly onClose?: (w: WrittenFile) => void,
  ) {
    this.fd = openSync(path, 'wx', 0o644);
  }

  write(data: string | Buffer): void {
    const b = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    this.hash.update(b);
    this.bytes += b.byteLength;
    if (this.used + b.byteLength > BLOCK) this.flush();
    if (b.byteLength >= BLOCK) this.writeAll(b);
    else {
      b.copy(this.buf, this.used);
      this.used += b.byteLength;
    }
  }

  private writeAll(b: Buffer): void {
    let off = 0;
    while (off < b.byteLength) off += writeSync(this.fd, b, off);
  }

  private flush(): void {
    if (this.used > 0) this.writeAll(this.buf.subarray(0, this.used));
    this.used = 0;
  }

  close(): WrittenFile {
    if (this.result) return this.result;
    try {
      this.flush();
      fsyncSync(this.fd);
    } finally {
      closeSync(this.fd);
    }
    this.result = { bytes: this.bytes, sha256: this.hash.digest('hex') };
    this.onClose?.(this.result);
    return this.result;
  }

  /** Close without caring about the content (the release is being abandoned). */
  abandon(): void {
    if (this.result) return;
    try {
      closeSync(this.fd);
    } catch {
      /* already closed */
    }
    this.result = { bytes: 0, sha256: '' };
  }
}

/**
 * A JSON array written one element at a time, byte for byte what
 * `JSON.stringify(rows, null, 2) + "\n"` gives for the whole array (JSON strings
 * never hold a raw line break, so indenting every line of an element is exact).
 */
export class JsonArrayWriter {
  private count = 0;
  constructor(private readonly file: HashedFile) {}

  add(row: unknown): void {
    const text = JSON.stringify(row, null, 2).replace(/\n/gu, '\n  ');
    this.file.write(`${this.count++ === 0 ? '[\n  ' : ',\n  '}${text}`);
  }

  end(): void {
    this.file.write(this.count === 0 ? '[]\n' : '\n]\n');
  }
}

const CSV_OPTIONS = { record_delimiter: '\r\n', quoted_match: /^\s|\s$/u } as const;

/** CSV text of rows (no header): one value per cell, as toCsv writes them. */
export function csvRows(columns: CsvColumn[], rows: Array<Record<string, unknown>>): string {
  if (rows.length === 0) return '';
  return csvStringify().stringify(
    rows.map((r) => columns.map((c) => cellValue(r[c.name], c.type))),
    { header: false, ...CSV_OPTIONS },
  );
}

/**
 * A dataset's CSV file (UTF-8 with BOM, as toCsv writes it) and, optionally, its
 * Shift_JIS copy (no BOM), written rows at a time. CP932 has no shift state, so
 * encoding piece by piece gives the bytes of encoding the whole file.
 */
export class CsvWriter {
  constructor(
    private readonly columns: CsvColumn[],
    private readonly utf8: HashedFile,
    private readonly sjis: HashedFile | null,
  ) {
    const header = csvStringify().stringify([], { header: true, columns: columns.map((c) => c.name), ...CSV_OPTIONS });
    utf8.write(Buffer.from([0xef, 0xbb, 0xbf]));
    this.text(header);
  }

  private text(s: string): void {
    if (s.length === 0) return;
    this.utf8.write(s);
    this.sjis?.write(toCp932(s));
  }

  add(rows: Array<Record<string, unknown>>): void {
    this.text(csvRows(this.columns, rows));
  }
}
