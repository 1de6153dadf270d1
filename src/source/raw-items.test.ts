import { describe, expect, it } from 'vitest';
import { rawListItems } from './raw-items.js';

const page = (items: unknown[], extra = '') =>
  `{"object":"list","data":[${items.map((o) => JSON.stringify(o)).join(',')}],"has_more":true,"url":"/v1/charges"${extra}}`;

describe('rawListItems', () => {
  it('gives each element exactly as sent, nested lists and quotes included', () => {
    const items = [
      { id: 'ch_1', amount: 100, refunds: { object: 'list', data: [{ id: 're_1' }], has_more: false } },
      { id: 'ch_2', description: 'a "quoted" {id} ,{"id":"ch_3"} and ünïcode', metadata: {} },
      { id: 'ch_3', nested: [{ id: 'x' }, [1, 2]] },
    ];
    const text = page(items);
    expect(rawListItems(text, JSON.parse(text).data)).toEqual(items.map((o) => JSON.stringify(o)));
  });

  it('keeps the bytes the API sent, not a re-serialisation', () => {
    // key order and number spelling as sent: JSON.stringify of the parsed object would differ
    const text = '{"object":"list","data":[{"id":"a","z":1.50,"a":2},{"id":"b","y":1e3}],"has_more":false}';
    expect(rawListItems(text, JSON.parse(text).data)).toEqual([
      '{"id":"a","z":1.50,"a":2}',
      '{"id":"b","y":1e3}',
    ]);
  });

  it('gives an empty list for an empty page', () => {
    expect(rawListItems('{"object":"list","data":[],"has_more":false}', [])).toEqual([]);
  });

  it('declines what it cannot slice with certainty', () => {
    const items = [{ id: 'ch_1' }, { id: 'ch_2' }];
    // pretty-printed, as Stripe itself answers
    const pretty = JSON.stringify({ object: 'list', data: items, has_more: false }, null, 2);
    expect(rawListItems(pretty, items)).toBeUndefined();
    // an object whose first key is not its id
    const other = '{"object":"list","data":[{"object":"charge","id":"ch_1"}],"has_more":false}';
    expect(rawListItems(other, JSON.parse(other).data)).toBeUndefined();
    // has_more before data: the end of the list cannot be found
    const reordered = `{"has_more":false,"data":[${JSON.stringify(items[0])}]}`;
    expect(rawListItems(reordered, [items[0]!])).toBeUndefined();
    // ids that are not in the text, or not strings
    expect(rawListItems(page(items), [{ id: 'ch_9' }])).toBeUndefined();
    expect(rawListItems(page([{ id: 7 }]), [{ id: 7 }])).toBeUndefined();
  });

  it('declines when the next id also appears nested in the previous object', () => {
    const items = [{ id: 'ch_1', related: [{ id: 'ch_2' }] }, { id: 'ch_2' }];
    const text = page(items);
    expect(rawListItems(text, JSON.parse(text).data)).toBeUndefined();
  });
});
