/**
 * index.html: the dataset page of a release. One static file with inline CSS
 * and inline SVG, no script, no font or image downloads (a Content-Security-Policy
 * forbids them), so it works from file:// as well as from any web server.
 * Lists the downloads, draws the charts, and shows the findings and the data
 * dictionary. Every text that comes from a PDF is escaped by `html`.
 */
import { closeSync, mkdirSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { DatasetName, Finding, Goal, KPISummary, NumericTarget } from '../lib/records.gen.js';
import { eraLabel } from '../normalize/parse.js';
import { datasetTitle, fileUrl, LICENSE, type CatalogFile, type CatalogMeta } from './catalog.js';
import { indicatorChart, indicatorSeries, kpiChart, SYMBOL_COLOURS, type ProgressSymbol } from './charts.js';
import type { DictionaryEntry } from './dictionary.js';
import { groupDigits, html, type Raw } from './html.js';
import type { HashedFile } from './stream.js';

export interface PageInput {
  meta: CatalogMeta;
  files: CatalogFile[];
  /** Metadata files of the release that are not data distributions (linked, without size). */
  otherFiles: Array<{ path: string; ja: string; en: string }>;
  datasets: DatasetName[];
  rowCounts: Record<DatasetName, number>;
  dictionary: DictionaryEntry[];
}

const CSS = `
:root { color-scheme: light; }
body { font-family: system-ui, "Noto Sans CJK JP", "Hiragino Sans", "Yu Gothic", Meiryo, sans-serif; margin: 0 auto; max-width: 1080px; padding: 0 16px 48px; color: #1f2328; line-height: 1.6; }
h1 { font-size: 1.6rem; margin: 24px 0 0; }
h2 { font-size: 1.3rem; border-bottom: 2px solid #d0d7de; padding-bottom: 4px; margin-top: 40px; }
h3 { font-size: 1.05rem; margin: 24px 0 8px; }
.en { color: #57606a; font-weight: normal; font-size: 0.9em; }
p.en { margin-top: 0; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; }
dl.facts dt { font-weight: bold; }
dl.facts dd { margin: 0; }
nav { margin: 16px 0; padding: 8px 0; border-top: 1px solid #d0d7de; border-bottom: 1px solid #d0d7de; }
nav a { margin-right: 16px; }
table { border-collapse: collapse; width: 100%; font-size: 0.9rem; margin: 8px 0; }
th, td { border: 1px solid #d0d7de; padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: #f6f8fa; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
code, .hash { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 0.85em; overflow-wrap: anywhere; }
.hash { word-break: break-all; }
td.rule { min-width: 9em; }
figure { margin: 16px 0 24px; }
figcaption { font-size: 0.95rem; margin-bottom: 4px; }
svg.chart { max-width: 100%; height: auto; font-size: 12px; font-family: inherit; }
svg .tick { font-size: 11px; fill: #1f2328; }
svg .muted, .muted { fill: #57606a; color: #57606a; }
svg .value { font-size: 11px; fill: #0969da; }
svg .symbol { font-size: 17px; font-weight: bold; }
svg .mismatch { font-size: 10px; fill: #cf222e; }
svg .label { font-size: 12.5px; fill: #1f2328; }
svg .seg { font-size: 11px; font-weight: bold; }
.sev-error { color: #cf222e; font-weight: bold; }
.sev-warning { color: #9a6700; font-weight: bold; }
.legend-note span { display: inline-block; margin-right: 12px; }
footer { margin-top: 48px; font-size: 0.85rem; color: #57606a; }
`;

function bytes(n: number): string {
  return n < 1024 ? `${n} B` : n < 1024 * 1024 ? `${(n / 1024).toFixed(1)} KB` : `${(n / 1024 / 1024).toFixed(1)} MB`;
}

const fy = (y: number) => `${y}年度 (${eraLabel(y)})`;

function downloads(p: PageInput): Raw {
  const byPath = new Map(p.files.map((f) => [f.path, f]));
  const link = (path: string, label: string) => {
    const f = byPath.get(path);
    return f ? html`<a href="${fileUrl(p.meta, path)}" download>${label}</a> <span class="muted">${bytes(f.bytes)}</span>` : html`<span class="muted">—</span>`;
  };
  const hasSjis = p.files.some((f) => f.encoding === 'Shift_JIS');
  const rows = p.datasets.map((ds) => {
    const t = datasetTitle(ds);
    return html`<tr><td>${t.ja}<br><span class="en">${t.en}</span></td><td class="num">${groupDigits(p.rowCounts[ds])}</td><td>${link(`${ds}.csv`, 'CSV')}</td>${hasSjis ? html`<td>${link(`sjis/${ds}.csv`, 'CSV (SJIS)')}</td>` : ''}<td>${link(`${ds}.json`, 'JSON')}</td></tr>`;
  });
  const others = [
    ...p.files.filter((f) => f.dataset === null).map((f) => ({ path: f.path, ja: f.title.ja, en: f.title.en, size: bytes(f.bytes) })),
    ...p.otherFiles.map((o) => ({ ...o, size: '' })),
  ];
  return html`<section id="downloads"><h2>ダウンロード <span class="en">Downloads</span></h2>
<p>CSV は UTF-8 (BOM 付き)、1 セル 1 値、数値に桁区切りや単位なし、年度は西暦と和暦の両方の列があります。${hasSjis ? 'Shift_JIS 版は Excel の古い版などのためのコピーで、Shift_JIS で表せない文字は「?」になります (findings の cp932_unmappable を参照)。' : ''}
<span class="en">CSV files are UTF-8 with BOM, one value per cell, numbers without separators or units, with Western and Japanese-era fiscal year columns.${hasSjis ? ' The Shift_JIS copies replace characters CP932 cannot hold with "?" (see the cp932_unmappable findings).' : ''}</span></p>
<table><thead><tr><th>データセット <span class="en">Dataset</span></th><th>件数 <span class="en">Rows</span></th><th>CSV (UTF-8)</th>${hasSjis ? html`<th>CSV (Shift_JIS)</th>` : ''}<th>JSON</th></tr></thead><tbody>${rows}</tbody></table>
<h3>その他のファイル <span class="en">Other files</span></h3>
<ul>${others.map((o) => html`<li><a href="${fileUrl(p.meta, o.path)}">${o.path}</a> — ${o.ja} <span class="en">${o.en}</span> ${o.size ? html`<span class="muted">${o.size}</span>` : ''}</li>`)}</ul></section>`;
}

const SEVERITIES: Array<Finding['severity']> = ['error', 'warning', 'info'];

/** The rows of one municipality the page draws (all its reports). */
export interface PageGroup {
  code: string;
  name: string;
  numericTargets: NumericTarget[];
  goals: Goal[];
  kpiSummary: KPISummary[];
  findings: Finding[];
}

/**
 * The figures and finding rows of the page, added one municipality at a time and
 * kept in part files (charts of a large release are megabytes), then joined
 * into index.html by `write`. Sections are in the order a whole-release page
 * has them: charts by municipality then goal; KPI charts by year, then
 * municipality; findings by severity, then as published.
 */
export class PageParts {
  private readonly fds = new Map<string, number>();
  private chartNo = 0;
  private lastHeading = '';
  private readonly kpiYears = new Set<number>();
  private readonly severityCount: Record<Finding['severity'], number> = { error: 0, warning: 0, info: 0 };
  /** Rows held for review (row_held findings): not in the data. */
  private heldRows = 0;

  constructor(
    private readonly dir: string,
    /** More than one municipality in the release: headings and captions name the municipality. */
    private readonly multi: boolean,
  ) {
    mkdirSync(dir, { recursive: true });
  }

  private append(part: string, text: string): void {
    if (text.length === 0) return;
    let fd = this.fds.get(part);
    if (fd === undefined) {
      fd = openSync(join(this.dir, part), 'wx+');
      this.fds.set(part, fd);
    }
    const b = Buffer.from(text, 'utf8');
    let off = 0;
    while (off < b.byteLength) off += writeSync(fd, b, off);
  }

  add(g: PageGroup): void {
    const goals = new Map(g.goals.map((x) => [x.goal_no, x.goal_title]));
    const where = this.multi ? ` — ${g.name} (${g.code})` : '';
    for (const s of indicatorSeries(g.numericTargets)) {
      const key = `${g.code}\u0000${s.goalNo}`;
      const heading = key !== this.lastHeading ? html`<h3>基本目標${s.goalNo} ${goals.get(s.goalNo) ?? ''}${where} <span class="en">Basic goal ${s.goalNo}</span></h3>` : '';
      this.lastHeading = key;
      const dir = s.direction === 'lower_is_better' ? '低いほど良い / lower is better' : s.direction === 'higher_is_better' ? '高いほど良い / higher is better' : '';
      this.append(
        'targets',
        html`${heading}<figure><figcaption><b>${s.name}</b> <span class="muted">(${s.indicatorId}${s.unit ? `, 単位 ${s.unit}` : ''}${dir ? `, ${dir}` : ''})</span><br><span class="muted">基準値 baseline ${s.baselineText ?? '—'} → 最終目標 final target ${s.finalTargetText ?? '—'}${s.evaluation ? `, 評価 outlook ${s.evaluation}` : ''}; 報告書 report FY${s.reportYears.join(', ')}</span></figcaption>${indicatorChart(s, `chart-target-${++this.chartNo}`)}</figure>`.html,
      );
    }
    const years = [...new Set(g.kpiSummary.map((r) => r.report_fiscal_year))].sort((a, b) => a - b);
    for (const y of years) {
      this.kpiYears.add(y);
      const mine = g.kpiSummary.filter((r) => r.report_fiscal_year === y);
      const caption = `${fy(y)}のKPI進捗状況 (施策の基本的方向別) / KPI progress by policy direction, FY${y}${this.multi ? ` (${g.code})` : ''}`;
      this.append(`kpi-${y}`, html`<figure><figcaption><b>${caption}</b></figcaption>${kpiChart(mine, `chart-kpi-${y}-${g.code}`, caption)}</figure>`.html);
    }
    for (const f of g.findings) {
      this.severityCount[f.severity]++;
      if (f.rule === 'row_held') this.heldRows++;
      this.append(
        `findings-${f.severity}`,
        html`<tr><td class="sev-${f.severity}">${f.severity}</td><td class="rule"><code>${f.rule}</code></td><td>${f.dataset}<br><code>${f.record_key}</code></td><td>${f.message}</td><td>${f.reported ?? ''}</td><td>${f.recomputed ?? ''}</td><td>${f.source_file}${f.source_page !== null ? ` p.${f.source_page}` : ''}</td></tr>`.html,
      );
    }
  }

  private readonly copyBuffer = Buffer.allocUnsafe(1 << 20);

  /** Copy a part file into the page (HashedFile.write is done with the bytes when it returns). */
  private copy(part: string, out: HashedFile): void {
    const fd = this.fds.get(part);
    if (fd === undefined) return;
    for (let pos = 0; ; ) {
      const n = readSync(fd, this.copyBuffer, 0, this.copyBuffer.byteLength, pos);
      if (n === 0) break;
      out.write(this.copyBuffer.subarray(0, n));
      pos += n;
    }
  }

  /** Write index.html: the page around the parts. */
  write(p: PageInput, out: HashedFile): void {
    const m = p.meta;
    const span = m.fiscalYears ? `${fy(m.fiscalYears.first)} – ${fy(m.fiscalYears.last)}` : '—';
    out.write(html`<!DOCTYPE html>
<html lang="ja">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>${m.title.ja}</title>
<style>${CSS}</style>
</head>
<body>
<header><h1>${m.title.ja}</h1><p class="en">${m.title.en}</p>
<p>${m.description.ja}</p><p class="en">${m.description.en}</p>
<dl class="facts"><dt>地方公共団体 <span class="en">Municipality</span></dt><dd>${m.municipalities.map((x) => `${x.name} (${x.code})`).join('、')}</dd>
<dt>対象年度 <span class="en">Fiscal years</span></dt><dd>${span}</dd>
<dt>報告書 <span class="en">Reports</span></dt><dd>${m.reportYears.map(fy).join('、')}</dd>
<dt>版 <span class="en">Version</span></dt><dd><code>${m.version}</code> <span class="muted">(content sha256 <span class="hash">${m.contentHash}</span>)</span></dd>
<dt>ライセンス <span class="en">Licence</span></dt><dd><a href="${LICENSE.url}" rel="license">CC BY 4.0</a> <span class="muted">${LICENSE.note.ja}</span></dd></dl>
</header>
<nav><a href="#downloads">ダウンロード</a><a href="#targets">数値目標</a><a href="#kpi">KPI</a><a href="#findings">検証結果</a><a href="#dictionary">データ辞書</a><a href="#sources">出典・ライセンス</a></nav>
${downloads(p)}
`.html);
    // Numeric targets.
    const legend = (Object.keys(SYMBOL_COLOURS) as ProgressSymbol[]).map((s) => html`<span><b style="color:${SYMBOL_COLOURS[s].fill}">${s}</b> ${SYMBOL_COLOURS[s].ja} <span class="en">${SYMBOL_COLOURS[s].en}</span></span>`);
    out.write(html`<section id="targets"><h2>数値目標の推移 <span class="en">Numeric targets: target vs actual by fiscal year</span></h2>
<p class="legend-note">${legend}</p>
<p class="muted">各年度の値はその年度を含む最新の報告書によります。記号は報告書に記載された進捗度で、再計算結果と異なる場合は赤字で併記しています。<br>Values for each fiscal year come from the newest report that has the year. Symbols are the progress printed in the report; where the recomputed symbol differs it is shown in red.</p>
`.html);
    if (this.chartNo > 0) this.copy('targets', out);
    else out.write(html`<p>数値目標のデータはありません。 <span class="en">No numeric targets.</span></p>`.html);
    out.write(html`</section>
<section id="kpi"><h2>KPIの進捗状況 <span class="en">KPI progress by policy direction</span></h2>
`.html);
    const years = [...this.kpiYears].sort((a, b) => a - b);
    for (const y of years) this.copy(`kpi-${y}`, out);
    if (years.length === 0) out.write(html`<p>KPIのデータはありません。 <span class="en">No KPI summaries.</span></p>`.html);
    // Findings, errors first.
    const c = this.severityCount;
    const total = c.error + c.warning + c.info;
    out.write(html`</section>
<section id="findings"><h2>検証結果 <span class="en">Findings</span></h2>
<p>誤り ${c.error} 件、警告 ${c.warning} 件、情報 ${c.info} 件 <span class="en">(${c.error} errors, ${c.warning} warnings, ${c.info} notes)</span>. 全件は <a href="${fileUrl(p.meta, 'findings.csv')}">findings.csv</a> にあります。</p>
${this.heldRows ? html`<p id="held" class="sev-warning">確認待ちのため公開していない行 ${this.heldRows} 件 (規則 row_held) <span class="en">(${this.heldRows} doubtful rows held for review, not published: rule row_held)</span></p>` : ''}
`.html);
    if (total > 0) {
      out.write(html`<table><thead><tr><th>重要度 <span class="en">Severity</span></th><th>規則 <span class="en">Rule</span></th><th>対象 <span class="en">Record</span></th><th>内容 <span class="en">Message</span></th><th>報告値 <span class="en">Reported</span></th><th>再計算値 <span class="en">Recomputed</span></th><th>出典 <span class="en">Source</span></th></tr></thead><tbody>`.html);
      for (const sev of SEVERITIES) this.copy(`findings-${sev}`, out);
      out.write('</tbody></table>');
    } else out.write(html`<p>検証結果はありません。 <span class="en">No findings.</span></p>`.html);
    out.write(html`</section>
${dictionary(p)}
${sources(p)}
<footer>sousei-kpi — ${m.name} ${m.version}</footer>
</body>
</html>
`.html);
  }

  /** Close and delete the part files. */
  close(): void {
    for (const fd of this.fds.values()) closeSync(fd);
    this.fds.clear();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function dictionary(p: PageInput): Raw {
  return html`<section id="dictionary"><h2>データ辞書 <span class="en">Data dictionary</span></h2>
<p>同じ内容を <a href="${fileUrl(p.meta, 'data-dictionary.csv')}">data-dictionary.csv</a> と datapackage.json (Table Schema) でも提供しています。 <span class="en">Also as data-dictionary.csv and as Table Schemas in datapackage.json.</span></p>
${p.datasets.map((ds) => {
  const t = datasetTitle(ds);
  return html`<h3 id="dict-${ds}">${t.ja} <span class="en">${t.en}</span> — <code>${ds}</code></h3><table><thead><tr><th>列 <span class="en">Column</span></th><th>項目名 <span class="en">Title</span></th><th>型 <span class="en">Type</span></th><th>単位 <span class="en">Unit</span></th><th>説明 <span class="en">Description</span></th></tr></thead><tbody>${p.dictionary
    .filter((e) => e.dataset === ds)
    .map((e) => html`<tr><td><code>${e.column}</code></td><td>${e.title_ja}<br><span class="en">${e.title_en}</span></td><td>${e.type}</td><td>${e.unit}</td><td>${e.description}</td></tr>`)}</tbody></table>`;
})}</section>`;
}

function sources(p: PageInput): Raw {
  return html`<section id="sources"><h2>出典・ライセンス <span class="en">Sources and licence</span></h2>
<p>${p.meta.attribution.ja}</p><p class="en">${p.meta.attribution.en}</p>
<p>ライセンス <span class="en">Licence</span>: <a href="${LICENSE.url}" rel="license">${LICENSE.title}</a></p>
<table><thead><tr><th>ファイル <span class="en">File</span></th><th>表題 <span class="en">Title</span></th><th>報告年度 <span class="en">Report year</span></th><th>SHA-256</th></tr></thead><tbody>${p.meta.sources.map(
  (s) => html`<tr><td>${s.url && /^https?:\/\//iu.test(s.url) ? html`<a href="${s.url}">${s.file}</a>` : s.file}${s.synthetic ? html`<br><b class="sev-warning">SYNTHETIC TEST DATA</b>` : ''}</td><td>${s.title ?? ''}</td><td>${fy(s.report_fiscal_year)}</td><td class="hash">${s.sha256}</td></tr>`,
)}</tbody></table></section>`;
}
