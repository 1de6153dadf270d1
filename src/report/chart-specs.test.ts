import { describe, expect, it } from 'vitest';
import { dailyCharts, dayRange, payoutCharts, toMajor } from './chart-specs.js';
import type { DailyRow } from './report-data.js';

const row = (date_day: string, currency: string, sales: number): DailyRow => ({
  date_day,
  currency,
  sales_amount: sales,
  sales_count: 1,
  refunds_amount: 10,
  refunds_count: 1,
  disputes_count: 0,
  failed_charges_count: 0,
  fees_amount: 30,
  net_amount: sales - 40,
});

describe('chart specs', () => {
  it('amounts in major units; zero-decimal currencies as they are', () => {
    expect(toMajor('usd', 1999)).toBe(19.99);
    expect(toMajor('JPY', 1999)).toBe(1999);
  });

  it('every day of the span, once, in order', () => {
    const day = (d: string) => Date.parse(`${d}T00:00:00Z`) / 1000;
    expect(dayRange(['2024-03-03', '2024-02-28', '2024-03-01'])).toEqual(
      ['2024-02-28', '2024-02-29', '2024-03-01', '2024-03-02', '2024-03-03'].map(day),
    );
    expect(dayRange([])).toEqual([]);
  });

  it('one daily chart per currency, largest sales first, a day without a row drawn as zero', () => {
    const charts = dailyCharts([
      row('2024-01-01', 'eur', 500),
      row('2024-01-03', 'eur', 700),
      row('2024-01-02', 'usd', 100_000),
    ]);
    expect(charts.map((c) => c.id)).toEqual(['daily-usd', 'daily-eur']);
    const eur = charts[1]!;
    expect(eur.x).toHaveLength(3);
    expect(eur.series.map((s) => s.label)).toEqual(['Sales', 'Refunds', 'Fees', 'Net']);
    expect(eur.series[0]!.values).toEqual([5, 0, 7]);
    expect(eur.series[3]!.values).toEqual([4.6, 0, 6.6]);
  });

  it('payouts per arrival day and currency', () => {
    const [c] = payoutCharts([
      {
        arrival_date: '2024-01-05',
        currency: 'gbp',
        paid_amount: 12_345,
        payouts: 1,
        failed: 0,
        unreconciled: 0,
      },
    ]);
    expect(c).toMatchObject({ id: 'payouts-gbp', x: [Date.parse('2024-01-05T00:00:00Z') / 1000] });
    expect(c!.series[0]!.values).toEqual([123.45]);
  });
});
