/**
 * A worker process of the extraction pool (pool.ts): loads pdf.js once, then
 * extracts one document per request message, for as many requests as it is sent.
 * Runs as a child process (child_process.fork with advanced serialization), so
 * whatever a hostile PDF does to it — hang, exhaust memory, crash — ends here.
 */
import { extractReport, PdfInputError, type ExtractedReport } from './index.js';

export interface WorkerRequest {
  id: number;
  file: string;
  data: Uint8Array;
  maxPages: number;
  maxBytes: number;
}

export type WorkerReply =
  | { id: number; ok: true; report: ExtractedReport }
  | { id: number; ok: false; error: { name: string; message: string; hint: string | null } };

function reply(msg: WorkerReply): void {
  // The parent may be gone (killed); then there is nobody to answer.
  if (process.connected) process.send?.(msg);
}

process.on('message', (msg: WorkerRequest) => {
  extractReport(msg.data, msg.file, { maxPages: msg.maxPages, maxBytes: msg.maxBytes }).then(
    (report) => reply({ id: msg.id, ok: true, report }),
    (err: unknown) => {
      const e = err instanceof Error ? err : new Error(String(err));
      reply({ id: msg.id, ok: false, error: { name: e.name, message: e.message, hint: err instanceof PdfInputError ? err.hint : null } });
    },
  );
});

// The parent closed the channel (it finished, or it was killed): nothing more will come.
process.on('disconnect', () => process.exit(0));
