/**
 * The data dictionary: one row per column of every dataset, read from the same
 * JSON Schemas (via the Table Schemas) that type, validate and describe the
 * records, so it cannot drift from the data. Written as data-dictionary.csv and
 * shown on the dataset page.
 */
import { DATASET_SCHEMAS, type DatasetName } from '../lib/records.gen.js';
import { resolveProperty, schemaDoc } from '../lib/schemas.js';
import { toCsv } from './csv.js';
import { tableSchema } from './tableschema.js';

export interface DictionaryEntry {
  dataset: DatasetName;
  column: string;
  title_ja: string;
  title_en: string;
  type: string;
  /** Unit of the values: for measured values, a reference to the column that holds the row's unit. */
  unit: string;
  description: string;
  /** The code table that defines the column's symbols (codes.csv), or empty. */
  code_table: string;
}

export const DICTIONARY_COLUMNS = ['dataset', 'column', 'title_ja', 'title_en', 'type', 'unit', 'description', 'code_table'] as const;

/** How the dictionary names the unit of a measured column: the column that holds each row's unit. */
export const unitReference = (column: string) => `列 ${column} の単位 (unit given in column "${column}")`;

export function dictionaryEntries(datasets: DatasetName[]): DictionaryEntry[] {
  return datasets.flatMap((dataset) => {
    const props = schemaDoc(DATASET_SCHEMAS[dataset]).properties;
    return tableSchema(dataset).fields.map((f): DictionaryEntry => {
      const unitColumn = resolveProperty(props[f.name]!)['x-unit-column'] ?? props[f.name]!['x-unit-column'];
      return {
        dataset,
        column: f.name,
        title_ja: f['x-title-ja'] ?? '',
        title_en: f.title,
        type: f.type,
        unit: unitColumn ? unitReference(unitColumn) : '',
        description: f.description,
        code_table: f['x-code-table'] ?? '',
      };
    });
  });
}

export function dictionaryCsv(entries: DictionaryEntry[]): Buffer {
  return toCsv(
    DICTIONARY_COLUMNS.map((name) => ({ name, type: 'string' as const })),
    entries as unknown as Array<Record<string, unknown>>,
  );
}
