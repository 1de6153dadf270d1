import { describe, expect, it } from 'vitest';
import type { ListParams, RawItem, RawListPage } from '../source/stripe-client.js';
import { listSlice } from './list-slice.js';
import type { TimeWindow } from './windows.js';

const def = { name: 'charges', endpoint: '/v1/charges', listParams: {} } as const;

/** A source of objects created one per second in `[0, n)`, listed newest first, `limit` a page. */
function source(n: number) {
  const asked: ListParams[] = [];
  const client = {
    async listRawPage(_e: string, _p: string, params: ListParams): Promise<RawListPage> {
      asked.push(params);
      const gte = Number(params['created[gte]']);
      const lt = Number(params['created[lt]']);
      const after = params.starting_after === undefined ? lt : Number(String(params.starting_after).slice(3));
      const created: number[] = [];
      for (let c = Math.min(after, lt) - 1; c >= Math.max(gte, 0) && c < n; c--) created.push(c);
      const limit = Number(params.limit);
      const items = created
        .slice(0, limit)
        .map((c) => ({ id: `ch_${c}`, created: c, json: Buffer.from('{}') }) as unknown as RawItem);
      return { items, hasMore: created.length > limit, sourceTime: n, retries: 0 } as RawListPage;
    },
  };
  return { client, asked };
}

const run = async (n: number, window: TimeWindow, starving: boolean) => {
  const { client, asked } = source(n);
  const seen: number[] = [];
  const splits: TimeWindow[] = [];
  await listSlice(def, window, {
    client,
    limit: 10,
    signal: new AbortController().signal,
    onPage: async (p) => {
      seen.push(...p.items.map((i) => i.created!));
    },
    starving: () => starving,
    split: (ws) => splits.push(...ws),
  });
  return { seen, splits, asked };
};

describe('listSlice', () => {
  it('pages a slice newest first to its end', async () => {
    const { seen, splits, asked } = await run(35, { gte: 0, lt: 35 }, false);
    expect(seen).toEqual(Array.from({ length: 35 }, (_, i) => 34 - i));
    expect(splits).toEqual([]);
    expect(asked.map((a) => a.starting_after)).toEqual([undefined, 'ch_25', 'ch_15', 'ch_5']);
  });

  it('hands the older part of a dense slice to new slices when others starve, and lists the rest', async () => {
    const { seen, splits, asked } = await run(1000, { gte: 0, lt: 1000 }, true);
    // The first page ends at 990: ~99 pages older, 8 new slices of [0, 990).
    expect(splits).toHaveLength(8);
    expect(splits[0]).toEqual({ gte: 0, lt: 123 });
    expect(splits.at(-1)!.lt).toBe(990);
    expect(seen).toEqual(Array.from({ length: 10 }, (_, i) => 999 - i));
    expect(asked[1]).toMatchObject({ 'created[gte]': 990, starting_after: 'ch_990' });
  });
});
