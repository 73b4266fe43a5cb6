/**
 * Reads a PDF with pdf.js: for every page, the positioned text runs and the
 * ruling lines (thin filled rectangles and stroked axis-parallel segments from
 * the operator list). Coordinates are PDF points with the origin at the top-left
 * of the (rotated) page, y growing downwards.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { PDFDocumentProxy, PDFPageProxy } from 'pdfjs-dist/types/src/display/api.js';
import { withoutCanvas } from './no-canvas.js';
import { loadPdfjsScript, saveCodeCaches } from './pdfjs-script.js';
import { normalizeText } from './text.js';

export interface TextRun {
  text: string;
  x0: number;
  x1: number;
  top: number;
  bottom: number;
  /** Font size in points. */
  size: number;
  font: string;
}

export interface Rule {
  /** h: horizontal (y fixed), v: vertical (x fixed). */
  dir: 'h' | 'v';
  /** Fixed coordinate. */
  at: number;
  from: number;
  to: number;
}

/** A filled (non-white) rectangle thicker than a rule: a cell fill, a row band, a header fill. */
export interface Fill {
  x0: number;
  x1: number;
  top: number;
  bottom: number;
}

export interface RawPage {
  page: number;
  width: number;
  height: number;
  runs: TextRun[];
  rules: Rule[];
  fills: Fill[];
}

export interface RawDocument {
  pageCount: number;
  pages: RawPage[];
  info: { title: string | null; producer: string | null; creator: string | null };
}

/**
 * Where reading time goes, summed over the documents read since the last reset (ms):
 * pdf.js's text pass (getTextContent), its operator-list pass (getOperatorList), and the
 * whole of readDocument (opening, pages, metadata, and our conversion of text and rules).
 * The extraction worker resets it per document and reports it with the result.
 */
export interface ReadProfile {
  text: number;
  operators: number;
  read: number;
}
export const readProfile: ReadProfile = { text: 0, operators: 0, read: 0 };
export function resetReadProfile(): void {
  readProfile.text = readProfile.operators = readProfile.read = 0;
}

export class PdfInputError extends Error {
  constructor(
    message: string,
    readonly hint: string,
  ) {
    super(message);
    this.name = 'PdfInputError';
  }
}

/**
 * Messages of JavaScript's own errors (TypeError, RangeError…) that pdf.js passes on when
 * its parser meets input it does not expect — a stream compressed twice over, say — rather
 * than one of its exception types: not something a reader of our messages can act on.
 */
const ENGINE_ERROR = /^(Cannot (read|set) properties of|.+ is not (a function|iterable|an object|defined)|Invalid (array|typed array) length|Array buffer allocation failed|Maximum call stack size exceeded|Out of memory|.+ out of range)/iu;

/** What to say about a pdf.js failure: its own message when it is one of pdf.js's, a plain description otherwise. */
export function pdfFailure(what: string, err: unknown, fallbackHint: string): PdfInputError {
  const msg = (err as Error | null)?.message ?? String(err);
  if (ENGINE_ERROR.test(msg)) {
    return new PdfInputError(
      `${what}: its content could not be decoded (malformed or hostile structure, e.g. a stream compressed twice or more)`,
      `the file may be damaged or crafted (a decompression bomb); check it, or download it again; if a good copy fails too, report it with the file (pdf.js said: ${msg.slice(0, 120)})`,
    );
  }
  return new PdfInputError(`${what} (${msg})`, fallbackHint);
}

const require = createRequire(import.meta.url);
const PDFJS_DIR = dirname(require.resolve('pdfjs-dist/package.json'));

/**
 * A font face that is never drawn with: what pdf.js's FontLoader makes of each embedded
 * font when the document has the Font Loading API (below). It keeps nothing of the font.
 */
class UnrenderedFontFace {
  readonly loaded: Promise<UnrenderedFontFace> = Promise.resolve(this);
  constructor(readonly family: string) {}
  load(): Promise<UnrenderedFontFace> {
    return this.loaded;
  }
}

/**
 * The part of a DOM document pdf.js's FontLoader touches: the Font Loading API (a `fonts`
 * set taking FontFace objects). Without it pdf.js asks its worker for the "font fallback",
 * which compiles every glyph it meets into a path and posts each one over (12-25% of a CJK
 * report's time); with only a <style> sheet it base64-encodes each whole font file into an
 * @font-face rule (a tenth of a cold start, issue 15). Here the faces go nowhere: we never render.
 */
const FONT_SINK = {
  fonts: { add: () => undefined, delete: () => undefined },
  createElement: () => ({ sheet: { cssRules: { length: 0 }, insertRule: () => 0 }, remove: () => undefined }),
  documentElement: { getElementsByTagName: () => [{ append: () => undefined }] },
};

/**
 * Options for reading untrusted PDFs: bytes only, no eval, no XFA, local CMaps
 * and fonts, and no image decoding (maxImageSize 0: only text and ruling lines
 * are read, and image decoders are where decompression bombs and most decoder
 * bugs live).
 */
export function loadOptions(data: Uint8Array) {
  return {
    data,
    isEvalSupported: false,
    maxImageSize: 0,
    enableXfa: false,
    // false, with ownerDocument below: glyph outlines are not compiled into paths (we
    // never render). true compiles every glyph shown, about 2.5× the operator-list time.
    disableFontFace: false,
    // Where the display side loads fonts (FONT_SINK): nowhere.
    ownerDocument: FONT_SINK,
    useSystemFonts: false,
    stopAtErrors: false,
    verbosity: 0,
    cMapUrl: join(PDFJS_DIR, 'cmaps') + '/',
    cMapPacked: true,
    standardFontDataUrl: join(PDFJS_DIR, 'standard_fonts') + '/',
    wasmUrl: join(PDFJS_DIR, 'wasm') + '/',
  };
}

type PortListener = (event: { data: unknown }) => void;
type Transfer = NonNullable<Parameters<typeof structuredClone>[1]>['transfer'];
/** StreamKind.ENQUEUE in pdf.js's MessageHandler: a chunk of a streamed reply. */
const STREAM_ENQUEUE = 4;

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;

/**
 * The bulk chunks we read, copied shallowly: operator-list chunks (most of what crosses
 * per page) and text-content chunks. The worker reuses their containers as soon as it has
 * posted them (OperatorList.flush truncates fnArray/argsArray, getTextContent replaces
 * items), so the containers are copied. Their elements are not: each is made for its chunk
 * or is immutable once made (glyphs cached by the font, path buffers that pdf.js transfers
 * and so never touches again), and the display side only reads them. Anything else: null.
 */
function shallowChunkCopy(msg: unknown): unknown {
  if (!isRecord(msg) || msg.stream !== STREAM_ENQUEUE || !isRecord(msg.chunk)) return null;
  const c = msg.chunk;
  if (Array.isArray(c.fnArray) && Array.isArray(c.argsArray)) return { ...msg, chunk: { ...c, fnArray: c.fnArray.slice(), argsArray: c.argsArray.slice() } };
  if (Array.isArray(c.items) && isRecord(c.styles)) return { ...msg, chunk: { ...c, items: c.items.slice() } };
  return null;
}

/**
 * The channel between pdf.js's display side and its worker code, both in this thread.
 * Like pdf.js's own LoopbackPort it delivers each message on a microtask, structured-cloned;
 * unlike it, operator-list and text chunks are not deep-cloned (see shallowChunkCopy):
 * cloning them cost about a tenth of a report's time, most of it in the glyph objects
 * of text-drawing operators that we never look at.
 */
class InProcessPort {
  readonly #listeners = new Map<PortListener, (() => void) | null>();

  postMessage(msg: unknown, transfer?: Transfer | null): void {
    const data = shallowChunkCopy(msg) ?? structuredClone(msg, transfer ? { transfer } : undefined);
    void Promise.resolve().then(() => {
      for (const listener of this.#listeners.keys()) listener.call(this, { data });
    });
  }

  addEventListener(_type: 'message', listener: PortListener, options?: { signal?: AbortSignal } | null): void {
    const signal = options?.signal;
    if (signal?.aborted) return;
    let off: (() => void) | null = null;
    if (signal) {
      const onAbort = () => this.removeEventListener(_type, listener);
      signal.addEventListener('abort', onAbort);
      off = () => signal.removeEventListener('abort', onAbort);
    }
    this.#listeners.set(listener, off);
  }

  removeEventListener(_type: 'message', listener: PortListener): void {
    this.#listeners.get(listener)?.();
    this.#listeners.delete(listener);
  }

  terminate(): void {
    for (const off of this.#listeners.values()) off?.();
    this.#listeners.clear();
  }
}

/** pdf.js's worker entry point (the worker module has no types of its own). */
interface WorkerEntry {
  initializeFromPort(port: InProcessPort): void;
}
let workerEntry: WorkerEntry | null = null;

export interface OpenedPdf {
  doc: PDFDocumentProxy;
  /** Destroy the document and the worker side that served it. */
  close(): Promise<void>;
}

/** Open a PDF with its own in-process pdf.js worker side, on an InProcessPort. */
export async function openPdf(data: Uint8Array): Promise<OpenedPdf> {
  const { getDocument, PDFWorker } = await pdfjs();
  const port = new InProcessPort();
  workerEntry!.initializeFromPort(port);
  // verbosity here too: the worker side takes its log level from the PDFWorker, not getDocument.
  const worker = new PDFWorker({ port: port as unknown as NonNullable<ConstructorParameters<typeof PDFWorker>[0]>['port'], verbosity: 0 });
  const end = () => {
    worker.destroy();
    port.terminate();
  };
  const task = getDocument({ ...loadOptions(data), worker });
  try {
    const doc = await task.promise;
    return {
      doc,
      close: async () => {
        try {
          await doc.destroy();
        } finally {
          end();
          // pdf.js's code as compiled for this document, for the next process (after the reply is sent).
          setImmediate(saveCodeCaches);
        }
      },
    };
  } catch (err) {
    await task.destroy().catch(() => undefined);
    end();
    const name = (err as { name?: string }).name ?? '';
    const msg = (err as Error).message ?? String(err);
    if (name === 'PasswordException') throw new PdfInputError('the PDF is encrypted with a password', 'ask the publisher for an unprotected copy');
    if (name === 'InvalidPDFException') throw new PdfInputError(`not a valid PDF (${msg})`, 'check that the download is complete and really a PDF');
    throw pdfFailure('the PDF cannot be opened', err, 'the file may be truncated or damaged; download it again');
  }
}

type Matrix = [number, number, number, number, number, number];
const IDENTITY: Matrix = [1, 0, 0, 1, 0, 0];
/** Thicker than this (pt) a filled rectangle is a shaded area, not a line. */
const MAX_RULE_THICKNESS = 3;
/** Shorter than this (pt) a segment is a glyph part or a tick, not a table rule. */
const MIN_RULE_LENGTH = 4;

type PdfJs = typeof import('pdfjs-dist/legacy/build/pdf.mjs');
let loading: Promise<PdfJs> | null = null;
/**
 * pdf.js, loaded on first use: processes that only coordinate workers (the CLI's
 * parent process) never pay its start-up cost.
 */
export function pdfjs(): Promise<PdfJs> {
  loading ??= (async () => {
    const nativePush = Array.prototype.push;
    // pdf.js 5 inflates content, font and CMap streams through the web DecompressionStream
    // when there is one. In Node each such stream is a web-stream pipeline onto zlib in the
    // thread pool: per-stream overhead that costs more than the inflating itself on the many
    // small streams of a report (a quarter of the corpus time). Without it pdf.js uses its own
    // synchronous FlateStream, the same decoder it falls back to when zlib rejects a stream.
    // Nothing else in an extraction process uses it.
    delete (globalThis as { DecompressionStream?: unknown }).DecompressionStream;
    // pdf.js makes a FontFace for each font it loads into FONT_SINK; Node has no such class.
    (globalThis as { FontFace?: unknown }).FontFace ??= UnrenderedFontFace;
    // From the built scripts with V8's code cache when there are some (pdfjs-script.ts).
    const lib = await withoutCanvas(async () => (loadPdfjsScript('pdf') as PdfJs | null) ?? import('pdfjs-dist/legacy/build/pdf.mjs'));
    // Run pdf.js's worker code in this thread (the process is already a worker of the pool);
    // openPdf connects each document to it through an InProcessPort.
    const workerModule = (loadPdfjsScript('pdf.worker') as { WorkerMessageHandler?: unknown } | null) ?? (await import('pdfjs-dist/legacy/build/pdf.worker.mjs'));
    const entry = workerModule.WorkerMessageHandler as Partial<WorkerEntry> | null;
    if (typeof entry?.initializeFromPort !== 'function') throw new Error('pdf.js worker module without WorkerMessageHandler.initializeFromPort');
    workerEntry = entry as WorkerEntry;
    // The legacy build replaces Array.prototype.push with a core-js polyfill that only
    // differs for array-likes longer than 2^32 - 1; it is several times slower than
    // V8's and pdf.js pushes millions of times per document. Put the native one back.
    if (Array.prototype.push !== nativePush) Object.defineProperty(Array.prototype, 'push', { value: nativePush, writable: true, configurable: true, enumerable: false });
    return lib;
  })();
  return loading;
}

/** Product of two PDF matrices (m1 applied after m2), as pdf.js's Util.transform. */
function multiply(m1: Matrix, m2: Matrix): Matrix {
  return [
    m1[0] * m2[0] + m1[2] * m2[1],
    m1[1] * m2[0] + m1[3] * m2[1],
    m1[0] * m2[2] + m1[2] * m2[3],
    m1[1] * m2[2] + m1[3] * m2[3],
    m1[0] * m2[4] + m1[2] * m2[5] + m1[4],
    m1[1] * m2[4] + m1[3] * m2[5] + m1[5],
  ];
}

// pdf.js 5 path opcodes inside constructPath (DrawOPS).
const D_MOVE = 0, D_LINE = 1, D_CURVE = 2, D_QUAD = 3, D_CLOSE = 4;

function apply(m: Matrix, x: number, y: number): [number, number] {
  return [m[0] * x + m[2] * y + m[4], m[1] * x + m[3] * y + m[5]];
}

function isWhite(color: string | null): boolean {
  return color !== null && /^#?f[a-f0-9]f[a-f0-9]f[a-f0-9]$/i.test(color) && color.toLowerCase() >= '#f0f0f0';
}

/** Extract ruling lines from a page's operator list. */
async function readRules(page: PDFPageProxy, viewport: Matrix): Promise<{ rules: Rule[]; fills: Fill[] }> {
  const { OPS } = await pdfjs();
  const PAINT_STROKE = new Set<number>([OPS.stroke, OPS.closeStroke]);
  const PAINT_FILL = new Set<number>([OPS.fill, OPS.eoFill]);
  const PAINT_BOTH = new Set<number>([OPS.fillStroke, OPS.eoFillStroke, OPS.closeFillStroke, OPS.closeEOFillStroke]);
  const t = performance.now();
  const ops = await page.getOperatorList({ intent: 'display', annotationMode: 0 });
  readProfile.operators += performance.now() - t;
  const rules: Rule[] = [];
  const fills: Fill[] = [];
  let ctm: Matrix = IDENTITY;
  const stack: Matrix[] = [];
  let fill: string | null = null;
  let stroke: string | null = null;
  const colorStack: Array<[string | null, string | null]> = [];

  const addSegment = (ax: number, ay: number, bx: number, by: number) => {
    const [x1, y1] = apply(viewport, ...apply(ctm, ax, ay));
    const [x2, y2] = apply(viewport, ...apply(ctm, bx, by));
    if (Math.abs(y1 - y2) < 0.5 && Math.abs(x1 - x2) >= MIN_RULE_LENGTH) {
      rules.push({ dir: 'h', at: (y1 + y2) / 2, from: Math.min(x1, x2), to: Math.max(x1, x2) });
    } else if (Math.abs(x1 - x2) < 0.5 && Math.abs(y1 - y2) >= MIN_RULE_LENGTH) {
      rules.push({ dir: 'v', at: (x1 + x2) / 2, from: Math.min(y1, y2), to: Math.max(y1, y2) });
    }
  };
  const addFilledRect = (pts: Array<[number, number]>) => {
    const dev = pts.map(([x, y]) => apply(viewport, ...apply(ctm, x, y)));
    const xs = dev.map((p) => p[0]);
    const ys = dev.map((p) => p[1]);
    const x0 = Math.min(...xs), x1 = Math.max(...xs), y0 = Math.min(...ys), y1 = Math.max(...ys);
    const w = x1 - x0, h = y1 - y0;
    if (h <= MAX_RULE_THICKNESS && w >= MIN_RULE_LENGTH) rules.push({ dir: 'h', at: (y0 + y1) / 2, from: x0, to: x1 });
    else if (w <= MAX_RULE_THICKNESS && h >= MIN_RULE_LENGTH) rules.push({ dir: 'v', at: (x0 + x1) / 2, from: y0, to: y1 });
    else if (w > MAX_RULE_THICKNESS && h > MAX_RULE_THICKNESS) fills.push({ x0, x1, top: y0, bottom: y1 });
  };

  for (let i = 0; i < ops.fnArray.length; i++) {
    const fn = ops.fnArray[i];
    const args = ops.argsArray[i] as unknown[];
    switch (fn) {
      case OPS.save:
        stack.push(ctm);
        colorStack.push([fill, stroke]);
        break;
      case OPS.restore:
        ctm = stack.pop() ?? IDENTITY;
        [fill, stroke] = colorStack.pop() ?? [null, null];
        break;
      case OPS.transform:
        ctm = multiply(ctm, args as Matrix);
        break;
      case OPS.paintFormXObjectBegin:
        stack.push(ctm);
        // The form's /Matrix (pdf.js 5 passes a Float32Array, older versions an array).
        if (Array.isArray(args[0]) || ArrayBuffer.isView(args[0])) ctm = multiply(ctm, Array.from(args[0] as ArrayLike<number>) as Matrix);
        break;
      case OPS.paintFormXObjectEnd:
        ctm = stack.pop() ?? IDENTITY;
        break;
      case OPS.setFillRGBColor:
        fill = typeof args[0] === 'string' ? args[0] : null;
        break;
      case OPS.setStrokeRGBColor:
        stroke = typeof args[0] === 'string' ? args[0] : null;
        break;
      case OPS.constructPath: {
        const paint = args[0] as number;
        const doStroke = PAINT_STROKE.has(paint) || PAINT_BOTH.has(paint);
        const doFill = PAINT_FILL.has(paint) || PAINT_BOTH.has(paint);
        if (!doStroke && !doFill) break;
        if (doStroke && !doFill && isWhite(stroke)) break;
        if (doFill && !doStroke && isWhite(fill)) break;
        const data = (args[1] as ArrayLike<number>[] | null)?.[0];
        if (!data) break;
        // Split into sub-paths of points; curves make a sub-path non-rectilinear.
        let sub: Array<[number, number]> = [];
        let curved = false;
        const flush = () => {
          if (sub.length >= 2 && !curved) {
            const isRect =
              (sub.length === 4 || sub.length === 5) &&
              sub.every(([x, y], k) => {
                const [nx, ny] = sub[(k + 1) % sub.length]!;
                return Math.abs(x - nx) < 0.01 || Math.abs(y - ny) < 0.01;
              });
            if (doFill && isRect) addFilledRect(sub);
            else if (doStroke) for (let k = 1; k < sub.length; k++) addSegment(...sub[k - 1]!, ...sub[k]!);
            if (doStroke && isRect && sub.length === 4) addSegment(...sub[3]!, ...sub[0]!);
          }
          sub = [];
          curved = false;
        };
        let k = 0;
        while (k < data.length) {
          const op = data[k++];
          if (op === D_MOVE) {
            flush();
            sub.push([data[k]!, data[k + 1]!]);
            k += 2;
          } else if (op === D_LINE) {
            sub.push([data[k]!, data[k + 1]!]);
            k += 2;
          } else if (op === D_CURVE) {
            curved = true;
            k += 6;
          } else if (op === D_QUAD) {
            curved = true;
            k += 4;
          } else if (op === D_CLOSE) {
            if (sub.length > 0 && doStroke && !doFill) {
              const first = sub[0]!;
              const last = sub[sub.length - 1]!;
              if (first[0] !== last[0] || first[1] !== last[1]) sub.push(first);
            }
          } else break;
        }
        flush();
        break;
      }
      default:
        break;
    }
  }
  return { rules, fills };
}

/** Read one page: text runs (normalised) and ruling lines. */
export async function readPage(doc: PDFDocumentProxy, pageNo: number, withRules = true): Promise<RawPage> {
  const page = await doc.getPage(pageNo);
  const t = performance.now();
  const content = await page.getTextContent({ includeMarkedContent: false, disableNormalization: true });
  readProfile.text += performance.now() - t;
  // Read the page the way its text runs: the rotation (page /Rotate plus 0, 90, 180
  // or 270°) under which most text is horizontal, left to right. A page turned
  // sideways (a landscape table on a portrait page) reads like any other.
  let vp = page.getViewport({ scale: 1 });
  let best = -1;
  for (const extra of [0, 90, 180, 270]) {
    const cand = page.getViewport({ scale: 1, rotation: (page.rotate + extra) % 360 });
    let upright = 0;
    for (const item of content.items) {
      if (!('str' in item) || item.str.trim().length === 0) continue;
      const m = multiply(cand.transform as Matrix, item.transform as Matrix);
      if (m[0] > 0 && Math.abs(m[1]) < Math.abs(m[0]) * 0.1) upright += item.str.length;
    }
    if (upright > best) [best, vp] = [upright, cand];
  }
  const vt = vp.transform as Matrix;
  const runs: TextRun[] = [];
  for (const item of content.items) {
    if (!('str' in item) || item.str.length === 0) continue;
    // U+0336 (combining long stroke) drawn alone is a dash ("—" for a missing value); after
    // other text in the same item it is an overlay whose position pdf.js has merged away.
    const text = normalizeText(item.str.replace(/(?<=[^\s\u0336])\u0336+/gu, ''));
    if (text.trim().length === 0) continue;
    const m = multiply(vt, item.transform as Matrix);
    const size = Math.hypot(m[2], m[3]) || Math.hypot(m[0], m[1]);
    if (!(size > 0.5) || !Number.isFinite(m[4]) || !Number.isFinite(m[5])) continue;
    // Horizontal text only: vertical writing is not used in these tables.
    const scaleX = Math.hypot(item.transform[0] as number, item.transform[1] as number) || size;
    const width = item.width > 0 ? item.width * (size / scaleX) : size * text.length * 0.5;
    const baseline = m[5];
    runs.push({
      text,
      x0: m[4],
      x1: m[4] + Math.max(width, size * 0.3),
      top: baseline - size * 0.88,
      bottom: baseline + size * 0.12,
      size,
      font: item.fontName,
    });
  }
  const { rules, fills } = withRules ? await readRules(page, vt) : { rules: [], fills: [] };
  const result: RawPage = { page: pageNo, width: vp.width, height: vp.height, runs, rules, fills };
  page.cleanup();
  return result;
}

/** Exception types in which pdf.js reports a document it cannot parse (errors of its worker side arrive wrapped in these). */
const PDFJS_ERRORS = new Set(['UnknownErrorException', 'InvalidPDFException', 'FormatError', 'ResponseException', 'PasswordException', 'AbortException']);

/** The error for a document with more pages than the limit (also used when a cached extraction is checked again). */
export function tooManyPages(count: number, maxPages: number): PdfInputError {
  return new PdfInputError(`the PDF has ${count} pages, more than the limit of ${maxPages}`, 'a progress report has a few dozen pages; check the file, or raise the limit with --max-pages');
}

export async function readDocument(data: Uint8Array, opts: { maxPages?: number } = {}): Promise<RawDocument> {
  const started = performance.now();
  const { doc, close } = await openPdf(data);
  try {
    const meta = await doc.getMetadata().catch(() => null);
    const infoRec = (meta?.info ?? {}) as Record<string, unknown>;
    const str = (v: unknown) => (typeof v === 'string' && v.length > 0 ? v : null);
    const count = doc.numPages;
    if (opts.maxPages !== undefined && count > opts.maxPages) {
      throw tooManyPages(count, opts.maxPages);
    }
    const pages: RawPage[] = [];
    for (let p = 1; p <= count; p++) {
      try {
        pages.push(await readPage(doc, p));
      } catch (err) {
        // pdf.js reports damaged content as one of its exception types; anything else is our own bug.
        if (!PDFJS_ERRORS.has((err as Error | null)?.name ?? '')) throw err;
        throw pdfFailure(`page ${p} of the PDF cannot be read`, err, 'the file is damaged; download it again, and report it with the file if a fresh copy fails too');
      }
    }
    return { pageCount: count, pages, info: { title: str(infoRec.Title), producer: str(infoRec.Producer), creator: str(infoRec.Creator) } };
  } finally {
    await close();
    readProfile.read += performance.now() - started;
  }
}
