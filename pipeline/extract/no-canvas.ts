/**
 * pdf.js's display layer, when imported in Node, requires @napi-rs/canvas (an
 * optional dependency: a 32 MB Skia binary, about 50 MB resident once loaded)
 * only to set the DOMMatrix, ImageData and Path2D globals that rendering needs.
 * We never render, so while pdf.js is being imported that one require gets a
 * small stand-in: every process that reads PDFs starts faster and is about
 * 50 MB smaller. Anything that later asks for a real canvas (none of our code
 * paths does) gets the real package, because the stand-in is only in place
 * during the import.
 */
import Module from 'node:module';

type Load = (request: string, parent: unknown, isMain: boolean) => unknown;

class RenderingOnly {
  /** Constructible (pdf.js creates a DOMMatrix at import), but nothing is drawn with it. */
  constructor(..._args: unknown[]) {}
}

const STAND_IN = Object.freeze({
  DOMMatrix: RenderingOnly,
  ImageData: RenderingOnly,
  Path2D: RenderingOnly,
  createCanvas(): never {
    throw new Error('sousei-kpi reads PDFs without rendering them: no canvas');
  },
});

/** Run `load` (the import of pdf.js) with @napi-rs/canvas replaced by the stand-in. */
export async function withoutCanvas<T>(load: () => Promise<T>): Promise<T> {
  const mod = Module as unknown as { _load?: Load };
  const original = mod._load;
  if (typeof original !== 'function') return load(); // another Node: import as is
  mod._load = function (this: unknown, request: string, parent: unknown, isMain: boolean) {
    return request === '@napi-rs/canvas' ? STAND_IN : original.call(this, request, parent, isMain);
  };
  try {
    return await load();
  } finally {
    mod._load = original;
  }
}
