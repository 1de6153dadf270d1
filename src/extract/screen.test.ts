import { describe, expect, it } from 'vitest';
import { scanList } from '../source/list-scan.js';
import type { RawItem } from '../source/stripe-client.js';
import { checkPaging } from './list-slice.js';
import { screenItems } from './screen.js';

const NOW = 1_718_452_800;
const page = (els: unknown[]): RawItem[] => {
  const buf = Buffer.from(JSON.stringify({ object: 'list', data: els, has_more: false }));
  return scanList(buf)!.items.map((it) => ({ ...it, json: buf.subarray(it.start, it.end) }));
};

describe('screenItems', () => {
  it('keeps readable objects byte for byte and sets aside the rest with a reason', () => {
    const items = page([
      { id: 'cus_ok', created: NOW - 5, name: 'é 😀' },
      { id: 'cus_big', created: 1e20 },
      { id: 'cus_frac', created: NOW + 0.5 },
      { id: 'cus_sur', created: NOW, name: 'x\ud800' },
      { id: 'cus_future', created: NOW + 2 * 86_400 },
    ]);
    const { good, rejected } = screenItems(items, 'object', NOW);
    expect(good.map((g) => g.id)).toEqual(['cus_ok']);
    expect(good[0]!.json.toString()).toBe(JSON.stringify({ id: 'cus_ok', created: NOW - 5, name: 'é 😀' }));
    expect(rejected.map((r) => [r.item.id, r.reason.split(' ').slice(0, 2).join(' ')])).toEqual([
      ['cus_big', 'created 100000000000000000000'],
      ['cus_frac', `created ${NOW}.5`],
      ['cus_sur', 'holds a'],
      ['cus_future', `created ${NOW + 2 * 86_400}`],
    ]);
  });

  it('checks parsed elements (a pretty-printed body) whole, including non-objects', () => {
    const parsed: RawItem[] = [{ id: 'a', created: NOW }, 7].map((v) => ({
      id: (v as { id?: string }).id,
      created: (v as { created?: number }).created,
      type: undefined,
      json: Buffer.from(JSON.stringify(v)),
      suspect: true,
      value: v,
    }));
    const { good, rejected } = screenItems(parsed, 'object', NOW);
    expect(good).toHaveLength(1);
    expect(rejected.map((r) => r.reason)).toEqual(['not a JSON object']);
  });
});

describe('checkPaging', () => {
  const def = { name: 'customers', endpoint: '/v1/customers' } as const;
  const items = (...ids: string[]) => ids.map((id) => ({ id }) as RawItem);
  it('pages on, stops, or says how the source broke the protocol', () => {
    const cursors = new Set<string>();
    expect(checkPaging(def, { items: items('a', 'b'), hasMore: true }, 2, undefined, cursors)).toEqual({
      next: 'b',
    });
    expect(checkPaging(def, { items: items('c', 'd'), hasMore: true }, 2, 'b', cursors)).toEqual({
      next: 'd',
    });
    expect(() => checkPaging(def, { items: items('a', 'b'), hasMore: true }, 2, 'd', cursors)).toThrow(
      /customers.*cursor does not advance/,
    );
    expect(checkPaging(def, { items: items('x'), hasMore: false }, 2, 'd', new Set())).toEqual({
      next: undefined,
    });
    expect(() => checkPaging(def, { items: [], hasMore: true }, 2, 'd', new Set())).toThrow(/empty page/);
    expect(() =>
      checkPaging(def, { items: items('a', 'b', 'c'), hasMore: false }, 2, undefined, new Set()),
    ).toThrow(/limit=2/);
    expect(() => checkPaging(def, { items: items('a', 'a'), hasMore: true }, 2, 'a', new Set())).toThrow(
      /does not advance/,
    );
  });
});
