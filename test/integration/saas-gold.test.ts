import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CheckResult } from '../../src/quality/types.js';
import {
  type MovementRow,
  type MrrRow,
  oracleMovements,
  oracleMrr,
  oraclePayout,
  type RawBalanceTransaction,
  type RawInvoice,
  type RawInvoiceLine,
  type RawPayout,
  type RawPrice,
} from '../helpers/mrr-oracle.js';
import { checkNamed, markCheckedBefore, qualityOf } from '../helpers/quality.js';
import { at, lineItemRows, payoutRows, priceRows, SaasLake } from '../helpers/saas-lake.js';

// The SaaS Gold models (SPEC 8.1) over hand-written Silver, built by the real Gold build, each
// edge of the MRR rule compared with the independent oracle over the same raw Stripe objects, and
// with the numbers worked out by hand.

type Invoice = RawInvoice & { created: number };
type Price = RawPrice & { created: number };

/** A recurring price created before every test's invoices. */
const price = (id: string, interval: string, interval_count: number): Price => ({
  id,
  created: at('2023-06-01'),
  recurring: { interval, interval_count },
});
const monthly = price('price_month', 'month', 1);
const yearly = price('price_year', 'year', 1);
const quarterly = price('price_quarter', 'month', 3);
const weekly = price('price_week', 'week', 1);
const PRICES: Price[] = [monthly, yearly, quarterly, weekly];

interface LineOpts {
  amount: number;
  from: string;
  to: string;
  price?: Price;
  sub?: string;
  type?: string;
  proration?: boolean;
  discount?: number;
  currency?: string;
}

let lineNo = 0;
function line(o: LineOpts): RawInvoiceLine {
  lineNo += 1;
  return {
    id: `il_${lineNo}`,
    type: o.type ?? 'subscription',
    proration: o.proration ?? false,
    amount: o.amount,
    currency: o.currency ?? 'usd',
    discount_amounts: o.discount ? [{ amount: o.discount }] : [],
    period: { start: at(o.from), end: at(o.to) },
    price: (o.price ?? monthly).id,
    subscription: o.sub ?? 'sub_1',
  };
}

function invoice(
  id: string,
  customer: string,
  created: string,
  lines: RawInvoiceLine[],
  status = 'paid',
): Invoice {
  return { id, customer, status, created: at(created), lines: { data: lines } };
}

/** An invoice of one line, created when the line's period starts. */
const billed = (id: string, customer: string, o: LineOpts & { status?: string }): Invoice =>
  invoice(id, customer, o.from, [line(o)], o.status);

/** Consecutive monthly invoices of one subscription, `amount` each, for the months [from, to). */
function monthlyInvoices(
  customer: string,
  sub: string,
  amount: number,
  months: string[],
  o: { currency?: string; price?: Price } = {},
): Invoice[] {
  return months
    .slice(0, -1)
    .map((m, i) => billed(`in_${sub}_${m}`, customer, { amount, from: m, to: months[i + 1]!, sub, ...o }));
}

let lake: SaasLake;
beforeEach(async () => {
  lake = await SaasLake.open();
});
afterEach(async () => {
  await lake.close();
});

interface GoldMrr {
  month: string;
  customer_id: string;
  currency: string;
  mrr_amount: number;
  subscriptions: number;
}
type GoldMovement = MovementRow;

/** Writes the Silver of these raw objects, builds Gold at `asOf`, and checks it against the oracle. */
async function run(invoices: Invoice[], asOf: number, prices: Price[] = PRICES) {
  await lake.writeSilver('invoice_line_items', lineItemRows(invoices));
  await lake.writeSilver('prices', priceRows(prices));
  const written = await lake.buildGold(asOf);
  const mrr = await lake.gold<GoldMrr>('fct_mrr', 'month, customer_id, currency');
  const movements = await lake.gold<GoldMovement>('mrr_movements', 'month, currency');
  const expectedMrr = oracleMrr({ invoices, prices }, asOf);
  expectSameMrr(mrr, expectedMrr);
  expectSameMovements(movements, oracleMovements(expectedMrr, asOf));
  return { mrr, movements, written };
}

function expectSameMrr(gold: GoldMrr[], oracle: MrrRow[]): void {
  const keyed = (r: { month: string; customer_id: string; currency: string; subscriptions: number }) =>
    `${r.month} ${r.customer_id} ${r.currency} subs=${r.subscriptions}`;
  expect(gold.map(keyed)).toEqual(oracle.map(keyed));
  gold.forEach((g, i) => {
    expect(Math.abs(g.mrr_amount - oracle[i]!.mrr), keyed(g)).toBeLessThanOrEqual(0.01);
  });
}

const MOVEMENT_COLUMNS = [
  'starting_mrr',
  'new_mrr',
  'expansion_mrr',
  'contraction_mrr',
  'churned_mrr',
  'reactivation_mrr',
  'ending_mrr',
  'customers_start',
  'customers_new',
  'customers_churned',
  'customers_reactivated',
  'customers_end',
] as const;

function expectSameMovements(gold: GoldMovement[], oracle: MovementRow[]): void {
  expect(gold.map((r) => `${r.month} ${r.currency}`)).toEqual(oracle.map((r) => `${r.month} ${r.currency}`));
  gold.forEach((g, i) => {
    for (const c of MOVEMENT_COLUMNS) {
      expect(Math.abs(g[c] - oracle[i]![c]), `${g.month} ${g.currency} ${c}`).toBeLessThanOrEqual(0.01);
    }
  });
}

/** `YYYY-MM customer currency amount` lines, amounts to 4 decimals. */
const mrrTable = (rows: GoldMrr[]) =>
  rows.map((r) => `${r.month.slice(0, 7)} ${r.customer_id} ${r.currency} ${r.mrr_amount.toFixed(4)}`);
/** One month's non-zero movements, compactly. */
function moved(rows: GoldMovement[], month: string, currency = 'usd'): Record<string, number> {
  const r = rows.find((x) => x.month.startsWith(month) && x.currency === currency);
  if (!r) throw new Error(`no movements for ${month} ${currency}`);
  return Object.fromEntries(MOVEMENT_COLUMNS.filter((c) => r[c] !== 0).map((c) => [c, r[c]]));
}

/** The non-zero movements of each month listed: `YYYY-MM` (usd) or `YYYY-MM <currency>`. */
function expectMoved(rows: GoldMovement[], months: Record<string, Record<string, number>>): void {
  for (const [key, expected] of Object.entries(months)) {
    const [month, currency] = key.split(' ');
    expect(moved(rows, month!, currency), key).toEqual(expected);
  }
}

describe('fct_mrr and mrr_movements: the edges of SPEC 8.1, equal to the oracle', () => {
  it('a yearly plan counts 1/12 of its amount every month of its year', async () => {
    const { mrr, movements } = await run(
      [billed('in_y', 'cus_a', { amount: 120_000, from: '2024-01-15', to: '2025-01-15', price: yearly })],
      at('2024-04-10T12:00:00Z'),
    );
    expect(mrrTable(mrr)).toEqual([
      '2024-01 cus_a usd 10000.0000',
      '2024-02 cus_a usd 10000.0000',
      '2024-03 cus_a usd 10000.0000',
      '2024-04 cus_a usd 10000.0000',
    ]);
    expectMoved(movements, {
      '2024-01': { new_mrr: 10_000, ending_mrr: 10_000, customers_new: 1, customers_end: 1 },
      '2024-04': { starting_mrr: 10_000, ending_mrr: 10_000, customers_start: 1, customers_end: 1 },
    });
  });

  it('interval_count 3 divides by 3; a weekly plan counts 52/12 of a week; a void invoice counts nothing; the as-of month is measured at the as-of time', async () => {
    const { mrr } = await run(
      [
        billed('in_q1', 'cus_a', { amount: 30_000, from: '2024-01-01', to: '2024-04-01', price: quarterly }),
        billed('in_q2', 'cus_a', {
          amount: 30_000,
          from: '2024-04-01',
          to: '2024-07-01',
          price: quarterly,
          status: 'open',
        }),
        billed('in_w', 'cus_b', {
          amount: 1_200,
          from: '2024-02-26',
          to: '2024-03-04',
          price: weekly,
          sub: 'sub_w',
        }),
        // starts after the as-of time, in the as-of month: not counted yet (measured at as-of)
        billed('in_late', 'cus_d', { amount: 800, from: '2024-05-25', to: '2024-06-25', sub: 'sub_late' }),
        billed('in_void', 'cus_c', {
          amount: 5_000,
          from: '2024-01-01',
          to: '2024-12-01',
          sub: 'sub_v',
          status: 'void',
        }),
      ],
      at('2024-05-20T00:00:00Z'),
    );
    expect(mrrTable(mrr)).toEqual([
      '2024-01 cus_a usd 10000.0000',
      '2024-02 cus_a usd 10000.0000',
      '2024-02 cus_b usd 5200.0000',
      '2024-03 cus_a usd 10000.0000',
      '2024-04 cus_a usd 10000.0000',
      '2024-05 cus_a usd 10000.0000',
    ]);
  });

  it('a quantity change mid-month: the line covering the month end counts, the proration lines do not', async () => {
    const { mrr, movements } = await run(
      [
        billed('in_1', 'cus_a', { amount: 1_000, from: '2024-01-01', to: '2024-02-01' }),
        // quantity 1 -> 3 on Jan 15, invoiced at once: credit for the unused time, charge for the rest
        invoice('in_2', 'cus_a', '2024-01-15', [
          line({ amount: -548, from: '2024-01-15', to: '2024-02-01', proration: true, type: 'invoiceitem' }),
          line({ amount: 1_645, from: '2024-01-15', to: '2024-02-01', proration: true }),
        ]),
        billed('in_3', 'cus_a', { amount: 3_000, from: '2024-02-01', to: '2024-03-01' }),
      ],
      at('2024-02-20T00:00:00Z'),
    );
    expect(mrrTable(mrr)).toEqual(['2024-01 cus_a usd 1000.0000', '2024-02 cus_a usd 3000.0000']);
    expectMoved(movements, {
      '2024-02': {
        starting_mrr: 1_000,
        expansion_mrr: 2_000,
        ending_mrr: 3_000,
        customers_start: 1,
        customers_end: 1,
      },
    });
  });

  it('a 100% coupon is no MRR: no new customer, and a paying customer churns', async () => {
    const bimonthly = price('price_2m', 'month', 2);
    const { mrr, movements } = await run(
      [
        billed('in_free', 'cus_free', {
          amount: 2_000,
          discount: 2_000,
          from: '2024-01-05',
          to: '2024-02-05',
          sub: 'sub_f',
        }),
        billed('in_b1', 'cus_b', { amount: 2_000, from: '2024-01-01', to: '2024-02-01', sub: 'sub_b' }),
        billed('in_b2', 'cus_b', {
          amount: 2_000,
          discount: 2_000,
          from: '2024-02-01',
          to: '2024-03-01',
          sub: 'sub_b',
        }),
        billed('in_c', 'cus_c', {
          amount: 2_000,
          discount: 500,
          from: '2024-01-01',
          to: '2024-03-01',
          price: bimonthly,
          sub: 'sub_c',
        }),
      ],
      at('2024-02-15T00:00:00Z'),
      [...PRICES, bimonthly],
    );
    expect(mrrTable(mrr)).toEqual([
      '2024-01 cus_b usd 2000.0000',
      '2024-01 cus_c usd 750.0000',
      '2024-02 cus_c usd 750.0000',
    ]);
    expectMoved(movements, {
      '2024-01': { new_mrr: 2_750, ending_mrr: 2_750, customers_new: 2, customers_end: 2 },
      '2024-02': {
        starting_mrr: 2_750,
        churned_mrr: -2_000,
        ending_mrr: 750,
        customers_start: 2,
        customers_churned: 1,
        customers_end: 1,
      },
    });
  });

  it('a trial has no MRR; the first paid period is new', async () => {
    const { mrr, movements } = await run(
      [
        billed('in_trial', 'cus_a', { amount: 0, from: '2024-01-10', to: '2024-02-10' }),
        billed('in_paid', 'cus_a', { amount: 4_900, from: '2024-02-10', to: '2024-03-10' }),
      ],
      at('2024-02-25T00:00:00Z'),
    );
    expect(mrrTable(mrr)).toEqual(['2024-02 cus_a usd 4900.0000']);
    expect(movements.map((m) => m.month)).toEqual(['2024-02-01']);
    expectMoved(movements, {
      '2024-02': { new_mrr: 4_900, ending_mrr: 4_900, customers_new: 1, customers_end: 1 },
    });
  });

  it('a cancellation at period end churns in the month the last period ends', async () => {
    const { mrr, movements } = await run(
      monthlyInvoices('cus_a', 'sub_1', 1_000, ['2024-01-01', '2024-02-01', '2024-03-01', '2024-04-01']),
      at('2024-05-10T00:00:00Z'),
    );
    expect(mrrTable(mrr)).toEqual([
      '2024-01 cus_a usd 1000.0000',
      '2024-02 cus_a usd 1000.0000',
      '2024-03 cus_a usd 1000.0000',
    ]);
    expectMoved(movements, {
      '2024-04': { starting_mrr: 1_000, churned_mrr: -1_000, customers_start: 1, customers_churned: 1 },
      '2024-05': {},
    });
  });

  it('a reactivation after two empty months', async () => {
    const { movements } = await run(
      [
        ...monthlyInvoices('cus_a', 'sub_1', 1_000, ['2024-01-01', '2024-02-01']),
        ...monthlyInvoices('cus_a', 'sub_2', 1_500, ['2024-04-03', '2024-05-03', '2024-06-03']),
      ],
      at('2024-05-20T00:00:00Z'),
    );
    expect(movements.map((m) => [m.month.slice(0, 7), m.ending_mrr])).toEqual([
      ['2024-01', 1_000],
      ['2024-02', 0],
      ['2024-03', 0],
      ['2024-04', 1_500],
      ['2024-05', 1_500],
    ]);
    expectMoved(movements, {
      '2024-02': { starting_mrr: 1_000, churned_mrr: -1_000, customers_start: 1, customers_churned: 1 },
      '2024-04': { reactivation_mrr: 1_500, ending_mrr: 1_500, customers_reactivated: 1, customers_end: 1 },
    });
  });

  it('two currencies of one customer stay apart', async () => {
    const { mrr, movements } = await run(
      [
        ...monthlyInvoices('cus_a', 'sub_usd', 1_000, ['2024-01-01', '2024-02-01', '2024-03-01']),
        ...monthlyInvoices('cus_a', 'sub_eur', 900, ['2024-02-01', '2024-03-01'], { currency: 'eur' }),
      ],
      at('2024-02-20T00:00:00Z'),
    );
    expect(mrrTable(mrr)).toEqual([
      '2024-01 cus_a usd 1000.0000',
      '2024-02 cus_a eur 900.0000',
      '2024-02 cus_a usd 1000.0000',
    ]);
    expectMoved(movements, {
      '2024-02 eur': { new_mrr: 900, ending_mrr: 900, customers_new: 1, customers_end: 1 },
      '2024-02 usd': { starting_mrr: 1_000, ending_mrr: 1_000, customers_start: 1, customers_end: 1 },
    });
  });
});

type Payout = RawPayout & { created: number; transactions: (RawBalanceTransaction & { created: number })[] };

/** A paid automatic payout of a charge, a refund, a lost dispute and an adjustment, plus its own transaction. */
function payoutOf(id: string, arrival: string, o: { amount?: number; status?: string } = {}): Payout {
  const created = at(arrival) - 2 * 86_400;
  const bt = (suffix: string, amount: number, fee: number, type: string, reporting_category: string) => ({
    id: `txn_${id}_${suffix}`,
    created: created - 86_400,
    amount,
    fee,
    net: amount - fee,
    type,
    reporting_category,
  });
  const transactions = [
    bt('ch', 10_000, 320, 'charge', 'charge'),
    bt('re', -2_000, 0, 'refund', 'refund'),
    bt('dp', -5_000, 1_500, 'adjustment', 'dispute'),
    bt('adj', 100, 0, 'adjustment', 'other_adjustment'),
    { ...bt('own', -1_280, 0, 'payout', 'payout'), created },
  ];
  return {
    id,
    created,
    amount: o.amount ?? 1_280,
    currency: 'usd',
    status: o.status ?? 'paid',
    automatic: true,
    arrival_date: at(arrival),
    balance_transaction: `txn_${id}_own`,
    transactions,
  };
}

async function writePayouts(payouts: Payout[]): Promise<void> {
  const rows = payoutRows(payouts);
  await lake.writeSilver('payouts', rows.payouts);
  await lake.writeSilver('payout_balance_transactions', rows.payout_balance_transactions);
  await lake.writeSilver('balance_transactions', rows.balance_transactions);
}

describe('fct_payouts', () => {
  it("splits a payout's transactions by category, leaves its own transaction out, and equals the oracle", async () => {
    const payouts = [
      payoutOf('po_1', '2024-03-05'),
      payoutOf('po_2', '2024-03-06', { status: 'in_transit', amount: 999 }),
    ];
    await writePayouts(payouts);
    const written = await lake.buildGold(at('2024-03-10'));
    expect(written.fct_payouts).toEqual(['2024-03-05', '2024-03-06']);
    const rows = await lake.gold<Record<string, unknown>>('fct_payouts', 'payout_id');
    expect(rows[0]).toMatchObject({
      payout_id: 'po_1',
      arrival_date: '2024-03-05',
      amount: 1_280,
      status: 'paid',
      automatic: true,
      transactions_count: 4,
      transactions_net: 1_280,
      charges_amount: 10_000,
      refunds_amount: -2_000,
      disputes_amount: -5_000,
      fees_amount: 1_820,
      other_net: 100,
      is_reconciled: true,
    });
    expect(rows[1]).toMatchObject({ payout_id: 'po_2', is_reconciled: false, transactions_net: 1_280 });
    for (const [i, p] of payouts.entries()) {
      expect(rows[i]).toMatchObject({ ...oraclePayout(p, p.transactions) });
    }
  });
});

describe('the SaaS Gold models are incremental', () => {
  it('a changed invoice rewrites its month and the movements after it that changed; a changed payout its arrival date', async () => {
    const months = [
      '2024-01-01',
      '2024-02-01',
      '2024-03-01',
      '2024-04-01',
      '2024-05-01',
      '2024-06-01',
      '2024-07-01',
    ];
    const invoices = [
      ...monthlyInvoices('cus_a', 'sub_a', 1_000, months),
      ...monthlyInvoices('cus_b', 'sub_b', 2_000, months),
    ];
    const asOf = at('2024-06-15');
    const payouts = [payoutOf('po_1', '2024-03-05'), payoutOf('po_2', '2024-04-05')];
    await writePayouts(payouts);
    const first = await run(invoices, asOf);
    expect(first.written.fct_mrr).toHaveLength(6);
    expect(first.written.mrr_movements).toHaveLength(6);

    const again = await run(invoices, asOf);
    expect([again.written.fct_mrr, again.written.mrr_movements, again.written.fct_payouts]).toEqual([
      [],
      [],
      [],
    ]);

    // cus_a's March invoice: 1000 -> 1500 (a plan change for one month)
    const changed = invoices.map((inv) =>
      inv.id === 'in_sub_a_2024-03-01'
        ? { ...inv, lines: { data: inv.lines.data.map((l) => ({ ...l, amount: 1_500 })) } }
        : inv,
    );
    const third = await run(changed, asOf);
    expect(third.written.fct_mrr).toEqual(['2024-03-01']);
    // March: expansion; April: starts from the new March and contracts; May on: unchanged
    expect(third.written.mrr_movements).toEqual(['2024-03-01', '2024-04-01']);
    expect(third.written.fct_payouts).toEqual([]);

    await writePayouts([payouts[0]!, payoutOf('po_2', '2024-04-05', { amount: 1_000 })]);
    const fourth = await lake.buildGold(asOf);
    expect([fourth.fct_mrr, fourth.mrr_movements, fourth.fct_payouts]).toEqual([[], [], ['2024-04-05']]);
  });

  it('payouts without their transaction links yet (an older lake): no fct_payouts rows, reconcile.payouts passes', async () => {
    await lake.writeSilver('payouts', payoutRows([payoutOf('po_1', '2024-03-05')]).payouts);
    const written = await lake.buildGold(at('2024-03-10'));
    expect(written.fct_payouts).toEqual([]);
    const report = await qualityOf(lake.store, at('2024-03-10'), { scope: 'all' });
    const fctPayoutsChecks = report.checks
      .filter((c) =>
        ['reconcile.payouts', 'freshness.fct_payouts', 'schema.gold.fct_payouts'].includes(c.name),
      )
      .map((c) => [c.name, c.passed]);
    expect(fctPayoutsChecks).toEqual([
      ['schema.gold.fct_payouts', true],
      ['reconcile.payouts', true],
      ['freshness.fct_payouts', true],
    ]);
  });

  it('a lake without the SaaS Silver tables builds them empty, without failing', async () => {
    const written = await lake.buildGold(at('2024-06-15'));
    expect([written.fct_mrr, written.mrr_movements, written.fct_payouts]).toEqual([[], [], []]);
    expect(await lake.gold('fct_mrr', 'month')).toEqual([]);
    expect(await lake.gold('fct_payouts', 'payout_id')).toEqual([]);
  });
});

describe('reconcile.mrr and reconcile.payouts', () => {
  const asOf = at('2024-04-15');

  async function goodLake(): Promise<void> {
    const months = ['2024-01-01', '2024-02-01', '2024-03-01', '2024-04-01', '2024-05-01'];
    await writePayouts([payoutOf('po_1', '2024-03-05'), payoutOf('po_2', '2024-03-06')]);
    await run(
      [
        ...monthlyInvoices('cus_a', 'sub_a', 1_000, months),
        ...monthlyInvoices('cus_b', 'sub_b', 2_500, months.slice(0, 3)),
        billed('in_y', 'cus_c', {
          amount: 60_000,
          from: '2024-02-10',
          to: '2025-02-10',
          price: yearly,
          sub: 'sub_c',
        }),
      ],
      asOf,
    );
  }

  async function checks(): Promise<Record<'reconcile.mrr' | 'reconcile.payouts', CheckResult>> {
    const report = await qualityOf(lake.store, asOf, { scope: 'all' });
    const get = (name: string) => checkNamed(report, name);
    return { 'reconcile.mrr': get('reconcile.mrr'), 'reconcile.payouts': get('reconcile.payouts') };
  }

  it('pass on a good lake', async () => {
    await goodLake();
    const r = await checks();
    expect(r['reconcile.mrr'], JSON.stringify(r['reconcile.mrr'].details)).toMatchObject({
      passed: true,
      severity: 'error',
    });
    expect(r['reconcile.mrr'].details).toMatchObject({ gold_keys: 9, silver_keys: 9 });
    expect(r['reconcile.payouts'], JSON.stringify(r['reconcile.payouts'].details)).toMatchObject({
      passed: true,
      severity: 'error',
    });
    expect(r['reconcile.payouts'].details).toMatchObject({ gold_keys: 2 });
  });

  it('reconcile.mrr names a fct_mrr row altered behind the pipeline', async () => {
    await goodLake();
    await lake.rewriteGold(
      'fct_mrr',
      '2024-02-01',
      `update t set mrr_amount = mrr_amount + 1 where customer_id = 'cus_b'`,
    );
    const { 'reconcile.mrr': mrr } = await checks();
    expect(mrr.passed).toBe(false);
    expect(mrr.details.mismatches).toEqual({
      count: 1,
      examples: [
        {
          month: '2024-02-01',
          customer_id: 'cus_b',
          currency: 'usd',
          silver: { mrr_amount: 2_500, subscriptions: 1 },
          gold: { mrr_amount: 2_501, subscriptions: 1 },
        },
      ],
    });
    // and the movements no longer add up to it
    expect(mrr.details.identity_failures).toMatchObject({
      count: 1,
      examples: [
        { month: '2024-02-01', currency: 'usd', rule: 'fct_mrr does not sum to ending_mrr / customers_end' },
      ],
    });
  });

  it('reconcile.mrr names a month whose movements were altered behind the pipeline', async () => {
    await goodLake();
    await lake.rewriteGold('mrr_movements', '2024-04-01', `update t set churned_mrr = churned_mrr - 100`);
    const { 'reconcile.mrr': mrr } = await checks();
    expect(mrr.passed).toBe(false);
    expect(mrr.details.mismatches).toMatchObject({ count: 0 });
    expect(mrr.details.identity_failures).toMatchObject({
      count: 1,
      examples: [{ month: '2024-04-01', currency: 'usd', rule: 'ending_mrr <> starting_mrr + movements' }],
    });
  });

  it("reconcile.payouts' changed scope compares the payouts whose rows changed since the last passing run; 'all' every payout", async () => {
    // days apart: no partition holds transactions of both
    await writePayouts([payoutOf('po_1', '2024-03-05'), payoutOf('po_2', '2024-03-20')]);
    expect((await lake.buildGold(asOf)).fct_payouts).toEqual(['2024-03-05', '2024-03-20']);
    // a defect in po_1's Gold row, in a partition checked before: the changed scope reads none of it
    await lake.rewriteGold('fct_payouts', '2024-03-05', 'update t set charges_amount = 9_000');
    await markCheckedBefore(lake.store);
    const quiet = checkNamed(await qualityOf(lake.store, asOf), 'reconcile.payouts');
    expect(quiet).toMatchObject({
      passed: true,
      details: { payouts_checked: 'changed', changed_partitions: [], silver_keys: 0, gold_keys: 0 },
    });
    const all = checkNamed(await qualityOf(lake.store, asOf, { scope: 'all' }), 'reconcile.payouts');
    expect(all.passed).toBe(false);
    expect(all.details.payouts_checked).toBeUndefined();
    expect(all.details.mismatches).toMatchObject({ count: 1, examples: [{ payout_id: 'po_1' }] });
    // one of po_2's balance transactions changes in Silver only (Gold not rebuilt): its partition
    // is not the payout's, and the payout is compared through its link; po_1 is still not read
    const created = payoutOf('po_2', '2024-03-20').transactions[0]!.created;
    await lake.rewriteSilver(
      'balance_transactions',
      new Date(created * 1000).toISOString().slice(0, 10),
      `update t set amount = amount + 5, net = net + 5 where id = 'txn_po_2_ch'`,
    );
    const changed = checkNamed(await qualityOf(lake.store, asOf), 'reconcile.payouts');
    expect(changed).toMatchObject({
      passed: false,
      details: { changed_partitions: ['balance_transactions: 1'], silver_keys: 1, gold_keys: 1 },
    });
    expect(changed.details.mismatches).toMatchObject({
      count: 1,
      examples: [{ payout_id: 'po_2', silver: { charges_amount: 10_005, unreconciled: 5 } }],
    });
  });

  it('reconcile.payouts names an altered payout, and a paid payout whose transactions do not sum to it', async () => {
    await goodLake();
    // the source's po_2 does not add up (Gold built from it faithfully), and po_1 is altered in Gold
    const silver = payoutRows([
      payoutOf('po_1', '2024-03-05'),
      payoutOf('po_2', '2024-03-06', { amount: 1_300 }),
    ]);
    await lake.writeSilver('payouts', silver.payouts);
    expect((await lake.buildGold(asOf)).fct_payouts).toEqual(['2024-03-06']);
    await lake.rewriteGold('fct_payouts', '2024-03-05', 'update t set charges_amount = 9_000');
    const { 'reconcile.payouts': payouts } = await checks();
    expect(payouts.passed).toBe(false);
    expect(payouts.details.mismatches).toMatchObject({
      count: 2,
      examples: [
        { payout_id: 'po_1', silver: { charges_amount: 10_000 }, gold: { charges_amount: 9_000 } },
        { payout_id: 'po_2', silver: { unreconciled: -20 }, gold: { unreconciled: 0 } },
      ],
    });
  });
});
