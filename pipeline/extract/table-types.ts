/** What the table engine hands to normalize: plain data, structured-clone safe. */

export interface Region {
  page: number;
  x0: number;
  x1: number;
  top: number;
  bottom: number;
}

export interface HeaderColumn {
  role: string;
  text: string;
  x0: number;
  x1: number;
}

export interface NumericTableRow {
  page: number;
  /** Index of the indicator block within the table (0-based). */
  block: number;
  year: string;
  name: string;
  baseline: string;
  target: string;
  actual: string;
  progress: string;
  grade: string;
  /** Pages the spanning cells (name, baseline, grade) were read from. */
  blockPages: number[];
  /** Structural problems of this row's indicator block (the row is then uncertain). */
  problems: string[];
}

export interface ExtractedNumericTable {
  /** Page of the header row. */
  page: number;
  pages: number[];
  method: 'ruled' | 'aligned';
  /** years-as-rows (one row per fiscal year) or years-as-columns (one column per fiscal year). */
  orientation: 'years-as-rows' | 'years-as-columns';
  header: HeaderColumn[];
  rows: NumericTableRow[];
  /** Structural problems noticed while reading the table; those starting "note: " are informational. */
  issues: string[];
  /** Page areas the table covers (header included). */
  regions: Region[];
}

export interface KpiTableRow {
  page: number;
  label: string;
  policyDirectionNo: number;
  kpiCount: string;
  progressPairs: Array<[string, number]>;
  outlookPairs: Array<[string, number]>;
  /** Problems of this row (it is then uncertain). */
  notes: string[];
}

export interface ExtractedKpiTable {
  page: number;
  pages: number[];
  method: 'ruled' | 'aligned';
  header: string;
  /** Fiscal year label of the progress column header, e.g. H28. */
  progressYearLabel: string | null;
  rows: KpiTableRow[];
  issues: string[];
  regions: Region[];
}
