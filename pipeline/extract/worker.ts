/**
 * A worker process of the extraction pool (pool.ts): loads pdf.js once, then
 * extracts one document per request message, for as many requests as it is sent.
 * Runs as a child process (child_process.fork with advanced serialization), so
 * whatever a hostile PDF does to it — hang, exhaust memory, crash — ends here.
 */
import { extractReport, PdfInputError, type ExtractedReport } from './index.js';
import { pdfjs, readProfile, resetReadProfile } from './pdf.js';

export interface WorkerRequest {
  id: number;
  file: string;
  data: Uint8Array;
  maxPages: number;
  maxBytes: number;
}

/**
 * Where one document's time went in the worker (ms): pdf.js's text pass, its operator-list
 * pass, the rest of reading the PDF (opening, pages, our conversion of text and ruling
 * lines), and our analysis of the pages (layout, tables, sections).
 */
export interface ExtractProfile {
  total: number;
  text: number;
  operators: number;
  otherRead: number;
  analysis: number;
}

export type WorkerReply =
  | { ready: true }
  | { id: number; ok: true; report: ExtractedReport; profile: ExtractProfile }
  | { id: number; ok: false; error: { name: string; message: string; hint: string | null } };

function reply(msg: WorkerReply): void {
  // The parent may be gone (killed); then there is nobody to answer.
  if (process.connected) process.send?.(msg);
}

process.on('message', (msg: WorkerRequest) => {
  resetReadProfile();
  const started = performance.now();
  extractReport(msg.data, msg.file, { maxPages: msg.maxPages, maxBytes: msg.maxBytes }).then(
    (report) => {
      const total = performance.now() - started;
      const { text, operators, read } = readProfile;
      reply({ id: msg.id, ok: true, report, profile: { total, text, operators, otherRead: read - text - operators, analysis: total - read } });
    },
    (err: unknown) => {
      const e = err instanceof Error ? err : new Error(String(err));
      reply({ id: msg.id, ok: false, error: { name: e.name, message: e.message, hint: err instanceof PdfInputError ? err.hint : null } });
    },
  );
});

// pdf.js can leave a promise of an earlier, already destroyed document to reject later (seen
// with damaged streams: "FormatError: Illegal character"). It does not concern the document
// being read, so it is noted on stderr (kept by the pool for crash reports) instead of ending the worker.
process.on('unhandledRejection', (reason) => {
  process.stderr.write(`extraction worker: late rejection from pdf.js ignored: ${String(reason).slice(0, 200)}\n`);
});

// The parent closed the channel (it finished, or it was killed): nothing more will come.
process.on('disconnect', () => process.exit(0));

// Load pdf.js once, then take work: the pool's timeout covers reading documents, not this.
pdfjs().then(
  () => reply({ ready: true }),
  (err: unknown) => {
    process.stderr.write(`extraction worker: pdf.js could not be loaded: ${(err as Error)?.stack ?? String(err)}\n`);
    process.exit(1);
  },
);
