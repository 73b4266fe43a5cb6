/**
 * The files a run reads from the raw folder besides the PDFs, named once: for the code
 * that reads each of them, and for the fingerprint of a run's input (cli/run-record.ts),
 * which hashes every file of RAW_INPUT_FILES — a file read by a run but missing from this
 * list would let a re-run miss a change of it.
 */

/** The report registry (lib/registry.ts): which PDFs a run processes, and their metadata. */
export const SOURCES_FILE = 'sources.json';
/** The indicator registry (lib/registry.ts); optional. */
export const INDICATORS_FILE = 'indicators.json';
/** Publisher, licence, themes, source URLs (publish/publication.ts); optional. */
export const PUBLICATION_FILE = 'publication.json';
/** The team's corrections (normalize/corrections.ts, read by cli/run.ts); optional. */
export const CORRECTIONS_FILE = 'corrections.csv';
/** The team's review decisions (review/decisions.ts); optional. */
export const DECISIONS_FILE = 'review-decisions.csv';

export const RAW_INPUT_FILES = [SOURCES_FILE, INDICATORS_FILE, PUBLICATION_FILE, CORRECTIONS_FILE, DECISIONS_FILE] as const;
