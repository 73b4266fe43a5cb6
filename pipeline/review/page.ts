/**
 * The review page (OUT/review/index.html): for each table with held rows, the
 * picture of the table region in the PDF beside the grid the extractor read,
 * with the doubtful cells marked, and for each held row the exact line to add
 * to raw/corrections.csv and the command that accepts it as read.
 */
import { papaparse } from '../lib/lazy.js';
import { html, type Raw } from '../publish/html.js';
import type { HeldRow, HeldTable } from './held.js';

export interface ReviewImage {
  /** Path of the PNG relative to the page, or null when the region could not be drawn. */
  src: string | null;
  width: number;
  height: number;
  problem: string | null;
}

const CSS = `body{font-family:system-ui,'Noto Sans CJK JP',sans-serif;margin:1.5rem;color:#111;line-height:1.45}
h1{font-size:1.4rem}h2{font-size:1.15rem;border-bottom:2px solid #1f3c63;margin-top:2rem}
.pair{display:flex;gap:1.5rem;align-items:flex-start;flex-wrap:wrap}
.pair figure{margin:0;max-width:55%}.pair img{max-width:100%;border:1px solid #999}
table.grid{border-collapse:collapse;font-size:.85rem}table.grid td,table.grid th{border:1px solid #999;padding:2px 6px;white-space:pre-wrap}
td.doubt{background:#ffe08a;outline:2px solid #c0392b;outline-offset:-2px;font-weight:bold}
tr.held td:first-child{border-left:4px solid #c0392b}
pre{background:#f4f4f4;padding:.5rem;overflow-x:auto;white-space:pre-wrap;word-break:break-all}
.muted{color:#555}`;

const csvLine = (cells: string[]): string => papaparse().unparse([cells], { newline: '\n', quotes: (v: unknown) => /[",\n]/u.test(String(v)) });

const fmt = (v: unknown): string => (v === null || v === undefined ? '' : String(v));

/** The lines a reviewer adds to raw/corrections.csv for a held row (the value is the one read; change it to what the PDF says). */
export function correctionLines(row: HeldRow, file: string, by: string, date: string): string[] {
  const fields = row.doubtful_fields.length ? row.doubtful_fields : [row.dataset === 'kpi_summary' ? 'kpi_count' : 'actual_value'];
  return fields.map((f) => csvLine([row.record_key, f, fmt(row.candidate[f]), `checked against ${file} page ${row.page}`, by, date]));
}

export const acceptCommand = (row: HeldRow, by: string): string => `sousei-kpi review accept ${row.record_key} --by ${/^[\w.@-]+$/u.test(by) ? by : `'${by.replace(/'/gu, `'\\''`)}'`}`;

function grid(t: HeldTable): Raw {
  return html`<table class="grid" data-table="${t.id}"><thead><tr>${t.header.map((h) => html`<th>${h}</th>`)}</tr></thead><tbody>${t.grid.map(
    (g) => html`<tr${g.record_key ? html` class="held" data-record-key="${g.record_key}"` : ''}>${g.cells.map((c, i) => (g.doubtful.includes(i) ? html`<td class="doubt" title="doubtful">${c}</td>` : html`<td>${c}</td>`))}</tr>`,
  )}</tbody></table>`;
}

function heldRow(row: HeldRow, t: HeldTable, by: string, date: string): Raw {
  return html`<li data-record-key="${row.record_key}"><code>${row.record_key}</code> — ${row.reason}
<br><span class="muted">Read as: ${row.dataset === 'numeric_targets' ? `target ${fmt(row.candidate.target_text)}, actual ${fmt(row.candidate.actual_text)}, progress ${fmt(row.candidate.progress_reported)}` : `KPI count ${fmt(row.candidate.kpi_count)}`}</span>
<p>If the PDF says otherwise, add to <code>raw/corrections.csv</code> (with the value the PDF shows):</p>
<pre class="correction">${correctionLines(row, t.file, by, date).join('\n')}</pre>
<p>If it was read right:</p><pre class="accept">${acceptCommand(row, by)}</pre></li>`;
}

export function reviewPage(tables: HeldTable[], images: ReviewImage[][], opts: { by: string; date: string; release: string | null }): string {
  const total = tables.reduce((n, t) => n + t.rows.length, 0);
  const body = tables.map(
    (t, i) => html`<section class="held-table" id="t${i + 1}"><h2>${t.file} — ${t.table}</h2>
<p class="muted">sha256 ${t.sha256}</p>
<div class="pair"><figure>${(images[i] ?? []).map((im, j) => (im.src ? html`<img class="region" src="${im.src}" width="${im.width}" height="${im.height}" alt="${`${t.table}, region ${j + 1} as printed in the PDF`}">` : html`<p class="sev-error">${im.problem ?? 'no picture'}</p>`))}<figcaption class="muted">As printed (page ${t.regions.map((r) => r.page).join(', ') || t.page})</figcaption></figure>
<div><p class="muted">As read — doubtful cells are marked</p>${grid(t)}</div></div>
<h3>Held rows (${t.rows.length})</h3><ol>${t.rows.map((r) => heldRow(r, t, opts.by, opts.date))}</ol></section>`,
  );
  return html`<!DOCTYPE html>
<html lang="ja"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src 'self' file:">
<title>sousei-kpi review — ${total} held rows</title><style>${CSS}</style></head><body>
<h1>確認待ちの行 <span class="muted">Rows held for review</span>: ${total}</h1>
<p>These rows were not published${opts.release ? html` in release <code>${opts.release}</code>` : ''}: the extractor doubts them. Compare each table with the PDF; then add the correction line to <code>raw/corrections.csv</code>, or run the accept command, and run <code>sousei-kpi check</code> and <code>sousei-kpi run</code> again.</p>
${total === 0 ? html`<p>Nothing is held.</p>` : body}
</body></html>
`.html;
}
