import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EntityName } from '../../src/entities/entity.js';
import { ENTITIES } from '../../src/entities/registry.js';
import { MOCK_API_VERSION, type MockApi, startMockApi } from '../../src/mock/index.js';
import { stripeOnMock } from '../helpers/stripe-on-mock.js';

// Frozen clock and small volumes (about 2,500 objects), so every suite runs in seconds. Seed 7
// because with ~450 charges disputes (under 1% of charges) are rare: this seed's window has some.
const NOW = Date.parse('2026-03-15T12:00:00Z') / 1000;
const SMALL = {
  preset: 'tiny',
  seed: 7,
  days: 14,
  chargesPerDay: 30,
  now: NOW,
  port: 0,
  quiet: true,
} as const;
const FIXTURES = JSON.parse(
  readFileSync(new URL('../fixtures/stripe/fixtures3.json', import.meta.url), 'utf8'),
).resources as Record<string, Record<string, unknown>>;

type Obj = Record<string, unknown> & { id: string; created: number };

const jsonType = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);

async function truth(mock: MockApi, e: string): Promise<Obj[]> {
  const res = await fetch(`${mock.url}/_mock/truth/${e}`);
  expect(res.status).toBe(200);
  const text = await res.text();
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Obj);
}

async function listAll(stripe: Stripe, e: EntityName, params: Record<string, unknown> = {}): Promise<Obj[]> {
  const out: Obj[] = [];
  const resource = (stripe as unknown as Record<string, { list(p: unknown): Stripe.ApiListPromise<Obj> }>)[
    e === 'payment_intents' ? 'paymentIntents' : e === 'balance_transactions' ? 'balanceTransactions' : e
  ]!;
  const extra = e === 'subscriptions' ? { status: 'all' } : {};
  await resource.list({ limit: 100, ...extra, ...params }).autoPagingEach((o) => {
    out.push(o);
  });
  return out;
}

const control = async (mock: MockApi, path: string, body?: unknown, method = 'POST'): Promise<Response> =>
  fetch(`${mock.url}/_mock/${path}`, {
    method: body === undefined && method === 'POST' ? 'GET' : method,
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });

describe('mock API with the official stripe client', () => {
  let mock: MockApi;
  let stripe: Stripe;

  beforeAll(async () => {
    mock = await startMockApi(SMALL);
    stripe = stripeOnMock(mock.port);
  });
  afterAll(async () => {
    await mock.close();
  });

  for (const def of ENTITIES) {
    const e = def.name;
    it(`${e}: autoPagingEach lists exactly the truth, unique, newest first`, async () => {
      const listed = await listAll(stripe, e);
      const expected = (await truth(mock, e)).filter((o) => o['deleted'] !== true);
      expect(expected.length).toBeGreaterThan(0);
      expect(listed.map((o) => o.id)).toEqual(expected.map((o) => o.id));
      expect(new Set(listed.map((o) => o.id)).size).toBe(listed.length);
      for (let k = 1; k < listed.length; k++)
        expect(listed[k - 1]!.created).toBeGreaterThanOrEqual(listed[k]!.created);
      for (const o of listed) expect(o.id.startsWith(def.idPrefixes[0]!)).toBe(true);
    });

    it(`${e}: created filters return exactly the matching objects`, async () => {
      const all = (await truth(mock, e)).filter((o) => o['deleted'] !== true);
      const mid = all[Math.floor(all.length / 2)]!.created;
      const cases: [Record<string, number>, (t: number) => boolean][] = [
        [{ gt: mid }, (t) => t > mid],
        [{ gte: mid }, (t) => t >= mid],
        [{ lt: mid }, (t) => t < mid],
        [{ lte: mid }, (t) => t <= mid],
        [{ gte: mid - 86_400, lt: mid }, (t) => t >= mid - 86_400 && t < mid],
      ];
      for (const [created, keep] of cases) {
        const got = await listAll(stripe, e, { created });
        expect(got.map((o) => o.id)).toEqual(all.filter((o) => keep(o.created)).map((o) => o.id));
      }
      const exact = await listAll(stripe, e, { created: mid });
      expect(exact.map((o) => o.id)).toEqual(all.filter((o) => o.created === mid).map((o) => o.id));
    });

    it(`${e}: retrieve equals the listed object`, async () => {
      const h = { authorization: 'Bearer sk_test_x' };
      const qs = new URLSearchParams({ limit: '3', ...def.listParams });
      const first = (await (await fetch(`${mock.url}${def.endpoint}?${qs}`, { headers: h })).json()) as {
        data: Obj[];
      };
      expect(first.data.length).toBeGreaterThan(0);
      for (const o of first.data) {
        const got = await fetch(`${mock.url}${def.endpoint}/${o.id}`, { headers: h });
        expect(got.status).toBe(200);
        expect(await got.json()).toEqual(o);
      }
    });

    if (e !== 'events') {
      it(`${e}: fields and JSON types match Stripe's example object`, async () => {
        const fixture = FIXTURES[def.objectName]!;
        const objects = (await truth(mock, e)).filter((o) => o['deleted'] !== true);
        for (const o of objects) {
          for (const [k, v] of Object.entries(fixture)) {
            expect(o, `${def.objectName}.${k}`).toHaveProperty([k]);
            if (v !== null && o[k] !== null)
              expect(jsonType(o[k]), `${def.objectName}.${k}`).toBe(jsonType(v));
          }
        }
      });
    }
  }

  it('nested shapes: card brand, invoice lines and payments, subscription items, charge refunds', async () => {
    const [charge] = await truth(mock, 'charges');
    const card = (charge!['payment_method_details'] as { card: Record<string, unknown> }).card;
    expect(typeof card['brand']).toBe('string');
    const fixtureCard = (FIXTURES['charge']!['payment_method_details'] as { card: Record<string, unknown> })
      .card;
    for (const k of Object.keys(fixtureCard)) expect(card).toHaveProperty([k]);
    expect((charge!['refunds'] as { object: string }).object).toBe('list');
    expect(charge).not.toHaveProperty('invoice');
    const invoices = await truth(mock, 'invoices');
    const paid = invoices.find((i) => i['status'] === 'paid')!;
    const lines = paid['lines'] as { object: string; data: Record<string, unknown>[] };
    expect(lines.object).toBe('list');
    const fixtureLine = (FIXTURES['invoice']!['lines'] as { data: Record<string, unknown>[] }).data[0]!;
    // every line of every invoice (prorations, trials and discounted lines too), and the list's shape
    for (const inv of invoices) {
      const l = inv['lines'] as { data: Record<string, unknown>[]; has_more: boolean; total_count: number };
      expect(l.total_count).toBeGreaterThanOrEqual(l.data.length);
      expect(l.has_more).toBe(l.total_count > l.data.length);
      for (const line of l.data)
        for (const [k, v] of Object.entries(fixtureLine)) {
          expect(line, `line_item.${k}`).toHaveProperty([k]);
          if (v !== null && line[k] !== null) expect(jsonType(line[k]), `line_item.${k}`).toBe(jsonType(v));
        }
    }
    const payments = paid['payments'] as { object: string; data: Record<string, unknown>[] };
    expect(payments.object).toBe('list');
    expect(payments.data[0]).toMatchObject({
      object: 'invoice_payment',
      status: 'paid',
      amount_paid: paid['amount_paid'],
    });
    expect((payments.data[0]!['payment'] as Record<string, unknown>)['type']).toBe('payment_intent');
    expect(
      (paid['parent'] as { subscription_details: { subscription: string } }).subscription_details
        .subscription,
    ).toBe(paid['subscription']);
    const fixtureItem = (FIXTURES['subscription']!['items'] as { data: Record<string, unknown>[] }).data[0]!;
    for (const sub of await truth(mock, 'subscriptions')) {
      const items = sub['items'] as { object: string; data: Record<string, unknown>[]; url: string };
      expect(items.object).toBe('list');
      expect(items.url).toBe(`/v1/subscription_items?subscription=${sub.id}`);
      for (const item of items.data) {
        expect(item['object']).toBe('subscription_item');
        for (const [k, v] of Object.entries(fixtureItem)) {
          expect(item, `subscription_item.${k}`).toHaveProperty([k]);
          if (v !== null && item[k] !== null)
            expect(jsonType(item[k]), `subscription_item.${k}`).toBe(jsonType(v));
        }
      }
    }
  });

  it('paging backwards with ending_before returns the previous pages', async () => {
    const all = await truth(mock, 'charges');
    const p1 = await stripe.charges.list({ limit: 7 });
    const p2 = await stripe.charges.list({ limit: 7, starting_after: p1.data.at(-1)!.id });
    const back = await stripe.charges.list({ limit: 7, ending_before: p2.data[0]!.id });
    expect(back.data.map((c) => c.id)).toEqual(p1.data.map((c) => c.id));
    expect(back.has_more).toBe(false);
    const mid = await stripe.charges.list({ limit: 5, ending_before: all[20]!.id });
    expect(mid.data.map((c) => c.id)).toEqual(all.slice(15, 20).map((c) => c.id));
    expect(mid.has_more).toBe(true);
  });

  it('subscriptions: default list hides canceled ones, status=all shows them', async () => {
    const all = await truth(mock, 'subscriptions');
    const shown = await listAll(stripe, 'subscriptions', { status: 'active' });
    const dflt = (await stripe.subscriptions.list({ limit: 100 })).data;
    expect(dflt.map((s) => s.id)).toEqual(all.filter((s) => s['status'] !== 'canceled').map((s) => s.id));
    expect(shown.map((s) => s.id)).toEqual(dflt.map((s) => s.id));
  });

  it('events: types[] filter', async () => {
    const all = await truth(mock, 'events');
    const got = await listAll(stripe, 'events', { types: ['charge.succeeded', 'customer.created'] });
    expect(got.map((o) => o.id)).toEqual(
      all
        .filter((o) => o['type'] === 'charge.succeeded' || o['type'] === 'customer.created')
        .map((o) => o.id),
    );
    const wildcard = await listAll(stripe, 'events', { type: 'invoice.*' });
    expect(wildcard.length).toBe(all.filter((o) => String(o['type']).startsWith('invoice.')).length);
  });

  it("errors: Stripe's classes and error objects", async () => {
    const bad = stripeOnMock(mock.port, 'sk_live_nope');
    await expect(bad.charges.list()).rejects.toBeInstanceOf(Stripe.errors.StripeAuthenticationError);
    const tooMany = await stripe.charges.list({ limit: 101 }).catch((e: unknown) => e);
    expect(tooMany).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
    expect((tooMany as Stripe.errors.StripeError).param).toBe('limit');
    const unknown = await stripe.charges.list({ starting_after: 'ch_doesnotexist' }).catch((e: unknown) => e);
    expect(unknown).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
    expect((unknown as Stripe.errors.StripeError).code).toBe('resource_missing');
    const missing = await stripe.charges.retrieve('ch_3Nope').catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
    expect((missing as Stripe.errors.StripeError).statusCode).toBe(404);
    const raw = await fetch(`${mock.url}/v1/charges?limit=0`, {
      headers: { authorization: 'Bearer sk_test_x' },
    });
    expect(raw.status).toBe(400);
    expect(((await raw.json()) as { error: Record<string, unknown> }).error).toMatchObject({
      type: 'invalid_request_error',
      param: 'limit',
    });
    const noAuth = await fetch(`${mock.url}/v1/charges`);
    expect(noAuth.status).toBe(401);
    expect(new Date(noAuth.headers.get('date')!).getTime() / 1000).toBe(NOW);
  });

  it("payouts: Stripe's invariant holds for every paid payout, and balanceTransactions.list({payout}) walks its transactions", async () => {
    const payouts = await truth(mock, 'payouts');
    const bts = new Map((await truth(mock, 'balance_transactions')).map((b) => [b.id, b]));
    const res = await fetch(`${mock.url}/_mock/truth/payout_balance_transactions`);
    const pairs = (await res.text())
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as { payout: string; balance_transaction: string });
    const byPayout = new Map<string, string[]>();
    for (const { payout, balance_transaction } of pairs)
      byPayout.set(payout, [...(byPayout.get(payout) ?? []), balance_transaction]);
    // a transaction is paid out once
    expect(new Set(pairs.map((p) => p.balance_transaction)).size).toBe(pairs.length);
    const paid = payouts.filter((p) => p['status'] === 'paid');
    expect(paid.length).toBeGreaterThan(10);
    expect(payouts.some((p) => p['status'] === 'failed')).toBe(true);
    expect(new Set(paid.map((p) => p['currency'])).size).toBeGreaterThan(2);
    for (const p of paid) {
      const listed = (byPayout.get(p.id) ?? []).map((id) => bts.get(id)!);
      expect(listed.length, `transactions of ${p.id}`).toBeGreaterThan(0);
      expect(
        listed.reduce((sum, b) => sum + (b['net'] as number), 0),
        `net of ${p.id}`,
      ).toBe(p['amount']);
      for (const b of listed) {
        expect(b['currency']).toBe(p['currency']);
        expect(b['type']).not.toBe('payout');
        expect(b['available_on'] as number).toBeLessThan(p.created);
      }
      const own = bts.get(p['balance_transaction'] as string)!;
      expect([own['type'], own['amount'], own['source']]).toEqual(['payout', -(p['amount'] as number), p.id]);
    }
    // a failed payout's money comes back as a payout_failure transaction, paid out again later
    for (const p of payouts.filter((x) => x['status'] === 'failed')) {
      const back = bts.get(p['failure_balance_transaction'] as string)!;
      expect([back['type'], back['amount']]).toEqual(['payout_failure', p['amount']]);
    }
    // the official client pages through ?payout= (limit 2: several pages) to the truth's pairs
    for (const p of payouts.slice(0, 6)) {
      const got: string[] = [];
      await stripe.balanceTransactions.list({ payout: p.id, limit: 2 }).autoPagingEach((b) => {
        got.push(b.id);
      });
      expect(got, p.id).toEqual(byPayout.get(p.id) ?? []);
    }
    const unknown = await fetch(`${mock.url}/v1/balance_transactions?payout=po_nope`, {
      headers: { authorization: 'Bearer sk_test_x' },
    });
    expect(unknown.status).toBe(404);
  });

  it('child lists: subscription items and invoice lines of the current version, as the truth has them, with Stripe errors', async () => {
    const get = (path: string) =>
      fetch(`${mock.url}${path}`, { headers: { authorization: 'Bearer sk_test_x' } }).then(
        async (r) => [r.status, (await r.json()) as Record<string, unknown>] as const,
      );
    const itemTruth = await truth(mock, 'subscription_items');
    const lineTruth = await truth(mock, 'invoice_line_items');
    const subs = await truth(mock, 'subscriptions');
    const invoices = await truth(mock, 'invoices');
    // every parent's children are in the truth, each naming its parent
    expect(itemTruth.length).toBeGreaterThanOrEqual(subs.length);
    expect(lineTruth.length).toBeGreaterThanOrEqual(invoices.length);
    for (const sub of subs.slice(0, 8)) {
      const expected = itemTruth.filter((i) => i['subscription'] === sub.id);
      expect(expected.length, sub.id).toBeGreaterThan(0);
      // official client, limit 1: one page per item
      const got: string[] = [];
      await stripe.subscriptionItems.list({ subscription: sub.id, limit: 1 }).autoPagingEach((i) => {
        got.push(i.id);
      });
      expect(got, sub.id).toEqual(expected.map((i) => i.id));
      // raw: the objects exactly as the truth has them
      const [, page] = await get(`/v1/subscription_items?subscription=${sub.id}&limit=100`);
      expect(page['data']).toEqual(expected);
      expect(expected.map((i) => i.id)).toEqual(
        ((sub['items'] as { data: Obj[] }).data ?? []).map((i) => i.id),
      );
    }
    for (const inv of invoices.slice(0, 8)) {
      const expected = lineTruth.filter((l) => l['invoice'] === inv.id);
      expect(expected.length, inv.id).toBeGreaterThan(0);
      const got: Obj[] = [];
      await stripe.invoices.listLineItems(inv.id, { limit: 1 }).autoPagingEach((l) => {
        got.push(l as unknown as Obj);
      });
      expect(got.map((l) => l.id)).toEqual(expected.map((l) => l.id));
      const [status, page] = await get(`/v1/invoices/${inv.id}/lines?limit=100`);
      expect([status, page['url'], page['has_more']]).toEqual([200, `/v1/invoices/${inv.id}/lines`, false]);
    }
    // Stripe's errors: parameter missing, unknown parent (404), unknown cursor (400), unknown param
    const missing = await get('/v1/subscription_items');
    expect([missing[0], (missing[1]['error'] as Obj)['param'], (missing[1]['error'] as Obj)['code']]).toEqual(
      [400, 'subscription', 'parameter_missing'],
    );
    const unknownSub = await get('/v1/subscription_items?subscription=sub_nope');
    expect([unknownSub[0], (unknownSub[1]['error'] as Obj)['code']]).toEqual([404, 'resource_missing']);
    const unknownInvoice = await get('/v1/invoices/in_nope/lines');
    expect([unknownInvoice[0], (unknownInvoice[1]['error'] as Obj)['code']]).toEqual([
      404,
      'resource_missing',
    ]);
    const badCursor = await get(`/v1/invoices/${invoices[0]!.id}/lines?starting_after=il_nope`);
    expect([badCursor[0], (badCursor[1]['error'] as Obj)['param']]).toEqual([400, 'starting_after']);
    const created = await get(`/v1/subscription_items?subscription=${subs[0]!.id}&created=1`);
    expect(created[0]).toBe(400);
  });

  it('consistency: every foreign key resolves, amounts add up, one currency per customer', async () => {
    const t = Object.fromEntries(
      await Promise.all(ENTITIES.map(async (d) => [d.name, await truth(mock, d.name)] as const)),
    ) as Record<EntityName, Obj[]>;
    const ids = (e: EntityName): Map<string, Obj> => new Map(t[e].map((o) => [o.id, o]));
    const [customers, pis, charges, refunds, bts, disputes, subs] = (
      [
        'customers',
        'payment_intents',
        'charges',
        'refunds',
        'balance_transactions',
        'disputes',
        'subscriptions',
      ] as const
    ).map(ids) as [
      Map<string, Obj>,
      Map<string, Obj>,
      Map<string, Obj>,
      Map<string, Obj>,
      Map<string, Obj>,
      Map<string, Obj>,
      Map<string, Obj>,
    ];
    expect(refunds.size + disputes.size).toBeGreaterThan(0);
    // the catalogue: every price names a product of the truth, every product's default price is its own
    const products = ids('products');
    const prices = ids('prices');
    expect(prices.size).toBeGreaterThan(products.size);
    for (const p of prices.values()) {
      if (p['deleted'] === true) continue;
      expect(products.get(p['product'] as string), `product of ${p.id}`).toBeDefined();
    }
    for (const p of products.values()) {
      if (p['default_price'] == null) continue;
      expect(prices.get(p['default_price'] as string)?.['product'], `default price of ${p.id}`).toBe(p.id);
    }
    for (const c of charges.values()) {
      if (c['customer'] !== null) {
        const cu = customers.get(c['customer'] as string);
        expect(cu, `customer of ${c.id}`).toBeDefined();
        if (cu!['deleted'] !== true) expect(cu!['currency']).toBe(c['currency']);
      }
      expect(pis.has(c['payment_intent'] as string)).toBe(true);
      if (c['status'] === 'succeeded') {
        const bt = bts.get(c['balance_transaction'] as string)!;
        expect(bt['source']).toBe(c.id);
        expect(bt['fee']).toBe(Math.round((c['amount'] as number) * 0.029) + 30);
        expect(bt['net']).toBe((c['amount'] as number) - (bt['fee'] as number));
      } else {
        expect(c['balance_transaction']).toBeNull();
        expect(typeof c['failure_code']).toBe('string');
      }
      const own = [...refunds.values()].filter((r) => r['charge'] === c.id);
      expect(c['amount_refunded']).toBe(own.reduce((s, r) => s + (r['amount'] as number), 0));
    }
    for (const r of refunds.values()) {
      expect(charges.has(r['charge'] as string)).toBe(true);
      expect(bts.get(r['balance_transaction'] as string)!['amount']).toBe(-(r['amount'] as number));
    }
    for (const d of disputes.values()) expect(charges.has(d['charge'] as string)).toBe(true);
    const payouts = ids('payouts');
    for (const bt of bts.values()) {
      const src = bt['source'] as string;
      expect(
        charges.has(src) || refunds.has(src) || disputes.has(src) || payouts.has(src),
        `source of ${bt.id}`,
      ).toBe(true);
    }
    for (const i of t.invoices) {
      expect(customers.has(i['customer'] as string)).toBe(true);
      expect(subs.has(i['subscription'] as string)).toBe(true);
      for (const p of (i['payments'] as { data: { payment: { payment_intent: string } }[] }).data) {
        expect(pis.has(p.payment.payment_intent)).toBe(true);
      }
    }
    for (const s of subs.values()) expect(customers.has(s['customer'] as string)).toBe(true);
    const failed = [...charges.values()].filter((c) => c['status'] === 'failed').length;
    expect(failed).toBeGreaterThan(0);
  });
});

describe('mock API over time', () => {
  it('is deterministic and evolves with the clock; events carry the state at their time', async () => {
    const a = await startMockApi({ preset: 'tiny', now: NOW, port: 0, quiet: true });
    const b = await startMockApi({ preset: 'tiny', now: NOW, port: 0, quiet: true });
    try {
      for (const e of ['charges', 'events', 'customers'] as const) {
        const [ta, tb] = await Promise.all([
          fetch(`${a.url}/_mock/truth/${e}`),
          fetch(`${b.url}/_mock/truth/${e}`),
        ]);
        expect(await ta.text()).toBe(await tb.text());
      }
      const before = await truth(a, 'events');
      const chargesBefore = await truth(a, 'charges');
      const r = await control(a, 'clock', { advance_seconds: 86_400 });
      expect(((await r.json()) as { now: number }).now).toBe(NOW + 86_400);
      const after = await truth(a, 'events');
      expect((await truth(a, 'charges')).length).toBeGreaterThan(chargesBefore.length);
      const known = new Set(before.map((e) => e.id));
      const fresh = after.filter((e) => !known.has(e.id));
      expect(fresh.length).toBeGreaterThan(0);
      for (const ev of fresh) expect(ev.created).toBeGreaterThan(NOW);
      // Each new event's object equals the truth with the clock at the event's time (events of the
      // current API version: the others carry the older shapes, old-api-version.test.ts).
      const sample = fresh
        .filter((e) => e['api_version'] === MOCK_API_VERSION)
        .filter((_, k) => k % 5 === 0)
        .slice(0, 25);
      const types = new Set<string>();
      for (const ev of sample) {
        const data = ev['data'] as { object: Obj; previous_attributes?: Record<string, unknown> };
        types.add(ev['type'] as string);
        b.setNow(ev.created);
        const entityName = ENTITIES.find((d) => d.objectName === data.object['object'])!.name;
        const state = (await truth(b, entityName)).find((o) => o.id === data.object.id);
        if (String(ev['type']).endsWith('.deleted') && entityName === 'customers')
          expect(state?.['deleted']).toBe(true);
        else expect(state).toEqual(data.object);
        if (String(ev['type']).endsWith('.updated')) expect(data.previous_attributes).toBeDefined();
      }
      expect(types.size).toBeGreaterThan(1);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('history days do not change the objects of a day', async () => {
    // subscribers enough that the last days have subscriptions, invoices and their changes
    const opts = { preset: 'tiny', customersPerDay: 40, now: NOW, port: 0, quiet: true } as const;
    const short = await startMockApi({ ...opts, days: 2 });
    const long = await startMockApi({ ...opts, days: 9 });
    try {
      const since = NOW - 86_400;
      const h = { authorization: 'Bearer sk_test_x' };
      for (const e of ['charges', 'subscriptions', 'invoices', 'products', 'prices', 'coupons']) {
        const q = `created[gte]=${since}&limit=100${e === 'subscriptions' ? '&status=all' : ''}`;
        const [x, y] = (await Promise.all([
          fetch(`${short.url}/v1/${e}?${q}`, { headers: h }).then((r) => r.json()),
          fetch(`${long.url}/v1/${e}?${q}`, { headers: h }).then((r) => r.json()),
        ])) as { data: unknown[] }[];
        expect(x, e).toEqual(y);
        if (e !== 'products' && e !== 'coupons') expect(x!.data.length, e).toBeGreaterThan(0);
      }
    } finally {
      await Promise.all([short.close(), long.close()]);
    }
  });

  it('shows updates and deletions: customer.updated with previous_attributes, deleted customers leave lists', async () => {
    const mock = await startMockApi({ preset: 'tiny', now: NOW, port: 0, quiet: true });
    try {
      mock.advance(60 * 86_400);
      const events = await truth(mock, 'events');
      const updated = events.find((e) => e['type'] === 'customer.updated')!;
      expect(
        Object.keys((updated['data'] as { previous_attributes: object }).previous_attributes).length,
      ).toBeGreaterThan(0);
      const deleted = events.find((e) => e['type'] === 'customer.deleted')!;
      const id = (deleted['data'] as { object: Obj }).object.id;
      const stripe = new Stripe('sk_test_x', { host: '127.0.0.1', port: mock.port, protocol: 'http' });
      expect(await stripe.customers.retrieve(id)).toMatchObject({ id, object: 'customer', deleted: true });
      const listed = await listAll(stripe, 'customers');
      expect(listed.some((c) => c.id === id)).toBe(false);
      expect(events.some((e) => e['type'] === 'customer.subscription.deleted')).toBe(true);
      const canceled = (await truth(mock, 'subscriptions')).filter((s) => s['status'] === 'canceled');
      expect(canceled.length).toBeGreaterThan(0);
      const bts = await truth(mock, 'balance_transactions');
      expect(
        bts.every(
          (b) => b['status'] === (mock.now() >= (b['available_on'] as number) ? 'available' : 'pending'),
        ),
      ).toBe(true);
    } finally {
      await mock.close();
    }
  });
});

describe('mock API faults and webhooks', () => {
  let mock: MockApi;
  let receiver: Server;
  const received: { body: string; signature: string }[] = [];
  let failNext = 0;

  beforeAll(async () => {
    mock = await startMockApi({ preset: 'tiny', now: NOW, port: 0, quiet: true });
    receiver = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        if (failNext > 0) {
          failNext--;
          res.writeHead(503).end();
          return;
        }
        received.push({
          body: Buffer.concat(chunks).toString(),
          signature: String(req.headers['stripe-signature']),
        });
        res.writeHead(200).end('{}');
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  });
  afterAll(async () => {
    await mock.close();
    await new Promise((r) => receiver.close(r));
  });

  it('failure_rate answers 500 and rate_limit_rps answers 429 with Retry-After', async () => {
    const h = { authorization: 'Bearer sk_test_x' };
    await control(mock, 'config', { failure_rate: 1 });
    expect((await fetch(`${mock.url}/v1/charges`, { headers: h })).status).toBe(500);
    // Below one request a second, any request is over the limit of its window: a 429 however slow
    // the machine (at 2/s, requests more than half a second apart were all let through).
    await control(mock, 'config', { failure_rate: 0, rate_limit_rps: 0.5 });
    const r = await fetch(`${mock.url}/v1/charges`, { headers: h });
    expect(r.status).toBe(429);
    expect(Number(r.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    const cfg = (await (await control(mock, 'config', { rate_limit_rps: 0 })).json()) as Record<
      string,
      number
    >;
    expect(cfg['rate_limit_rps']).toBe(0);
    expect((await control(mock, 'config', { failure_rate: 2 })).status).toBe(400);
  });

  it('delivers new events as signed webhooks, with duplicates and retries', async () => {
    const secret = 'whsec_test_secret';
    const port = (receiver.address() as AddressInfo).port;
    const r = await control(mock, 'webhooks', {
      url: `http://127.0.0.1:${port}/hook`,
      secret,
      duplicate_rate: 0.3,
      shuffle: true,
    });
    expect(r.status).toBe(200);
    failNext = 3;
    const from = mock.now();
    await control(mock, 'clock', { advance_seconds: 86_400 });
    const stats = await mock.drainWebhooks();
    const expected = (await truth(mock, 'events')).filter((e) => e.created > from);
    expect(expected.length).toBeGreaterThan(0);
    expect(stats.failed).toBe(0);
    expect(stats.delivered).toBe(expected.length + stats.duplicates);
    expect(stats.duplicates).toBeGreaterThan(0);
    expect(stats.attempts).toBe(stats.delivered + 3);
    const stripe = new Stripe('sk_test_x');
    const ids = received.map((d) => stripe.webhooks.constructEvent(d.body, d.signature, secret).id);
    expect(new Set(ids)).toEqual(new Set(expected.map((e) => e.id)));
    expect(ids.length).toBeGreaterThan(new Set(ids).size);
    expect(() =>
      stripe.webhooks.constructEvent(received[0]!.body, received[0]!.signature, 'whsec_other'),
    ).toThrow();
    await control(mock, 'webhooks', undefined, 'DELETE');
    const n = received.length;
    mock.advance(3600);
    expect((await mock.drainWebhooks()).pending).toBe(0);
    expect(received.length).toBe(n);
  });
});
