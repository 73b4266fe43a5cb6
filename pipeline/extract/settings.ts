/**
 * Every tolerance of the table engine, in one place. Lengths are in PDF points
 * unless they say "em" (multiples of the font size of the text concerned).
 * Changing a value here changes extraction results: the extraction cache key
 * includes the compiled extract stage, so cached results are rebuilt.
 */
export const TABLE_SETTINGS = {
  // ---- stage 1: graphics → edges ----
  /** Edges whose fixed coordinate differs by less than this are one edge (the two sides of a thin white gap between fills). */
  edgeSnap: 3,
  /** Collinear edge pieces closer than this along their length join into one edge (Word draws each cell side apart). */
  edgeJoin: 2.5,
  /** A fill covering more than this share of the page is a page background, not a table cell. */
  maxFillPageShare: 0.5,
  /** A vertical edge is a column boundary of a table segment when it covers at least this share of the segment's body height. */
  colEdgeCover: 0.55,

  // ---- page furniture ----
  /** Running headers and footers are looked for within this share of the page height from the top and bottom edges. */
  furnitureMargin: 0.1,
  /** A line recurring (digits aside) at the same height on this share of the pages, and on `furnitureMinPages` at least, is furniture. */
  furnitureShare: 0.4,
  furnitureMinPages: 3,

  // ---- stage 2: text → lines, cells ----
  /** Words whose vertical centres differ by less than this (em) are on one visual line. */
  lineTolerance: 0.45,
  /** …or when a word's height overlaps the line's by at least this share (of the smaller height). */
  lineOverlap: 0.7,
  /** Two lines of one column are one cell paragraph when the gap between them is below this (em) and no edge separates them. */
  paragraphGap: 0.6,
  /** A line of at most this many characters without a digit (上, 以上, (集計中)) can be the wrapped tail of the value above it. */
  maxFragmentChars: 5,
  /** Prose is told by text running across column boundaries: runs closer than this (em) count as one piece of text. */
  proseJoinEm: 0.3,
  /** A word that sticks out of its column by more than this share of its width, on both sides, straddles columns. */
  straddleShare: 0.3,

  /** A header cell's line is never wider than this (em); wider text is prose. */
  headerMaxWordEm: 24,
  /** Header words of different text runs closer than this (em) on one line are one header phrase (unless a vertical edge parts them). */
  phraseGap: 0.6,

  /** Fiscal years a progress report's tables can hold; a label outside them (H3 from a wrapped "H31") is no year. */
  firstPlanYear: 2000,
  lastPlanYear: 2060,

  // ---- stage 3: table extent ----
  /** Header lines further apart than this (em) are not one header band. */
  headerLineGap: 1.6,
  /** A header band takes at most this many lines above and below its key line. */
  headerMaxLines: 6,
  /** …below the key line, where a tall header row's sub-headers (○ △ × - under 進捗度) sit, up to this (em). */
  headerGapBelow: 3,
  /** A vertical gap between table lines larger than this many times the typical row pitch ends the table. */
  maxRowGapPitches: 3.5,
  /** …but never ends it below this gap (em). */
  minEndGap: 6,
  /** On a continuation page, rows must start within this share of the page height from the top. */
  continuationTopShare: 0.45,

  // ---- stage 5: hypotheses ----
  /** A column-to-header match farther than this (em) from every header cell is reported as unassigned text. */
  unassignedDistance: 4,
} as const;

export type TableSettings = typeof TABLE_SETTINGS;
