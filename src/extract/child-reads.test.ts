import { describe, expect, it } from 'vitest';
import type { RawListPage } from '../source/stripe-client.js';
import { ChildReader, childReadsOf, readChildren } from './child-reads.js';

const T = 1_717_000_000;

describe('childReadsOf (which parent version asks for a child read)', () => {
  it('reads the rest of an embedded list only when it has more', () => {
    const sub = (hasMore: boolean) => ({ id: 'sub_1', created: T, items: { data: [], has_more: hasMore } });
    expect(childReadsOf('subscriptions', sub(false), T + 5, true)).toEqual([]);
    expect(childReadsOf('subscriptions', sub(true), T + 5, false)).toEqual([
      {
        child: 'subscription_items',
        endpoint: '/v1/subscription_items',
        params: { subscription: 'sub_1' },
        parent: { entity: 'subscriptions', id: 'sub_1', version_ts: T + 5 },
        dt: '2024-05-29',
        final: false,
      },
    ]);
    const inv = { id: 'in_1', created: T, lines: { data: [], has_more: true } };
    expect(childReadsOf('invoices', inv, T, false).map((r) => [r.child, r.endpoint])).toEqual([
      ['invoice_line_items', '/v1/invoices/in_1/lines'],
    ]);
    expect(childReadsOf('invoices', { ...inv, lines: { has_more: false } }, T, false)).toEqual([]);
  });

  it('reads an automatic payout when first seen and again in a final status, never a manual one', () => {
    const po = (status: string, automatic = true) => ({ id: 'po_1', created: T, status, automatic });
    expect(childReadsOf('payouts', po('pending'), T, true)).toHaveLength(1);
    expect(childReadsOf('payouts', po('in_transit'), T, false)).toEqual([]);
    for (const s of ['paid', 'failed', 'canceled'])
      expect(childReadsOf('payouts', po(s), T, false)[0]?.params).toEqual({ payout: 'po_1' });
    expect(childReadsOf('payouts', po('paid', false), T, true)).toEqual([]);
    expect(childReadsOf('payouts', { id: 'po_1', deleted: true }, T, true)).toEqual([]);
  });
});

describe('readChildren', () => {
  it('pages with starting_after to the end and stamps every line with the parent version and the count', async () => {
    const item = (id: string) => ({
      id,
      created: T,
      type: undefined,
      json: Buffer.from(`{"id":"${id}","object":"balance_transaction","created":${T}}`),
      suspect: false,
    });
    const pages: RawListPage[] = [
      { items: [item('txn_1'), item('txn_2')], hasMore: true, sourceTime: T + 10, retries: 1 },
      { items: [item('txn_3')], hasMore: false, sourceTime: T + 11, retries: 0 },
    ];
    const asked: unknown[] = [];
    const client = {
      listRawPage: async (_e: string, endpoint: string, params: unknown) => {
        asked.push([endpoint, params]);
        return pages[asked.length - 1]!;
      },
    };
    const read = childReadsOf(
      'payouts',
      { id: 'po_1', created: T, status: 'paid', automatic: true },
      T + 3,
      false,
    )[0]!;
    const got = await readChildren(client, read, 'run1', 2);
    expect(asked).toEqual([
      ['/v1/balance_transactions', { payout: 'po_1', limit: 2 }],
      ['/v1/balance_transactions', { payout: 'po_1', limit: 2, starting_after: 'txn_2' }],
    ]);
    expect([got.records, got.pages, got.retries]).toEqual([3, 2, 1]);
    const records = got.lines
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(records.map((r) => r.data.id)).toEqual(['txn_1', 'txn_2', 'txn_3']);
    expect(records[2].meta).toMatchObject({
      entity: 'payout_balance_transactions',
      run_id: 'run1',
      source: 'api',
      version_ts: T + 11,
      parent: { entity: 'payouts', id: 'po_1', version_ts: T + 3, count: 3 },
    });
  });
});

describe('ChildReader', () => {
  const raw = (o: Record<string, unknown>, type?: string) => ({
    id: String(o.id),
    created: T,
    type,
    json: Buffer.from(JSON.stringify(o)),
    suspect: false,
  });
  const event = (type: string, object: Record<string, unknown>) =>
    raw({ id: `evt_${type}`, type, created: T + 7, data: { object } }, type);

  it('reads once per parent (and once more for a final payout), writes each read whole, from lists and events', async () => {
    const asked: string[] = [];
    const writes: [string, string, number][] = [];
    const reader = new ChildReader({
      client: {
        listRawPage: async (_c: string, endpoint: string) => {
          asked.push(endpoint);
          return {
            items: [raw({ id: 'c1' }), raw({ id: 'c2' })],
            hasMore: false,
            sourceTime: T + 9,
            retries: 0,
          };
        },
      },
      sink: { write: async (e: string, dt: string, _l: string, n: number) => void writes.push([e, dt, n]) },
      quarantine: { add: () => {} },
      runId: 'r',
      pageSize: 100,
    });
    const po = (status: string) => ({ id: 'po_1', object: 'payout', created: T, status, automatic: true });
    const inv = (hasMore: boolean) => ({
      id: 'in_1',
      object: 'invoice',
      created: T,
      lines: { data: [], has_more: hasMore },
    });
    await reader.fromObjects('payouts', [raw(po('pending'))], T);
    await reader.fromObjects('invoices', [raw(inv(false)), raw(inv(true))], T);
    await reader.fromEvents(
      [
        event('payout.updated', po('in_transit')),
        event('payout.paid', po('paid')),
        event('payout.paid', po('paid')),
        event('invoice.paid', inv(true)),
        event('customer.subscription.updated', { id: 'sub_1', items: { has_more: true } }),
      ],
      (e) => e !== 'subscriptions',
    );
    // payout: first seen, then paid (once); invoice: once; the subscription is not routed as a version
    expect(asked).toEqual([
      '/v1/balance_transactions',
      '/v1/invoices/in_1/lines',
      '/v1/balance_transactions',
    ]);
    expect(writes).toEqual([
      ['payout_balance_transactions', '2024-05-29', 2],
      ['invoice_line_items', '2024-05-29', 2],
      ['payout_balance_transactions', '2024-05-29', 2],
    ]);
    expect(reader.stats.get('payout_balance_transactions')).toEqual({
      reads: 2,
      pages: 2,
      records: 4,
      retries: 0,
    });
  });
});
