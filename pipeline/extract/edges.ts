/**
 * Stage 1 — graphics → edges. Everything drawn that can bound a cell becomes an
 * axis-parallel edge: stroked rules, thin filled rectangles (rules drawn as
 * fills), and the four sides of filled rectangles (cell fills, banded rows,
 * header fills). Edges closer than `edgeSnap` across their length are one
 * edge (the two sides of the white gap between two filled cells), and
 * collinear pieces closer than `edgeJoin` join up.
 */
import type { Fill, Rule } from './pdf.js';
import { TABLE_SETTINGS } from './settings.js';

export interface Edge {
  dir: 'h' | 'v';
  /** Fixed coordinate (y for h, x for v). */
  at: number;
  from: number;
  to: number;
}

/** The sides of the fills that can be cell boundaries (page-sized backgrounds excluded). */
export function fillEdges(fills: Fill[], pageWidth: number, pageHeight: number): Edge[] {
  const out: Edge[] = [];
  const pageArea = pageWidth * pageHeight;
  for (const f of fills) {
    if ((f.x1 - f.x0) * (f.bottom - f.top) > pageArea * TABLE_SETTINGS.maxFillPageShare) continue;
    out.push({ dir: 'h', at: f.top, from: f.x0, to: f.x1 }, { dir: 'h', at: f.bottom, from: f.x0, to: f.x1 });
    out.push({ dir: 'v', at: f.x0, from: f.top, to: f.bottom }, { dir: 'v', at: f.x1, from: f.top, to: f.bottom });
  }
  return out;
}

/**
 * Snap edges of one direction that lie within `snap` of each other, then join
 * collinear pieces closer than `join` (defaults: the table engine's settings).
 */
export function mergeEdges(edges: Edge[], snap: number = TABLE_SETTINGS.edgeSnap, join: number = TABLE_SETTINGS.edgeJoin): Edge[] {
  const out: Edge[] = [];
  for (const dir of ['h', 'v'] as const) {
    const sorted = edges.filter((e) => e.dir === dir).sort((a, b) => a.at - b.at);
    const groups: Edge[][] = [];
    for (const e of sorted) {
      const g = groups.at(-1);
      if (g && e.at - g.at(-1)!.at <= snap) g.push(e);
      else groups.push([e]);
    }
    for (const g of groups) {
      const at = g.reduce((s, e) => s + e.at, 0) / g.length;
      const spans = g.map((e) => [e.from, e.to] as [number, number]).sort((a, b) => a[0] - b[0]);
      let cur = spans[0]!;
      for (const s of spans.slice(1)) {
        if (s[0] <= cur[1] + join) cur = [cur[0], Math.max(cur[1], s[1])];
        else {
          out.push({ dir, at, from: cur[0], to: cur[1] });
          cur = s;
        }
      }
      out.push({ dir, at, from: cur[0], to: cur[1] });
    }
  }
  return out;
}

/** All cell-boundary edges of a page. */
export function pageEdges(rules: Rule[], fills: Fill[], width: number, height: number): Edge[] {
  return mergeEdges([...rules, ...fillEdges(fills, width, height)]);
}

/** Vertical edges within [x0, x1] that cover at least `share` of [top, bottom]. */
export function columnEdgesIn(edges: Edge[], x0: number, x1: number, top: number, bottom: number, share: number): number[] {
  const h = Math.max(bottom - top, 1);
  return edges
    .filter((e) => e.dir === 'v' && e.at > x0 && e.at < x1 && Math.min(e.to, bottom) - Math.max(e.from, top) >= h * share)
    .map((e) => e.at)
    .sort((a, b) => a - b);
}

/** Horizontal edges strictly between y = a and y = b that cross the x range [x0, x1]. */
export function rowEdgesBetween(edges: Edge[], a: number, b: number, x0: number, x1: number): number[] {
  const mid = (x0 + x1) / 2;
  return edges
    .filter((e) => e.dir === 'h' && e.at > a && e.at < b && e.from <= Math.max(x0 + 1, mid) && e.to >= Math.min(x1 - 1, mid))
    .map((e) => e.at)
    .sort((p, q) => p - q);
}
