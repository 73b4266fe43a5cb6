/**
 * Pictures of PDF regions for the review page: pdf.js draws the page onto a
 * @napi-rs/canvas canvas (pdfjs-dist's optional dependency, loaded only here —
 * the extractor imports pdf.js with a stand-in for the canvas, see
 * extract/no-canvas.ts), and the table region, with a margin, is cut out as PNG.
 *
 * pdf.js is imported under its own module URL (a ?render query), so this module
 * instance loads the real canvas even in a process where the extractor's
 * canvas-less instance is already loaded.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Region } from './held.js';

const require = createRequire(import.meta.url);
const PDFJS_MAIN = require.resolve('pdfjs-dist/legacy/build/pdf.mjs');
const PDFJS_DIR = dirname(dirname(dirname(PDFJS_MAIN)));

export const RENDER_SETTINGS = {
  /** Pixels per PDF point (2 = 144 dpi: small print stays legible). */
  scale: 2,
  /** Margin around the table region, in points (so the reviewer sees the heading and the next line). */
  margin: 12,
} as const;

type PdfJs = typeof import('pdfjs-dist/legacy/build/pdf.mjs');
type Canvas = typeof import('@napi-rs/canvas');
let loaded: Promise<{ pdfjs: PdfJs; canvas: Canvas }> | null = null;

function load(): Promise<{ pdfjs: PdfJs; canvas: Canvas }> {
  loaded ??= (async () => {
    const canvas = (await import('@napi-rs/canvas')) as Canvas;
    const pdfjs = (await import(`${pathToFileURL(PDFJS_MAIN).href}?render`)) as PdfJs;
    pdfjs.GlobalWorkerOptions.workerSrc = pathToFileURL(join(dirname(PDFJS_MAIN), 'pdf.worker.mjs')).href;
    return { pdfjs, canvas };
  })();
  return loaded;
}

export interface RenderedRegion {
  png: Buffer;
  width: number;
  height: number;
  /** Share of pixels that are not white (a blank picture has 0). */
  inked: number;
}

/** The rotation the extractor reads the page in: the one that puts most text upright. */
async function uprightRotation(page: import('pdfjs-dist/types/src/display/api.js').PDFPageProxy): Promise<number> {
  const content = await page.getTextContent();
  let best = page.rotate;
  let bestScore = -1;
  for (const extra of [0, 90, 180, 270]) {
    const rotation = (page.rotate + extra) % 360;
    const t = page.getViewport({ scale: 1, rotation }).transform;
    let score = 0;
    for (const item of content.items) {
      if (!('str' in item) || item.str.trim() === '') continue;
      const [a, b] = item.transform as number[];
      const m0 = t[0]! * a! + t[2]! * b!;
      const m1 = t[1]! * a! + t[3]! * b!;
      if (m0 > 0 && Math.abs(m1) < Math.abs(m0) * 0.1) score += item.str.length;
    }
    if (score > bestScore) [best, bestScore] = [rotation, score];
  }
  return best;
}

/** Render the regions (all on pages of one PDF, given as its bytes) as PNG pictures. */
export async function renderRegions(data: Uint8Array, regions: Region[]): Promise<RenderedRegion[]> {
  const { pdfjs, canvas } = await load();
  const doc = await pdfjs.getDocument({
    data,
    isEvalSupported: false,
    verbosity: 0,
    cMapUrl: `${join(PDFJS_DIR, 'cmaps')}/`,
    cMapPacked: true,
    standardFontDataUrl: `${join(PDFJS_DIR, 'standard_fonts')}/`,
    wasmUrl: `${join(PDFJS_DIR, 'wasm')}/`,
  }).promise;
  try {
    const out: RenderedRegion[] = [];
    for (const r of regions) {
      const page = await doc.getPage(r.page);
      const s = RENDER_SETTINGS.scale;
      const viewport = page.getViewport({ scale: s, rotation: await uprightRotation(page) });
      const full = canvas.createCanvas(Math.ceil(viewport.width), Math.ceil(viewport.height));
      const ctx = full.getContext('2d');
      ctx.fillStyle = '#ffffff';
      ctx.fillRect(0, 0, full.width, full.height);
      await page.render({ canvas: full, canvasContext: ctx, viewport } as unknown as Parameters<typeof page.render>[0]).promise;
      const m = RENDER_SETTINGS.margin;
      const x = Math.max(0, Math.floor((r.x0 - m) * s));
      const y = Math.max(0, Math.floor((r.top - m) * s));
      const w = Math.min(full.width, Math.ceil((r.x1 + m) * s)) - x;
      const h = Math.min(full.height, Math.ceil((r.bottom + m) * s)) - y;
      const crop = canvas.createCanvas(Math.max(1, w), Math.max(1, h));
      const cctx = crop.getContext('2d');
      cctx.drawImage(full, x, y, w, h, 0, 0, w, h);
      const px = cctx.getImageData(0, 0, crop.width, crop.height).data;
      let inked = 0;
      for (let i = 0; i < px.length; i += 4) if (px[i]! < 200 || px[i + 1]! < 200 || px[i + 2]! < 200) inked++;
      out.push({ png: crop.toBuffer('image/png'), width: crop.width, height: crop.height, inked: inked / (px.length / 4) });
      page.cleanup();
    }
    return out;
  } finally {
    await doc.destroy();
  }
}
