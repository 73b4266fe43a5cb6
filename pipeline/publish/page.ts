/**
 * index.html: the dataset page of a release, for citizens on a phone or a
 * desktop. One static file with inline CSS and inline SVG, no script (the only
 * <script> is the schema.org Dataset description, JSON-LD data for dataset
 * search engines), no font or image downloads (a Content-Security-Policy
 * forbids them), so it works from file:// as well as from any web server.
 * Japanese first with English beside it: a summary, publication date and
 * contact, how to read the symbols (the code table), the downloads, the charts,
 * the findings in plain Japanese, the data dictionary and the source PDFs.
 * Narrow screens get one column and tables as cards (CSS only). Every text that
 * comes from a PDF is escaped by `html`.
 */
import { closeSync, mkdirSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { DatasetName, Finding, Goal, KPISummary, NumericTarget } from '../lib/records.gen.js';
import { eraLabel } from '../normalize/parse.js';
import { datasetTitle, fileUrl, type CatalogFile, type CatalogMeta, type CitedSource } from './catalog.js';
import { indicatorChart, indicatorSeries, kpiChart } from './charts.js';
import { CODES, CODES_FILE } from './codes.js';
import { findingJa, SEVERITY_JA } from './findings-ja.js';
import { UNMAPPABLE_FILE } from './sjis.js';
import type { DictionaryEntry } from './dictionary.js';
import { groupDigits, html, Raw } from './html.js';
import type { PublicationAgent } from './publication.js';
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

/** The page style: a constant of this module (never text from a PDF), so it is inserted unescaped (quotes in font names must stay quotes). */
const CSS = `
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { font-family: "Hiragino Sans", "Noto Sans CJK JP", "Noto Sans JP", "Yu Gothic", Meiryo, system-ui, "Segoe UI", Roboto, Arial, "Liberation Sans", sans-serif; font-size: 16px; margin: 0 auto; max-width: 1080px; padding: 0 16px 48px; color: #1f2328; line-height: 1.7; overflow-wrap: anywhere; }
h1 { font-size: 1.5rem; line-height: 1.4; margin: 24px 0 4px; }
h2 { font-size: 1.25rem; border-bottom: 2px solid #d0d7de; padding-bottom: 4px; margin-top: 40px; }
h3 { font-size: 1.05rem; margin: 24px 0 8px; }
.en { color: #57606a; font-weight: normal; font-size: 0.875rem; }
p.en { margin-top: 0; }
.summary { background: #f6f8fa; border-left: 4px solid #0969da; padding: 8px 12px; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 4px 16px; }
dl.facts dt { font-weight: bold; }
dl.facts dd { margin: 0; }
nav { margin: 16px 0; padding: 8px 0; border-top: 1px solid #d0d7de; border-bottom: 1px solid #d0d7de; display: flex; flex-wrap: wrap; gap: 4px 16px; }
table { border-collapse: collapse; width: 100%; font-size: 0.875rem; margin: 8px 0; }
th, td { border: 1px solid #d0d7de; padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: #f6f8fa; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
code, .hash { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 0.8125rem; overflow-wrap: anywhere; word-break: break-all; }
figure { margin: 16px 0 28px; }
figcaption { font-size: 0.9375rem; margin-bottom: 4px; }
svg.chart { display: block; width: 100%; max-width: 540px; height: auto; font-size: 13px; font-family: inherit; }
svg .tick { font-size: 13px; fill: #1f2328; }
svg .muted, .muted { fill: #57606a; color: #57606a; }
svg .value { font-size: 13px; fill: #0969da; paint-order: stroke; stroke: #ffffff; stroke-width: 3px; stroke-linejoin: round; }
svg .symbol { font-size: 20px; font-weight: bold; }
svg .mismatch { font-size: 13px; fill: #cf222e; }
svg .label { font-size: 14px; fill: #1f2328; }
svg .seg { font-size: 13px; font-weight: bold; }
.grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(340px, 1fr)); gap: 0 32px; }
.grid > h3 { grid-column: 1 / -1; }
.sev { display: inline-block; border-radius: 4px; padding: 0 6px; font-weight: bold; font-size: 0.875rem; }
.sev-error { background: #ffebe9; color: #a40e26; }
.sev-warning { background: #fff8c5; color: #7d4e00; }
.sev-info { background: #ddf4ff; color: #0550ae; }
ul.findings { list-style: none; padding: 0; }
ul.findings li { border: 1px solid #d0d7de; border-radius: 6px; padding: 8px 12px; margin: 8px 0; }
ul.findings p { margin: 4px 0; }
.legend-note span { display: inline-block; margin-right: 12px; }
footer { margin-top: 48px; font-size: 0.875rem; color: #57606a; }
@media (max-width: 640px) {
  body { padding: 0 12px 32px; }
  dl.facts { grid-template-columns: 1fr; }
  dl.facts dd { margin-bottom: 6px; }
  table.stack, table.stack tbody, table.stack tr, table.stack td { display: block; width: 100%; }
  table.stack thead { display: none; }
  table.stack tr { border: 1px solid #d0d7de; border-radius: 6px; margin: 8px 0; padding: 4px 0; }
  table.stack td { border: none; padding: 2px 8px; text-align: left; }
  table.stack td[data-label]::before { content: attr(data-label); display: block; font-size: 0.75rem; color: #57606a; }
  .grid { grid-template-columns: 1fr; }
}
`;

function bytes(n: number): string {
  return n < 1024 ? `${n} B` : n < 1024 * 1024 ? `${(n / 1024).toFixed(1)} KB` : `${(n / 1024 / 1024).toFixed(1)} MB`;
}

const fy = (y: number) => `${y}年度 (${eraLabel(y)})`;

function downloads(p: PageInput): Raw {
  const byPath = new Map(p.files.map((f) => [f.path, f]));
  const link = (path: string, label: string) => {
    const f = byPath.get(path);
    return f ? html`<a href="${fileUrl(p.meta, path)}" download>${label}</a> <span class="muted">${bytes(f.bytes)}</span>` : html`<span class="muted">なし</span>`;
  };
  const hasSjis = p.files.some((f) => f.encoding === 'Shift_JIS');
  const rows = p.datasets.map((ds) => {
    const t = datasetTitle(ds);
    return html`<tr><td data-label="データセット Dataset">${t.ja} <span class="en">${t.en}</span></td><td class="num" data-label="件数 Rows">${groupDigits(p.rowCounts[ds])}</td><td data-label="CSV (UTF-8)">${link(`${ds}.csv`, 'CSV')}</td>${hasSjis ? html`<td data-label="CSV (Shift_JIS)">${link(`sjis/${ds}.csv`, 'CSV (SJIS)')}</td>` : ''}<td data-label="JSON">${link(`${ds}.json`, 'JSON')}</td></tr>`;
  });
  const others = [
    ...p.files.filter((f) => f.dataset === null).map((f) => ({ path: f.path, ja: f.title.ja, en: f.title.en, size: bytes(f.bytes) })),
    ...p.otherFiles.map((o) => ({ ...o, size: '' })),
  ];
  return html`<section id="downloads"><h2>ダウンロード <span class="en">Downloads</span></h2>
<p>CSV は文字コード UTF-8 (BOM 付き)、1 セルに 1 つの値、数値には桁区切りも単位も付けていません。年度は西暦と和暦の両方の列があります。空欄は「記載なし・値なし」で、0 とは区別しています。${hasSjis ? 'Shift_JIS 版は古い表計算ソフトのための写しで、Shift_JIS にない文字は近い文字 (— → ― など) に置き換え、置き換えられない文字だけを「?」にして sjis/unmappable.csv に記録しています。' : ''}
<span class="en">CSV files are UTF-8 with BOM, one value per cell, numbers without separators or units, with Western and Japanese-era fiscal year columns. An empty cell means "not given" and is never zero.${hasSjis ? ' The Shift_JIS copies use the usual CP932 best fit (— → ― …); characters with none become "?" and are listed in sjis/unmappable.csv.' : ''}</span></p>
<table class="stack"><thead><tr><th>データセット <span class="en">Dataset</span></th><th>件数 <span class="en">Rows</span></th><th>CSV (UTF-8)</th>${hasSjis ? html`<th>CSV (Shift_JIS)</th>` : ''}<th>JSON</th></tr></thead><tbody>${rows}</tbody></table>
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

/** KPI counts of the newest report year of the release (for the summary at the top). */
interface KpiTotals {
  year: number;
  rows: number;
  kpis: number;
  achieved: number;
  mostly: number;
  not: number;
  undetermined: number;
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
  private totals: KpiTotals | null = null;
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
      const dir = s.direction === 'lower_is_better' ? '低いほど良い lower is better' : s.direction === 'higher_is_better' ? '高いほど良い higher is better' : '';
      this.append(
        'targets',
        html`${heading}<figure><figcaption><b>${s.name}</b><br><span class="muted">基準値 ${s.baselineText ?? 'なし'} → 最終目標 ${s.finalTargetText ?? 'なし'}${s.evaluation ? `、見込み ${s.evaluation}` : ''}${s.unit ? `、単位 ${s.unit}` : ''}${dir ? `、${dir}` : ''} <span class="en">(${s.indicatorId}; report FY${s.reportYears.join(', ')})</span></span></figcaption>${indicatorChart(s, `chart-target-${++this.chartNo}`)}</figure>`.html,
      );
    }
    const years = [...new Set(g.kpiSummary.map((r) => r.report_fiscal_year))].sort((a, b) => a - b);
    for (const y of years) {
      this.kpiYears.add(y);
      const mine = g.kpiSummary.filter((r) => r.report_fiscal_year === y);
      this.addTotals(y, mine);
      const caption = `${fy(y)}のKPI進捗状況 (施策の基本的方向別) / KPI progress by policy direction, FY${y}${this.multi ? ` (${g.code})` : ''}`;
      this.append(`kpi-${y}`, html`<figure><figcaption><b>${caption}</b></figcaption>${kpiChart(mine, `chart-kpi-${y}-${g.code}`, caption)}</figure>`.html);
    }
    const ctx = { numericTargets: g.numericTargets, kpiSummary: g.kpiSummary };
    for (const f of g.findings) {
      this.severityCount[f.severity]++;
      const sev = SEVERITY_JA[f.severity];
      if (f.rule === 'row_held') this.heldRows++;
      this.append(
        `findings-${f.severity}`,
        html`<li class="finding"><span class="sev sev-${f.severity}">${sev.ja} <span lang="en">${sev.en}</span></span> <span class="muted">${this.multi ? `${g.name} ` : ''}${f.source_file}${f.source_page !== null ? ` ${f.source_page}ページ` : ''}</span><p>${findingJa(f, ctx)}</p><p class="en" lang="en">${f.message} <code>${f.rule}</code></p></li>`.html,
      );
    }
  }

  private addTotals(year: number, rows: KPISummary[]): void {
    if (this.totals && this.totals.year > year) return;
    if (!this.totals || this.totals.year < year) this.totals = { year, rows: 0, kpis: 0, achieved: 0, mostly: 0, not: 0, undetermined: 0 };
    const t = this.totals;
    for (const r of rows) {
      t.rows++;
      t.kpis += r.kpi_count;
      t.achieved += r.achieved;
      t.mostly += r.mostly_achieved;
      t.not += r.not_achieved;
      t.undetermined += r.undetermined;
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

  /** A few sentences a citizen reads first: what the data is and how the KPIs stand. */
  private summary(m: CatalogMeta): Raw {
    const t = this.totals;
    const kpi = t
      ? html`<p>${fy(t.year)}の報告では、KPI ${t.kpis}件のうち、○ 達成できた ${t.achieved}件、△ 概ね達成できた ${t.mostly}件、× 達成できなかった ${t.not}件、現時点では判断が困難 ${t.undetermined}件でした (施策の基本的方向 ${t.rows}件の合計)。</p><p class="en">In the FY${t.year} report, of ${t.kpis} KPIs ${t.achieved} were achieved, ${t.mostly} mostly achieved, ${t.not} not achieved and ${t.undetermined} could not be judged yet.</p>`
      : '';
    const c = this.severityCount;
    return html`<div class="summary"><p>${m.municipalities.map((x) => x.name).join('・')}が公表した「まち・ひと・しごと創生総合戦略」の進捗状況報告書 (PDF) から、数値目標と KPI の進み具合を読み取り、誰でも使えるデータにしたものです。</p>${kpi}<p>報告書の記号を計算し直して確かめた結果、注意が必要な点が ${c.error + c.warning}件、参考情報が ${c.info}件あります (<a href="#findings">検証結果</a>)。</p></div>`;
  }

  /** Write index.html: the page around the parts. */
  write(p: PageInput, out: HashedFile): void {
    const m = p.meta;
    const span = m.fiscalYears ? `${fy(m.fiscalYears.first)} – ${fy(m.fiscalYears.last)}` : 'なし';
    const contact = m.publication.contact_point;
    out.write(html`<!DOCTYPE html>
<html lang="ja">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>${m.title.ja}</title>
<meta name="description" content="${m.description.ja}">
<style>${new Raw(CSS)}</style>
<script type="application/ld+json">${new Raw(schemaOrgJson(p))}</script>
</head>
<body>
<header><h1>${m.title.ja}</h1><p class="en" lang="en">${m.title.en}</p>
${this.summary(m)}
<dl class="facts"><dt>地方公共団体 <span class="en">Municipality</span></dt><dd>${m.municipalities.map((x) => `${x.name} (${x.code})`).join('、')}</dd>
<dt>公表日 <span class="en">Published</span></dt><dd><time datetime="${m.dates.modified}">${m.dates.modified}</time>${m.dates.issued !== m.dates.modified ? html` <span class="muted">(初回公表 first published <time datetime="${m.dates.issued}">${m.dates.issued}</time>)</span>` : ''}</dd>
<dt>発行者 <span class="en">Publisher</span></dt><dd>${agentLink(m.publication.publisher)}</dd>
<dt>問い合わせ先 <span class="en">Contact</span></dt><dd>${agentLink(contact)}${contact.email ? html` <a href="mailto:${contact.email}">${contact.email}</a>` : ''}${contact.telephone ? html` 電話 ${contact.telephone}` : ''}</dd>
<dt>対象年度 <span class="en">Fiscal years</span></dt><dd>${span}</dd>
<dt>報告書 <span class="en">Reports</span></dt><dd>${m.sources.map((s, i) => html`${i ? '、' : ''}${sourceLink(p, s, `${fy(s.report_fiscal_year)} (PDF)`)}`)}</dd>
<dt>版 <span class="en">Version</span></dt><dd>${m.version} <span class="muted">(内容の SHA-256 content hash <span class="hash">${m.contentHash.slice(0, 16)}…</span>)</span></dd>
<dt>ライセンス <span class="en">Licence</span></dt><dd><a href="${m.licence.url}" rel="license">${m.licence.short}</a> <span class="muted">${m.licence.note.ja}</span></dd></dl>
</header>
<nav><a href="#legend">記号の見かた</a><a href="#downloads">ダウンロード</a><a href="#targets">数値目標</a><a href="#kpi">KPI</a><a href="#findings">検証結果</a><a href="#dictionary">データ辞書</a><a href="#sources">出典・ライセンス</a></nav>
${legend(p)}
${downloads(p)}
`.html);
    out.write(html`<section id="targets"><h2>数値目標の推移 <span class="en">Numeric targets: target vs actual by fiscal year</span></h2>
<p>グラフの□は目標値、●は実績値 (白抜きは集計中の速報値)、上の記号は報告書に書かれた進捗度です。計算し直した結果が報告書と違うときは、赤字で「計算」と並べています。各年度の値は、その年度を含む最も新しい報告書によります。</p>
<p class="en">Squares are targets, dots actuals (hollow: provisional); the symbols above are the progress printed in the report, with the recomputed one in red where it differs. Each year's values come from the newest report that has the year.</p>
<div class="grid">`.html);
    if (this.chartNo > 0) this.copy('targets', out);
    else out.write(html`<p>数値目標のデータはありません。 <span class="en">No numeric targets.</span></p>`.html);
    out.write(html`</div></section>
<section id="kpi"><h2>KPIの進捗状況 <span class="en">KPI progress by policy direction</span></h2>
<p>施策の基本的方向ごとに、KPI (重要業績評価指標) の進捗度の件数を色分けした帯で示します。帯の中の数字は件数です。<span class="en">Counts of KPIs by progress symbol for each policy direction; the numbers in the bars are counts.</span></p>
<div class="grid">`.html);
    const years = [...this.kpiYears].sort((a, b) => a - b);
    for (const y of years) this.copy(`kpi-${y}`, out);
    if (years.length === 0) out.write(html`<p>KPIのデータはありません。 <span class="en">No KPI summaries.</span></p>`.html);
    const c = this.severityCount;
    const total = c.error + c.warning + c.info;
    out.write(html`</div></section>
<section id="findings"><h2>検証結果 <span class="en">Findings</span></h2>
<p>報告書の数値と記号を計算し直して確かめた結果です。要対応 ${c.error}件、注意 ${c.warning}件、参考 ${c.info}件。全件は <a href="${fileUrl(p.meta, 'findings.csv')}">findings.csv</a> にあります。 <span class="en">Recomputation and consistency checks: ${c.error} errors, ${c.warning} warnings, ${c.info} notes; all in findings.csv.</span></p>
${this.heldRows ? html`<p id="held" class="sev-warning">確認待ちのため公開していない行 ${this.heldRows} 件 (規則 row_held) <span class="en">(${this.heldRows} doubtful rows held for review, not published: rule row_held)</span></p>` : ''}
`.html);
    if (total > 0) {
      out.write('<ul class="findings">');
      for (const sev of SEVERITIES) this.copy(`findings-${sev}`, out);
      out.write('</ul>');
    } else out.write(html`<p>検証で見つかった問題はありません。 <span class="en">No findings.</span></p>`.html);
    out.write(html`</section>
${dictionary(p)}
${sources(p)}
<footer>${m.title.ja} — 版 ${m.version}、公表日 ${m.dates.modified}。問い合わせ: ${contact.name.ja}。 <span class="en">sousei-kpi ${m.name}</span></footer>
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

function agentLink(a: PublicationAgent): Raw {
  return a.url ? html`<a href="${a.url}">${a.name.ja}</a> <span class="en">${a.name.en}</span>` : html`${a.name.ja} <span class="en">${a.name.en}</span>`;
}

/** Link to a source PDF: where it is published, or its copy in the release; plain text when neither exists. */
function sourceLink(p: PageInput, s: CitedSource, label: string): Raw {
  const href = s.url && /^https?:\/\//iu.test(s.url) ? s.url : s.release_path ? fileUrl(p.meta, s.release_path) : null;
  return href ? html`<a href="${href}">${label}</a>` : html`${label}`;
}

/** How to read the symbols: the legend of the reports and the code table (codes.csv). */
function legend(p: PageInput): Raw {
  return html`<section id="legend"><h2>記号の見かた <span class="en">What the symbols mean</span></h2>
<p>報告書は、数値目標と KPI の進み具合を次の記号で表しています。同じ表を <a href="${fileUrl(p.meta, CODES_FILE)}">${CODES_FILE}</a> (コード表) として提供しています。 <span class="en">The reports grade progress with these symbols; the same table is codes.csv.</span></p>
<table class="stack"><thead><tr><th>記号 <span class="en">Symbol</span></th><th>意味 <span class="en">Meaning</span></th><th>判定基準 <span class="en">Threshold</span></th></tr></thead><tbody>${CODES.map(
  (c) => html`<tr><td data-label="記号 Symbol"><b>${c.symbol}</b></td><td data-label="意味 Meaning">${c.meaning_ja} <span class="en">${c.meaning_en}</span></td><td data-label="判定基準 Threshold">${c.threshold || (c.code_list === 'outlook' ? '最終年度の目標に向けた見込み (outlook for the final year)' : '')}</td></tr>`,
)}</tbody></table>
<p>進捗率は「実績値 ÷ 目標値」または「(実績値 − 基準値) ÷ (目標値 − 基準値)」です。表の空欄は「記載なし」で、0 とは違います。 <span class="en">The progress ratio is actual ÷ target or (actual − baseline) ÷ (target − baseline). An empty cell means "not given", not zero.</span></p></section>`;
}

function dictionary(p: PageInput): Raw {
  return html`<section id="dictionary"><h2>データ辞書 <span class="en">Data dictionary</span></h2>
<p>各データセットの列の意味です。同じ内容を <a href="${fileUrl(p.meta, 'data-dictionary.csv')}">data-dictionary.csv</a> と datapackage.json (Table Schema) でも提供しています。記号の列は ${CODES_FILE} を参照します。 <span class="en">Also as data-dictionary.csv and as Table Schemas in datapackage.json; symbol columns refer to codes.csv.</span></p>
${p.datasets.map((ds) => {
  const t = datasetTitle(ds);
  return html`<h3 id="dict-${ds}">${t.ja} <span class="en">${t.en}</span> — <code>${ds}</code></h3><table class="stack"><thead><tr><th>列 <span class="en">Column</span></th><th>項目名 <span class="en">Title</span></th><th>型 <span class="en">Type</span></th><th>単位 <span class="en">Unit</span></th><th>説明 <span class="en">Description</span></th></tr></thead><tbody>${p.dictionary
    .filter((e) => e.dataset === ds)
    .map((e) => html`<tr><td data-label="列 Column"><code>${e.column}</code></td><td data-label="項目名 Title">${e.title_ja} <span class="en">${e.title_en}</span></td><td data-label="型 Type">${e.type}</td><td data-label="単位 Unit">${e.unit}</td><td data-label="説明 Description">${e.description}${e.code_table ? html` (記号の意味: <a href="${fileUrl(p.meta, e.code_table)}">${e.code_table}</a>)` : ''}</td></tr>`)}</tbody></table>`;
})}</section>`;
}

function sources(p: PageInput): Raw {
  const m = p.meta;
  const hasUnmappable = p.files.some((f) => f.path === UNMAPPABLE_FILE);
  return html`<section id="sources"><h2>出典・ライセンス <span class="en">Sources and licence</span></h2>
<p>${m.attribution.ja}</p><p class="en">${m.attribution.en}</p>
<p>ライセンス <span class="en">Licence</span>: <a href="${m.licence.url}" rel="license">${m.licence.title}</a></p>
<table class="stack"><thead><tr><th>報告書 <span class="en">Report</span></th><th>報告年度 <span class="en">Report year</span></th><th>SHA-256</th></tr></thead><tbody>${m.sources.map(
  (s) => html`<tr><td data-label="報告書 Report">${sourceLink(p, s, s.title ?? s.file)}<br><span class="muted">${s.file}${s.release_path && !s.url ? ' (このリリース内の写し / copy in this release)' : ''}</span>${s.page_url ? html`<br><a href="${s.page_url}">公表ページ <span class="en">published on</span></a>` : ''}${s.synthetic ? html`<br><b>試験用の合成データ SYNTHETIC TEST DATA</b>` : ''}</td><td data-label="報告年度 Report year">${fy(s.report_fiscal_year)}</td><td data-label="SHA-256" class="hash">${s.sha256}</td></tr>`,
)}</tbody></table>${hasUnmappable ? html`<p class="muted">Shift_JIS 版で置き換えられなかった文字: <a href="${fileUrl(m, UNMAPPABLE_FILE)}">${UNMAPPABLE_FILE}</a></p>` : ''}</section>`;
}

/** schema.org Dataset description (JSON-LD) for dataset search engines, with "<" escaped so no text can close the script element. */
function schemaOrgJson(p: PageInput): string {
  const m = p.meta;
  const org = (a: PublicationAgent) => ({ '@type': 'Organization', name: a.name.ja, alternateName: a.name.en, ...(a.url ? { url: a.url } : {}), ...(a.email ? { email: a.email } : {}) });
  const doc = {
    '@context': 'https://schema.org/',
    '@type': 'Dataset',
    name: m.title.ja,
    alternateName: m.title.en,
    description: `${m.description.ja} ${m.description.en}`,
    ...(m.baseUrl ? { url: fileUrl(m, 'index.html') } : {}),
    identifier: m.name,
    version: m.version,
    inLanguage: 'ja',
    datePublished: m.dates.issued,
    dateModified: m.dates.modified,
    license: m.licence.url,
    isAccessibleForFree: true,
    keywords: [...m.keywords.ja, ...m.keywords.en],
    creator: org(m.publication.publisher),
    publisher: org(m.publication.publisher),
    maintainer: org(m.publication.maintainer),
    ...(m.temporal ? { temporalCoverage: `${m.temporal.start}/${m.temporal.end}` } : {}),
    spatialCoverage: m.municipalities.map((x) => ({ '@type': 'Place', name: x.name, identifier: x.code })),
    isBasedOn: m.sources.map((s) => ({ '@type': 'CreativeWork', name: s.title ?? s.file, ...(s.url ? { url: s.url } : {}), encodingFormat: 'application/pdf' })),
    distribution: p.files.map((f) => ({ '@type': 'DataDownload', name: f.title.ja, encodingFormat: f.mediaType, contentUrl: fileUrl(m, f.path), contentSize: `${f.bytes} B` })),
  };
  return JSON.stringify(doc).replace(/</gu, '\\u003c');
}
