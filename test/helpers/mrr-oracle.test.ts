import { describe, expect, it } from 'vitest';
import { oracleMovements, oracleMrr, oraclePayout, type RawInvoice, type RawPrice } from './mrr-oracle.js';

// The oracle on hand-written raw Stripe objects, numbers worked out by hand.

const t = (iso: string) => Date.parse(`${iso}T00:00:00Z`) / 1000;
const prices: RawPrice[] = [
  { id: 'p_m', recurring: { interval: 'month', interval_count: 1 } },
  { id: 'p_3m', recurring: { interval: 'month', interval_count: 3 } },
  { id: 'p_y', recurring: { interval: 'year', interval_count: 1 } },
  { id: 'p_w', recurring: { interval: 'week', interval_count: 2 } },
  { id: 'p_d', recurring: { interval: 'day', interval_count: 1 } },
  { id: 'p_once', recurring: null },
];
const inv = (
  id: string,
  customer: string,
  status: string,
  lines: RawInvoice['lines']['data'],
): RawInvoice => ({
  id,
  customer,
  status,
  lines: { data: lines },
});
const sub = (o: {
  id: string;
  amount: number;
  from: string;
  to: string;
  price: string;
  currency?: string;
}) => ({
  id: o.id,
  type: 'subscription',
  proration: false,
  amount: o.amount,
  currency: o.currency ?? 'usd',
  period: { start: t(o.from), end: t(o.to) },
  price: o.price,
  subscription: `sub_${o.id}`,
});

describe('oracleMrr', () => {
  it('normalises by interval and interval_count: month 1/n, year 1/12n, week 52/12n, day 365/12n', () => {
    const invoices = (
      [
        ['in_1', 'c_m', 'paid', 'a', 999, '2024-03-01', '2024-04-01', 'p_m'],
        ['in_2', 'c_3m', 'paid', 'b', 3000, '2024-03-01', '2024-06-01', 'p_3m'],
        ['in_3', 'c_y', 'open', 'c', 12000, '2024-03-01', '2025-03-01', 'p_y'],
        ['in_4', 'c_w', 'paid', 'd', 600, '2024-03-25', '2024-04-08', 'p_w'],
        ['in_5', 'c_d', 'paid', 'e', 100, '2024-03-31', '2024-04-01', 'p_d'],
        ['in_6', 'c_once', 'paid', 'f', 5000, '2024-03-01', '2024-04-01', 'p_once'],
        ['in_7', 'c_void', 'void', 'g', 5000, '2024-03-01', '2024-04-01', 'p_m'],
        ['in_8', 'c_draft', 'draft', 'h', 5000, '2024-03-01', '2024-04-01', 'p_m'],
      ] as const
    ).map(([id, customer, status, line, amount, from, to, price]) =>
      inv(id, customer, status, [sub({ id: line, amount, from, to, price })]),
    );
    const rows = oracleMrr({ invoices, prices }, t('2024-03-31') + 86_399);
    expect(rows.map((r) => [r.customer_id, Math.round(r.mrr * 10_000) / 10_000])).toEqual([
      ['c_3m', 1000],
      ['c_d', 3041.6667],
      ['c_m', 999],
      ['c_w', 1300],
      ['c_y', 1000],
    ]);
  });

  it('skips prorations and non-subscription lines, nets discounts, reads newer API line shapes and expanded prices', () => {
    const invoices = [
      inv('in_1', 'c_1', 'paid', [
        {
          ...sub({ id: 'a', amount: 2000, from: '2024-01-01', to: '2024-02-01', price: 'p_m' }),
          discount_amounts: [{ amount: 300 }, { amount: 200 }],
        },
        {
          ...sub({ id: 'b', amount: 700, from: '2024-01-10', to: '2024-02-01', price: 'p_m' }),
          proration: true,
        },
        {
          ...sub({ id: 'c', amount: 900, from: '2024-01-10', to: '2024-02-01', price: 'p_m' }),
          type: 'invoiceitem',
        },
      ]),
      // a newer API version: no `type`/`price` on the line, but parent and pricing
      inv('in_2', 'c_2', 'paid', [
        {
          id: 'il_new',
          amount: 4000,
          currency: 'eur',
          period: { start: t('2024-01-01'), end: t('2024-02-01') },
          parent: {
            type: 'subscription_item_details',
            subscription_item_details: { subscription: 'sub_new' },
          },
          pricing: { price_details: { price: 'p_m' } },
        },
      ]),
      // an expanded price object on the line
      inv('in_3', 'c_3', 'paid', [
        {
          ...sub({ id: 'd', amount: 2400, from: '2024-01-01', to: '2025-01-01', price: 'x' }),
          price: prices[2]!,
        },
      ]),
    ];
    expect(oracleMrr({ invoices, prices }, t('2024-01-20'))).toEqual([
      { month: '2024-01-01', customer_id: 'c_1', currency: 'usd', mrr: 1500, subscriptions: 1 },
      { month: '2024-01-01', customer_id: 'c_2', currency: 'eur', mrr: 4000, subscriptions: 1 },
      { month: '2024-01-01', customer_id: 'c_3', currency: 'usd', mrr: 200, subscriptions: 1 },
    ]);
  });

  it('measures a month at its last second, the as-of month at the as-of time', () => {
    const invoices = [
      inv('in_1', 'c_1', 'paid', [
        sub({ id: 'a', amount: 1000, from: '2024-01-01', to: '2024-02-01', price: 'p_m' }),
      ]),
      // starts on the last second of February: counts for February
      inv('in_2', 'c_2', 'paid', [
        {
          ...sub({ id: 'b', amount: 500, from: '2024-02-01', to: '2024-04-01', price: 'p_m' }),
          period: { start: t('2024-03-01') - 1, end: t('2024-04-01') },
        },
      ]),
      // starts after the as-of time in March: not yet
      inv('in_3', 'c_3', 'paid', [
        sub({ id: 'c', amount: 700, from: '2024-03-20', to: '2024-04-20', price: 'p_m' }),
      ]),
    ];
    expect(
      oracleMrr({ invoices, prices }, t('2024-03-10')).map((r) => `${r.month} ${r.customer_id}`),
    ).toEqual(['2024-01-01 c_1', '2024-02-01 c_2', '2024-03-01 c_2']);
  });
});

describe('oracleMovements', () => {
  const row = (month: string, customer_id: string, mrr: number, currency = 'usd') => ({
    month,
    customer_id,
    currency,
    mrr,
    subscriptions: 1,
  });

  it('classifies new, expansion, contraction, churn and reactivation; the identities hold', () => {
    const mrr = [
      row('2024-01-01', 'a', 100),
      row('2024-02-01', 'a', 150),
      row('2024-02-01', 'b', 80),
      row('2024-03-01', 'b', 50),
      row('2024-05-01', 'a', 120),
      row('2024-05-01', 'b', 50, 'eur'),
    ];
    const moves = oracleMovements(mrr, t('2024-05-15'));
    const pick = (m: string, c = 'usd') => moves.find((x) => x.month === m && x.currency === c)!;
    expect(pick('2024-01-01')).toMatchObject({ new_mrr: 100, customers_new: 1, ending_mrr: 100 });
    expect(pick('2024-02-01')).toMatchObject({
      starting_mrr: 100,
      expansion_mrr: 50,
      new_mrr: 80,
      ending_mrr: 230,
    });
    expect(pick('2024-03-01')).toMatchObject({
      churned_mrr: -150,
      contraction_mrr: -30,
      customers_churned: 1,
      ending_mrr: 50,
    });
    expect(pick('2024-04-01')).toMatchObject({
      starting_mrr: 50,
      churned_mrr: -50,
      ending_mrr: 0,
      customers_end: 0,
    });
    expect(pick('2024-05-01')).toMatchObject({
      reactivation_mrr: 120,
      customers_reactivated: 1,
      ending_mrr: 120,
    });
    // b's first euro month is new in euros, though it had dollars before
    expect(pick('2024-05-01', 'eur')).toMatchObject({ new_mrr: 50, customers_new: 1, starting_mrr: 0 });
    expect(moves.map((m) => `${m.month} ${m.currency}`)).toEqual([
      '2024-01-01 usd',
      '2024-02-01 usd',
      '2024-03-01 usd',
      '2024-04-01 usd',
      '2024-05-01 eur',
      '2024-05-01 usd',
    ]);
    let previous = 0;
    for (const m of moves.filter((x) => x.currency === 'usd')) {
      expect(m.starting_mrr).toBe(previous);
      const moved = m.new_mrr + m.expansion_mrr + m.contraction_mrr + m.churned_mrr + m.reactivation_mrr;
      expect(m.ending_mrr).toBeCloseTo(m.starting_mrr + moved, 9);
      previous = m.ending_mrr;
    }
  });
});

describe('oraclePayout', () => {
  it("sums a payout's transactions by category, its own transaction left out", () => {
    const bt = (id: string, amount: number, fee: number, type: string, reporting_category: string) => ({
      id,
      amount,
      fee,
      net: amount - fee,
      type,
      reporting_category,
    });
    const payout = {
      id: 'po_1',
      amount: 9_700,
      currency: 'usd',
      status: 'paid',
      automatic: true,
      arrival_date: t('2024-03-05'),
      balance_transaction: 'txn_own',
    };
    const txns = [
      bt('txn_ch', 10_000, 300, 'charge', 'charge'),
      bt('txn_ch', 10_000, 300, 'charge', 'charge'),
      bt('txn_re', -1_000, 0, 'refund', 'refund'),
      bt('txn_dp', -1_000, 1_500, 'adjustment', 'dispute'),
      bt('txn_dr', 1_000, 0, 'adjustment', 'dispute_reversal'),
      bt('txn_other', 500, 0, 'adjustment', 'other_adjustment'),
      bt('txn_own', -9_700, 0, 'payout', 'payout'),
      // an earlier failed payout's money, returned to the balance and paid out again by this one
      bt('txn_failed', 2_000, 0, 'payout_failure', 'payout_reversal'),
    ];
    expect(oraclePayout(payout, txns)).toEqual({
      payout_id: 'po_1',
      transactions_count: 6,
      transactions_net: 9_700,
      charges_amount: 10_000,
      refunds_amount: -1_000,
      disputes_amount: 0,
      fees_amount: 1_800,
      other_net: 2_500,
      is_reconciled: true,
    });
  });
});
