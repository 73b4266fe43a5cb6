/**
 * Findings in plain Japanese for the dataset page: one sentence per finding a
 * citizen can read without knowing the pipeline, built from the rule, the
 * reported and recomputed values and the row the finding is about. The
 * English message of findings.csv is shown beside it.
 */
import type { Finding, KPISummary, NumericTarget } from '../lib/records.gen.js';

/** The rows of one municipality a finding may refer to. */
export interface FindingContext {
  numericTargets: NumericTarget[];
  kpiSummary: KPISummary[];
}

export const SEVERITY_JA: Record<Finding['severity'], { ja: string; en: string }> = {
  error: { ja: '要対応', en: 'error' },
  warning: { ja: '注意', en: 'warning' },
  info: { ja: '参考', en: 'note' },
};

const q = (s: string | null | undefined) => `「${s ?? ''}」`;

/** The policy direction number of a KPI finding (record key …/kpi/<no>). */
function directionNo(f: Finding): string {
  return /\/kpi\/(\d+)$/u.exec(f.record_key)?.[1] ?? '';
}

type Builder = (f: Finding, ctx: FindingContext) => string;

function indicator(f: Finding, ctx: FindingContext): { name: string; year: string; row: NumericTarget | null } {
  const row = ctx.numericTargets.find((r) => r.record_key === f.record_key) ?? null;
  return { name: row ? q(row.indicator_name) : 'この指標', year: row ? `${row.fiscal_year_label}(${row.fiscal_year}年度)` : '', row };
}

const RULES: Record<string, Builder> = {
  progress_symbol_mismatch: (f, c) => {
    const i = indicator(f, c);
    return `${i.name}の${i.year}の進捗度は、報告書では${q(f.reported)}ですが、報告書の数値から計算し直すと${q(f.recomputed)}になります。`;
  },
  progress_symbol_missing: (f, c) => {
    const i = indicator(f, c);
    return `${i.name}の${i.year}は、実績値が載っていますが進捗度の記号がありません。計算すると${q(f.recomputed)}です。`;
  },
  progress_for_future_year: (f, c) => {
    const i = indicator(f, c);
    return `${i.name}の${i.year}は報告の対象年度より後なのに、進捗度の記号が付いています。`;
  },
  target_not_numeric: (f, c) => {
    const i = indicator(f, c);
    return `${i.name}の${i.year}の目標${q(i.row?.target_text)}は数値ではないため、進捗度を計算し直せません。`;
  },
  progress_method_inferred: (f) =>
    f.recomputed === 'baseline_relative'
      ? 'この報告書の進捗度は「基準値から目標値までのうち、どこまで進んだか」((実績値−基準値)÷(目標値−基準値))で判定されていると判断し、その方法で計算し直しました。'
      : 'この報告書の進捗度は「目標値に対する実績値の割合」(実績値÷目標値)で判定されていると判断し、その方法で計算し直しました。',
  kpi_progress_sum: (f) => `施策の基本的方向${directionNo(f)}の KPI の進捗度の内訳(○△×と判断困難)を足すと${f.recomputed}件で、KPI の数${f.reported}件と合いません。`,
  kpi_outlook_sum: (f) => `施策の基本的方向${directionNo(f)}の KPI の見込み(A・B・C)を足すと${f.recomputed}件で、KPI の数${f.reported}件と合いません。`,
  kpi_row_missing: (f) => `施策の基本的方向${directionNo(f)}の行が KPI の表に見つかりませんでした。`,
  policy_direction_name_differs: (f) => `施策の基本的方向${directionNo(f)}の名前が、基本目標の一覧では${q(f.recomputed)}、KPI の表では${q(f.reported)}と、少し違います。`,
  table_layout: (f) => `${f.source_page ?? ''}ページの表はセルの位置がそろっていなかったため、行の順番で対応づけて読み取りました。`,
  extraction_uncertain: (f) => `${f.source_page ? `${f.source_page}ページに、` : ''}読み取りに自信のない箇所があります。元の PDF で確かめてください。`,
  legend_not_found: () => '報告書に進捗度の凡例が見つからなかったため、○ は 100%以上、△ は 70%以上100%未満、× は 70%未満として計算しました。',
  unknown_indicator: () => '指標の一覧に登録されていない指標があります。年度をまたいだ比較ができない場合があります。',
  goal_number_inferred: () => '基本目標の番号が読み取れなかったため、前後の内容から推定しました。',
  report_year_mismatch: () => '報告書に書かれた年度と、登録されている年度が合いません。',
  unreadable_year: () => '年度の表記を読み取れませんでした。',
  duplicate_row: () => '同じ行が二度出てきたため、一つにまとめました。',
  schema_invalid: () => '決められた形式に合わない値があったため、その行は公開していません。',
  file_failed: (f) => `ファイル${q(f.record_key)}を処理できなかったため、その内容は含まれていません。`,
  correction_applied: () => '担当者による訂正(corrections.csv)を反映しました。',
  correction_unmatched: () => '訂正ファイル(corrections.csv)の行が、どのデータにも当てはまりませんでした。',
  correction_invalid: () => '訂正ファイル(corrections.csv)の行の書き方が正しくないため、使っていません。',
  cell_truncated: (f) => `文字数が表計算ソフトの1つのセルに入る上限(32,767文字)を超えていたため、最初の${f.recomputed ?? ''}文字だけを公開しています。全文は元の PDF にあります。`,
  row_held: (f) => `${f.source_page ? `${f.source_page}ページの` : ''}この行は読み取りに疑いがあるため、担当者が確認するまで公開していません。`,
  indicator_not_read: (f) => `報告書の${f.source_page ? `${f.source_page}ページ` : '概要'}に挙げられている数値目標${q(f.reported ?? '')}の表を読み取れませんでした。その値は公開していません。元の PDF を確かめてください。`,
  policy_direction_not_read: (f) => `報告書の${f.source_page ? `${f.source_page}ページ` : '概要'}に挙げられている施策の基本的方向${q(f.reported ?? '')}の KPI の行を読み取れませんでした。その値は公開していません。`,
  review_accepted: (f) => `${f.source_page ? `${f.source_page}ページの` : ''}この行は読み取りに疑いがありましたが、担当者が元の PDF と照らし合わせて、読み取ったとおりで正しいと確認しました。`,
};

/** The finding in plain Japanese. */
export function findingJa(f: Finding, ctx: FindingContext): string {
  const build = RULES[f.rule];
  return build ? build(f, ctx) : '確認が必要な点があります(詳しくは英語の説明をご覧ください)。';
}

/** Rules with a Japanese sentence of their own (the rest get a general one). */
export const FINDING_RULES_JA = Object.keys(RULES);
