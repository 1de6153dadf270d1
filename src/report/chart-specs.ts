import type { DailyRow, MrrRow, PayoutDayRow } from './report-data.js';

/** One chart as the page draws it: x in Unix seconds (UTC days or months), amounts in major units. */
export interface ChartSpec {
  readonly id: string;
  readonly title: string;
  readonly currency: string;
  readonly x: number[];
  readonly series: {
    readonly label: string;
    readonly color: string;
    readonly kind: 'line' | 'bars';
    /** A dashed line: a series that mostly follows another (net beside sales). */
    readonly dash?: boolean;
    readonly values: (number | null)[];
  }[];
}

/** ISO 4217 currencies without minor units in Stripe's amounts (Stripe's list). */
const ZERO_DECIMAL = new Set('bif clp djf gnf jpy kmf krw mga pyg rwf ugx vnd vuv xaf xof xpf'.split(' '));

/** Stripe amounts are in minor units: 1999 usd cents are 19.99, 1999 jpy are 1999. */
export function toMajor(currency: string, minor: number): number {
  return ZERO_DECIMAL.has(currency.toLowerCase()) ? minor : minor / 100;
}

const dayTs = (isoDate: string) => Date.parse(`${isoDate.slice(0, 10)}T00:00:00Z`) / 1000;

/** Groups rows by currency, the currencies ordered by `weight` (largest first), then by name. */
function byCurrency<T extends { currency: string }>(rows: readonly T[], weight: (r: T) => number) {
  const groups = new Map<string, T[]>();
  for (const r of rows) groups.set(r.currency, [...(groups.get(r.currency) ?? []), r]);
  const total = (g: T[]) => g.reduce((s, r) => s + Math.abs(weight(r)), 0);
  return [...groups].sort(([a, ga], [b, gb]) => total(gb) - total(ga) || a.localeCompare(b));
}

export const COLORS = {
  sales: '#2563eb',
  refunds: '#d97706',
  fees: '#dc2626',
  net: '#059669',
  mrr: '#7c3aed',
  movement: '#0891b2',
  payouts: '#0f766e',
} as const;

/** Every UTC day from the first to the last of `dates` (ISO), in Unix seconds. */
export function dayRange(dates: readonly string[]): number[] {
  if (dates.length === 0) return [];
  const ts = dates.map(dayTs);
  const out: number[] = [];
  for (let t = Math.min(...ts); t <= Math.max(...ts); t += 86_400) out.push(t);
  return out;
}

/**
 * One chart per currency: sales (bars), refunds, fees and net (lines) per day (`daily_overview`),
 * every chart over the same days. A day without a row had none of them: it is drawn as zero, not
 * interpolated across.
 */
export function dailyCharts(rows: readonly DailyRow[]): ChartSpec[] {
  const x = dayRange(rows.map((r) => r.date_day));
  return byCurrency(rows, (r) => r.sales_amount).map(([currency, g]) => {
    const byDay = new Map(g.map((r) => [dayTs(r.date_day), r]));
    const values = (f: (r: DailyRow) => number) =>
      x.map((t) => toMajor(currency, f(byDay.get(t) ?? ZERO_DAY)));
    return {
      id: `daily-${currency}`,
      title: `Daily sales, refunds, fees and net · ${currency.toUpperCase()}`,
      currency,
      x,
      series: [
        { label: 'Sales', color: COLORS.sales, kind: 'bars', values: values((r) => r.sales_amount) },
        { label: 'Refunds', color: COLORS.refunds, kind: 'line', values: values((r) => r.refunds_amount) },
        { label: 'Fees', color: COLORS.fees, kind: 'line', values: values((r) => r.fees_amount) },
        {
          label: 'Net',
          color: COLORS.net,
          kind: 'line',
          dash: true,
          values: values((r) => r.net_amount),
        },
      ],
    };
  });
}

const ZERO_DAY: DailyRow = {
  date_day: '',
  currency: '',
  sales_amount: 0,
  sales_count: 0,
  refunds_amount: 0,
  refunds_count: 0,
  disputes_count: 0,
  failed_charges_count: 0,
  fees_amount: 0,
  net_amount: 0,
};

/** One chart per currency: ending MRR per month, and the month's net movement as bars. */
export function mrrCharts(rows: readonly MrrRow[]): ChartSpec[] {
  return byCurrency(rows, (r) => r.ending_mrr).map(([currency, g]) => {
    const m = (v: number) => toMajor(currency, v);
    return {
      id: `mrr-${currency}`,
      title: `MRR and net movement per month · ${currency.toUpperCase()}`,
      currency,
      x: g.map((r) => dayTs(r.month)),
      series: [
        {
          label: 'Net movement',
          color: COLORS.movement,
          kind: 'bars',
          values: g.map((r) =>
            m(r.new_mrr + r.expansion_mrr + r.contraction_mrr + r.churned_mrr + r.reactivation_mrr),
          ),
        },
        { label: 'Ending MRR', color: COLORS.mrr, kind: 'line', values: g.map((r) => m(r.ending_mrr)) },
      ],
    };
  });
}

/** One chart per currency: amounts paid out per arrival day. */
export function payoutCharts(rows: readonly PayoutDayRow[]): ChartSpec[] {
  return byCurrency(rows, (r) => r.paid_amount).map(([currency, g]) => ({
    id: `payouts-${currency}`,
    title: `Payouts per arrival day · ${currency.toUpperCase()}`,
    currency,
    x: g.map((r) => dayTs(r.arrival_date)),
    series: [
      {
        label: 'Paid out',
        color: COLORS.payouts,
        kind: 'bars',
        values: g.map((r) => toMajor(currency, r.paid_amount)),
      },
    ],
  }));
}
