import { describe, expect, it } from 'vitest';
import type { RawListPage } from '../source/stripe-client.js';
import { childReadsOf, readChildren } from './child-reads.js';

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
