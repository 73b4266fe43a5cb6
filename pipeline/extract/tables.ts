/**
 * The table engine, stage by stage (each a module of its own):
 *  1. edges.ts    graphics → edges (rules, rectangle sides, the sides of cell fills and bands)
 *  2. words.ts    text → words (runs split at spaces, never merged across cells)
 *  3. header.ts   header bands and their cells (vocabulary.json says which words make a header)
 *     grid.ts     columns (edges, else the widest empty strip between header cells), the body's
 *                 extent, and its continuation over page and column breaks
 *  4. rows.ts     rows anchored on a key column (year label, row label, circled number)
 *     numeric.ts  数値目標: roles, orientation (years as rows or columns), indicator blocks
 *     kpi.ts      KPI summary: pairs or per-symbol columns, separate outlook tables
 *  5. hypotheses kept where the report confirms them (rows.ts fragments, kpi.ts sums)
 *  6. accounting: text no cell could take is reported; blocks that fail their checks are uncertain
 * Tolerances are in settings.ts.
 */
import { furnitureWords } from './furniture.js';
import { findHeaderBands, readingColumn, type PageInput } from './header.js';
import { refineColumns, traceTable, type Segment } from './grid.js';
import { readKpi, trimKpi } from './kpi.js';
import { readNumeric } from './numeric.js';
import type { ExtractedKpiTable, ExtractedNumericTable } from './table-types.js';
import { KPI, NUMERIC, roleOf } from './vocabulary.js';
import { toLines, type Word } from './words.js';

export type { ExtractedKpiTable, ExtractedNumericTable, HeaderColumn, KpiTableRow, NumericTableRow, Region } from './table-types.js';

export interface TablesResult {
  numeric: ExtractedNumericTable[];
  kpi: ExtractedKpiTable[];
}

/** Lines after a segment: the rest of its column, the next reading column, the next page's first column. */
function following(pages: PageInput[], seg: Segment): Array<{ page: number; lines: Word[][] }> {
  const p = pages.find((x) => x.page === seg.page)!;
  const bounds = [0, ...p.gutters, p.width];
  const [, right] = readingColumn(p.gutters, p.width, (seg.left + seg.right) / 2);
  const inCol = (x: PageInput, a: number, b: number, top: number) => toLines(x.words.filter((w) => (w.x0 + w.x1) / 2 >= a && (w.x0 + w.x1) / 2 < b && w.top > top));
  const out = [{ page: p.page, lines: inCol(p, seg.left, seg.right, seg.bottom) }];
  const nextBound = bounds.indexOf(right);
  if (nextBound >= 0 && nextBound + 1 < bounds.length) out.push({ page: p.page, lines: inCol(p, right, bounds[nextBound + 1]!, 0) });
  const np = pages.find((x) => x.page === p.page + 1);
  if (np) out.push({ page: np.page, lines: inCol(np, 0, [...np.gutters, np.width][0]!, 0) });
  return out;
}

export function readTables(input: PageInput[]): TablesResult {
  // Tables are read without page furniture (running headers, footers, page numbers).
  const furniture = furnitureWords(input);
  const pages = input.map((p) => ({ ...p, words: p.words.filter((w) => !furniture.has(w)) }));
  const numBands = findHeaderBands(pages, NUMERIC.headerKey, NUMERIC.headerAlso, (t) => roleOf(NUMERIC, t));
  const kpiBands = findHeaderBands(pages, KPI.headerKey, KPI.headerAlso, (t) => roleOf(KPI, t), false).filter((b) => !numBands.some((n) => n.page === b.page && n.words.some((w) => b.words.includes(w))));
  const all = [...numBands, ...kpiBands];
  const used = new Set<object>();
  const trace = (bands: typeof numBands, trim: (s: Segment[]) => Segment[] = (s) => s): Segment[][] => {
    const tables: Segment[][] = [];
    for (const band of bands) {
      if (used.has(band)) continue;
      const { segments, usedBands } = traceTable(band, pages, bands, all);
      for (const b of usedBands) used.add(b);
      if (segments.length) tables.push(trim(segments));
    }
    // Column boundaries rest on every table of the same template, then words are placed again.
    const refined = refineColumns(tables.flat());
    let k = 0;
    return tables.map((t) => t.map(() => refined[k++]!));
  };
  const numeric = trace(numBands).map((segments) => readNumeric(segments)).filter((t): t is ExtractedNumericTable => t !== null);
  const kpi = trace(kpiBands, trimKpi)
    .map((segments) => readKpi(segments, { following: () => following(pages, segments.at(-1)!) }))
    .filter((t): t is ExtractedKpiTable => t !== null);
  return { numeric, kpi };
}
