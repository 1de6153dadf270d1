import type Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MockApi, startMockApi } from '../../src/mock/index.js';
import { fetchTruth } from '../helpers/mock-control.js';
import { stripeOnMock } from '../helpers/stripe-on-mock.js';

// The SaaS routes of issue #19 walked by the official `stripe` client, unchanged, each with
// `autoPagingEach` over small pages (limit 3: many pages, so the client's own paging is what is
// tested), against the mock's truth: the same ids, in the same order, and the same objects.
// 150 days of a small volume: a catalogue with archived and deleted objects, paid and failed payouts.
const NOW = Date.parse('2026-03-15T12:00:00Z') / 1000;

type Obj = Record<string, unknown> & { id: string };

/** Every object one `autoPagingEach` walk yields, in order. */
async function walk<T extends { id: string }>(list: Stripe.ApiListPromise<T>): Promise<T[]> {
  const out: T[] = [];
  await list.autoPagingEach((o) => {
    out.push(o);
  });
  return out;
}

describe('the official stripe client walks every new route of the mock', () => {
  let mock: MockApi;
  let stripe: Stripe;
  beforeAll(async () => {
    mock = await startMockApi({
      seed: 11,
      days: 150,
      chargesPerDay: 12,
      customersPerDay: 4,
      now: NOW,
      port: 0,
      quiet: true,
    });
    stripe = stripeOnMock(mock.port, 'sk_test_routes');
  });
  afterAll(async () => {
    await mock?.close();
  });

  /** The truth of an entity as a list shows it: deleted objects are gone. */
  const live = async (entity: string): Promise<Obj[]> =>
    (await fetchTruth(mock.url, entity)).filter((o) => o.deleted !== true) as Obj[];

  it.each([
    ['products', () => walk(stripe.products.list({ limit: 3 }))],
    ['prices', () => walk(stripe.prices.list({ limit: 3 }))],
    ['coupons', () => walk(stripe.coupons.list({ limit: 3 }))],
    ['payouts', () => walk(stripe.payouts.list({ limit: 3 }))],
  ] as const)('%s.list', async (entity, list) => {
    const expected = await live(entity);
    expect(expected.length, `${entity} in the truth`).toBeGreaterThan(3);
    const got = (await list()) as unknown as Obj[];
    expect(got.length).toBe(expected.length);
    expect(got.map((o) => o.id)).toEqual(expected.map((o) => o.id));
    // as JSON: the client turns `*_decimal` strings into Decimal objects (their JSON is the string)
    expect(JSON.parse(JSON.stringify(got))).toEqual(expected);
  });

  it('balanceTransactions.list({payout}) for the last 40 payouts', async () => {
    const pairs = (await fetchTruth(mock.url, 'payout_balance_transactions')) as {
      payout: string;
      balance_transaction: string;
    }[];
    // the newest (in_transit, pending, paid and failed ones among them), to keep the walk short
    const payouts = (await live('payouts')).slice(0, 40);
    const ids = new Set(payouts.map((p) => p.id));
    let walked = 0;
    for (const p of payouts) {
      const got = await walk(stripe.balanceTransactions.list({ payout: p.id, limit: 3 }));
      const want = pairs.filter((x) => x.payout === p.id).map((x) => x.balance_transaction);
      expect(
        got.map((b) => b.id),
        p.id,
      ).toEqual(want);
      walked += got.length;
    }
    expect(walked).toBe(pairs.filter((x) => ids.has(x.payout)).length);
    expect(walked).toBeGreaterThan(payouts.length);
  });

  it('subscriptionItems.list({subscription}) for every subscription', async () => {
    const truth = (await fetchTruth(mock.url, 'subscription_items')) as Obj[];
    const subscriptions = (await fetchTruth(mock.url, 'subscriptions')) as Obj[];
    let walked = 0;
    for (const s of subscriptions) {
      const got = await walk(stripe.subscriptionItems.list({ subscription: s.id, limit: 1 }));
      const want = truth.filter((i) => i.subscription === s.id);
      expect(
        got.map((i) => i.id),
        s.id,
      ).toEqual(want.map((i) => i.id));
      expect(JSON.parse(JSON.stringify(got))).toEqual(want);
      walked += got.length;
    }
    expect(walked).toBe(truth.length);
    // every subscription has an item (limit 1: one with several is walked over several pages)
    expect(walked).toBeGreaterThanOrEqual(subscriptions.length);
  });

  it('invoices.listLineItems(id) for the last 60 invoices', async () => {
    const truth = (await fetchTruth(mock.url, 'invoice_line_items')) as Obj[];
    const invoices = (await live('invoices')).slice(0, 60);
    const ids = new Set(invoices.map((i) => i.id));
    let walked = 0;
    for (const inv of invoices) {
      const got = await walk(stripe.invoices.listLineItems(inv.id, { limit: 1 }));
      const want = truth.filter((l) => l.invoice === inv.id);
      expect(
        got.map((l) => l.id),
        inv.id,
      ).toEqual(want.map((l) => l.id));
      expect(JSON.parse(JSON.stringify(got))).toEqual(want);
      walked += got.length;
    }
    expect(walked).toBe(truth.filter((l) => ids.has(String(l.invoice))).length);
    expect(walked).toBeGreaterThanOrEqual(invoices.length);
  });
});
