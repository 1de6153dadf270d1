import { describe, expect, it } from 'vitest';
import { ApiError } from '../api-error.js';
import { childrenOf, pageOfChildren } from './children.js';

const kids = ['a', 'b', 'c', 'd', 'e'].map((id) => ({ id }));
const ids = (p: { data: { id: string }[] }) => p.data.map((c) => c.id);

describe('pageOfChildren (Stripe list semantics over a parent’s children)', () => {
  it('pages forward with starting_after until has_more is false', () => {
    const first = pageOfChildren(kids, { limit: 2 }, 'line_item');
    expect([ids(first), first.hasMore]).toEqual([['a', 'b'], true]);
    const second = pageOfChildren(kids, { limit: 2, startingAfter: 'b' }, 'line_item');
    expect([ids(second), second.hasMore]).toEqual([['c', 'd'], true]);
    const last = pageOfChildren(kids, { limit: 2, startingAfter: 'd' }, 'line_item');
    expect([ids(last), last.hasMore]).toEqual([['e'], false]);
    expect(pageOfChildren(kids, { limit: 5 }, 'line_item').hasMore).toBe(false);
  });

  it('ending_before gives the limit children just before the cursor, in list order', () => {
    const p = pageOfChildren(kids, { limit: 2, endingBefore: 'd' }, 'line_item');
    expect([ids(p), p.hasMore]).toEqual([['b', 'c'], true]);
    const q = pageOfChildren(kids, { limit: 3, endingBefore: 'c' }, 'line_item');
    expect([ids(q), q.hasMore]).toEqual([['a', 'b'], false]);
  });

  it('an unknown cursor is a 400 resource_missing naming the parameter', () => {
    try {
      pageOfChildren(kids, { limit: 2, startingAfter: 'zz' }, 'subscription_item');
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ApiError);
      expect((err as ApiError).body().error).toMatchObject({
        code: 'resource_missing',
        param: 'starting_after',
        message: "No such subscription_item: 'zz'",
      });
      expect((err as ApiError).status).toBe(400);
    }
  });
});

describe('childrenOf', () => {
  it('reads the embedded list of the parent, none when absent', () => {
    expect(childrenOf('invoice_line_items', { lines: { data: kids } })).toEqual(
      kids.map((k) => ({ id: k.id, json: JSON.stringify(k) })),
    );
    expect(childrenOf('subscription_items', { items: { data: kids.slice(0, 1) } })).toEqual([
      { id: 'a', json: '{"id":"a"}' },
    ]);
    expect(childrenOf('subscription_items', {})).toEqual([]);
  });
});
