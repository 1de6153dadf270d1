import { describe, expect, it } from 'vitest';
import type { ListParams, RawItem, RawListPage } from '../source/stripe-client.js';
import { listSlice } from './list-slice.js';
import type { TimeWindow } from './windows.js';

const def = { name: 'charges', endpoint: '/v1/charges', listParams: {} } as const;

/**
 * A source of objects `ch_0`…`ch_<n-1>`, `ch_i` created at `createdOf(i)` (non-decreasing; one per
 * second by default), listed newest first, `limit` a page.
 */
function source(n: number, createdOf: (i: number) => number = (i) => i) {
  const asked: ListParams[] = [];
  const client = {
    async listRawPage(_e: string, _p: string, params: ListParams): Promise<RawListPage> {
      asked.push(params);
      const gte = Number(params['created[gte]']);
      const lt = Number(params['created[lt]']);
      const after = params.starting_after === undefined ? n : Number(String(params.starting_after).slice(3));
      const found: number[] = [];
      for (let i = Math.min(after, n) - 1; i >= 0; i--) {
        const c = createdOf(i);
        if (c >= gte && c < lt) found.push(i);
      }
      const limit = Number(params.limit);
      const items = found
        .slice(0, limit)
        .map(
          (i) => ({ id: `ch_${i}`, created: createdOf(i), json: Buffer.from('{}') }) as unknown as RawItem,
        );
      const created = found;
      return { items, hasMore: created.length > limit, sourceTime: n, retries: 0 } as RawListPage;
    },
  };
  return { client, asked };
}

const run = async (n: number, window: TimeWindow, starving: boolean, createdOf?: (i: number) => number) => {
  const { client, asked } = source(n, createdOf);
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

  it('asks once for a window that fits a page: one request for a sparse entity', async () => {
    const { seen, splits, asked } = await run(7, { gte: 0, lt: 366 * 86_400 }, true, (i) => i * 40_000);
    expect(seen).toHaveLength(7);
    expect(splits).toEqual([]);
    expect(asked).toHaveLength(1);
  });

  it('goes on with the cursor when the rest of the window looks like a few pages', async () => {
    // 25 objects, a page of 10 covering ~1/3 of the window: 3 pages, no split even when starving
    const { seen, splits, asked } = await run(25, { gte: 0, lt: 25 * 1000 }, true, (i) => i * 1000);
    expect(seen).toEqual(Array.from({ length: 25 }, (_, i) => (24 - i) * 1000));
    expect(splits).toEqual([]);
    expect(asked.map((a) => a['created[gte]'])).toEqual([0, 0, 0]);
  });

  it('slices the older part of a dense window by density, the cursor going on through the newest slice', async () => {
    // objects in pairs sharing a second, a pair per 1000 s over 3 days: a page of 10 covers ~1.4 h,
    // so the rest is day-sliced; the first page ends with ch_507, whose pair ch_506 is on the next
    const { seen, splits, asked } = await run(
      517,
      { gte: 0, lt: 3 * 86_400 },
      false,
      (i) => Math.floor(i / 2) * 1000,
    );
    expect(splits).toEqual([
      { gte: 86_400, lt: 2 * 86_400 },
      { gte: 0, lt: 86_400 },
    ]);
    expect(asked[1]).toMatchObject({ 'created[gte]': 2 * 86_400, starting_after: 'ch_507' });
    // the newest day (ch_346…ch_516) once each, ch_506 included, in 18 pages
    expect(seen).toEqual(Array.from({ length: 171 }, (_, k) => Math.floor((516 - k) / 2) * 1000));
    expect(asked).toHaveLength(18);
  });
});
