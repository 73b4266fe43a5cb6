/** Cell parsing, text normalisation and the progress arithmetic, case by case. */
import { describe, expect, it } from 'vitest';
import { circledNumber, joinWrapped, normalizeText } from '../pipeline/extract/text.js';
import { parseFiscalYear, parseGrade, parseProgressSymbol, parseQuantity, splitBaselineCell } from '../pipeline/normalize/parse.js';
import { attainment, baselineRelative, legendThresholds, symbolFor } from '../pipeline/validate/index.js';

describe('normalizeText', () => {
  it.each([
    ['⼒', '力'],
    ['⾼齢', '高齢'],
    ['久留⽶市', '久留米市'],
    ['⻑期', '長期'],
    ['１６，５０７人', '16,507人'],
    ['ＫＰＩ', 'KPI'],
    ['①ものづくり', '①ものづくり'],
    ['⑫連携', '⑫連携'],
    ['\u0336', '—'],
    ['○ △ ×', '○ △ ×'],
    ['◯', '○'],
    ['雇用‧就労', '雇用・就労'],
  ])('%s → %s', (input, output) => expect(normalizeText(input)).toBe(output));

  it('numbers circled digits', () => {
    expect([circledNumber('①'), circledNumber('⑫'), circledNumber('㉑'), circledNumber('A')]).toEqual([1, 12, 21, null]);
  });

  it('joins wrapped Japanese lines without spaces, Latin words with one', () => {
    expect(joinWrapped('基準値滞在人口を維\n持')).toBe('基準値滞在人口を維持');
    expect(joinWrapped('55\n0人/年')).toBe('550人/年');
    expect(joinWrapped('Win\nWin')).toBe('Win Win');
  });
});

describe('parseQuantity', () => {
  it.each([
    ['16,507人以上', 16507, '人', 'ge', 'final'],
    ['16,639人', 16639, '人', null, 'final'],
    ['13.0%', 13, '%', null, 'final'],
    ['525万人\n(集計中)', 5250000, '人', null, 'provisional'],
    ['530万人', 5300000, '人', null, 'final'],
    ['650人/年', 650, '人', null, 'final'],
    ['80%以下', 80, '%', 'le', 'final'],
    ['3件未満', 3, '件', 'lt', 'final'],
    ['▲12', -12, null, null, 'final'],
  ])('%s', (text, value, unit, comparator, status) => {
    const q = parseQuantity(text);
    expect([q.value, q.unit, q.comparator, q.status, q.doubt]).toEqual([value, unit, comparator, status, null]);
  });

  it('treats dashes and blanks as missing', () => {
    for (const t of ['—', '-', '', '―', 'ー']) expect(parseQuantity(t).status).toBe('missing');
    expect(parseQuantity(null).value).toBeNull();
  });

  it('keeps text targets as text', () => {
    const q = parseQuantity('滞在人口を維持');
    expect([q.value, q.text, q.status]).toEqual([null, '滞在人口を維持', 'missing']);
    expect(parseQuantity('基準年を毎年上回る').comparator).toBe('gt');
  });

  it('picks the number in the indicator unit, skipping periods like 5年間', () => {
    expect(parseQuantity('5年間の平均 550人/年', '人').value).toBe(550);
    expect(parseQuantity('H26年度:16,507人').value).toBe(16507);
  });

  it('says when a cell holds several numbers it cannot choose between', () => {
    const q = parseQuantity('平日 485,900人 休日 487,400人');
    expect(q.doubt).toMatch(/several numbers/u);
  });
});

describe('parseFiscalYear', () => {
  it.each([
    ['H27', 2015, 'H27'],
    ['平成27年度', 2015, 'H27'],
    ['H31', 2019, 'H31'],
    ['R1', 2019, 'R1'],
    ['R元', 2019, 'R1'],
    ['令和元年度', 2019, 'R1'],
    ['令和2年度', 2020, 'R2'],
    ['2019年度', 2019, '2019'],
  ])('%s → %i', (label, year, norm) => expect(parseFiscalYear(label)).toEqual({ fiscalYear: year, label: norm }));

  it('refuses what is not a year', () => {
    expect(parseFiscalYear('H32X')).toBeNull();
    expect(parseFiscalYear('年度')).toBeNull();
  });
});

describe('symbols, grades and the baseline cell', () => {
  it('reads progress symbols and grades', () => {
    expect(['○', '〇', '△', '×', '—', ' - ', ''].map((s) => parseProgressSymbol(s).symbol)).toEqual(['○', '○', '△', '×', '-', '-', null]);
    expect(parseProgressSymbol('?').doubt).toMatch(/unreadable/u);
    expect(['A', 'b', '—', ''].map((s) => parseGrade(s).grade)).toEqual(['A', 'B', null, null]);
  });

  it('splits baseline ▼ final target', () => {
    expect(splitBaselineCell('16,507人\n▼\n基準年を毎年上回る')).toEqual({ baseline: '16,507人', final: '基準年を毎年上回る' });
    expect(splitBaselineCell('▼\n基準値滞在人口を維\n持')).toEqual({ baseline: null, final: '基準値滞在人口を維持' });
  });
});

describe('progress arithmetic', () => {
  const row = (baseline: number | null, target: number, actual: number, direction: 'higher_is_better' | 'lower_is_better' | 'unknown' = 'higher_is_better') => ({
    baseline_value: baseline,
    target_value: target,
    actual_value: actual,
    direction,
  });
  it('computes attainment both ways', () => {
    expect(attainment(row(12, 14, 11.2))).toBeCloseTo(80);
    expect(attainment(row(650, 550, 467, 'lower_is_better'))).toBeCloseTo(117.77, 1);
    expect(attainment(row(null, 550, 467, 'unknown'))).toBeNull();
  });
  it('computes baseline-relative progress, undefined when the target equals the baseline', () => {
    expect(baselineRelative(row(12, 14, 11.2))).toBeCloseTo(-40);
    expect(baselineRelative(row(515e4, 530e4, 525e4))).toBeCloseTo(66.67, 1);
    expect(baselineRelative(row(16507, 16507, 16639))).toBeNull();
  });
  it('reads the thresholds from the legend and maps ratios to symbols', () => {
    const t = legendThresholds(['○:達成できた(100%以上) △:概ね達成できた(70-100%未満) ×:達成できなかった(70%未満) -:現時点では判断が困難']);
    expect(t).toEqual({ achieved: 100, mostly: 70, fromLegend: true });
    expect([symbolFor(100, t), symbolFor(99.9, t), symbolFor(70, t), symbolFor(69.9, t)]).toEqual(['○', '△', '△', '×']);
    expect(legendThresholds(['○:達成(90%以上) △:(50-90%未満)'])).toMatchObject({ achieved: 90, mostly: 50 });
    expect(legendThresholds([]).fromLegend).toBe(false);
  });
});
