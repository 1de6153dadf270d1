import { describe, expect, it } from 'vitest';
import { useDuckSession } from '../../test/helpers/duck-session.js';
import { MAX_EXAMPLES } from './examples.js';
import { diffKeys } from './key-diff.js';

describe('diffKeys', () => {
  const duck = useDuckSession('key-diff-', '256MB');

  const expected = `(select * from (values ('a', 'b/2'), ('b', 'b/1'), ('c', 'b/1'), ('d', 'b/3')) t(k, bronze_key))`;
  const rows = `(select k, dt::DATE as dt from (values
      ('a', '2026-01-02'), ('a', '2026-01-01'), ('x', '2026-01-03'), (NULL, '2026-01-01'), ('d', '2026-01-01')
    ) t(k, dt))`;

  it('counts and lists missing keys, extra and null keys, and copies with their partitions', async () => {
    expect(await diffKeys(duck.session, { expected, rows, keyName: 'id' })).toEqual({
      expected: 4,
      rows: 5,
      missing: {
        count: 2,
        examples: [
          { id: 'b', bronze_key: 'b/1' },
          { id: 'c', bronze_key: 'b/1' },
        ],
      },
      extra: {
        count: 2,
        examples: [
          { id: null, dt: '2026-01-01' },
          { id: 'x', dt: '2026-01-03' },
        ],
      },
      duplicated: { count: 1, examples: [{ id: 'a', copies: 2, dts: ['2026-01-01', '2026-01-02'] }] },
    });
  });

  it('counts a null expected key as missing, and null keys in Silver as extra and as copies', async () => {
    const withNull = `(select * from (values ('a', 'b/1'), (NULL, 'b/2')) t(k, bronze_key))`;
    const nulls = `(select k, dt::DATE as dt from (values ('a', '2026-01-01'), (NULL, '2026-01-01'), (NULL, '2026-01-02')) t(k, dt))`;
    const diff = await diffKeys(duck.session, { expected: withNull, rows: nulls, keyName: 'id' });
    expect(diff).toMatchObject({
      expected: 2,
      rows: 3,
      missing: { count: 1, examples: [{ id: null, bronze_key: 'b/2' }] },
      extra: { count: 2 },
      duplicated: { count: 1, examples: [{ id: null, copies: 2, dts: ['2026-01-01', '2026-01-02'] }] },
    });
  });

  it('equal key sets pass whole; a null key on both sides is still missing and extra', async () => {
    const same = `(select k, '2026-01-01'::DATE as dt from ${expected})`;
    expect(await diffKeys(duck.session, { expected, rows: same, keyName: 'id' })).toEqual({
      expected: 4,
      rows: 4,
      missing: { count: 0, examples: [] },
      extra: { count: 0, examples: [] },
      duplicated: { count: 0, examples: [] },
    });
    // same counts and the same hashes, but a null key never equals another
    const withNull = `(select * from (values ('a', 'b/1'), (NULL, 'b/2')) t(k, bronze_key))`;
    const nullRows = `(select k, '2026-01-01'::DATE as dt from ${withNull})`;
    const diff = await diffKeys(duck.session, { expected: withNull, rows: nullRows, keyName: 'id' });
    expect(diff).toMatchObject({ expected: 2, rows: 2, missing: { count: 1 }, extra: { count: 1 } });
  });

  it('looks expected keys up in `lookup` when only some rows are checked', async () => {
    const checked = `(select * from ${rows} where dt = '2026-01-03')`;
    const diff = await diffKeys(duck.session, { expected, rows: checked, lookup: rows, keyName: 'key' });
    expect(diff).toMatchObject({ expected: 4, rows: 1, duplicated: { count: 0, examples: [] } });
    expect(diff.missing.examples).toEqual([
      { key: 'b', bronze_key: 'b/1' },
      { key: 'c', bronze_key: 'b/1' },
    ]);
    expect(diff.extra).toEqual({ count: 1, examples: [{ key: 'x', dt: '2026-01-03' }] });
  });

  it('reads `lookup` only when an expected key is outside the checked rows', async () => {
    // a lookup that fails when DuckDB reads a row of it
    const unreadable = `(select error('lookup was read')::VARCHAR as k from range(1))`;
    const covering = `(select k, '2026-01-01'::DATE as dt from ${expected})`;
    const diff = await diffKeys(duck.session, {
      expected,
      rows: covering,
      lookup: unreadable,
      keyName: 'id',
    });
    expect(diff.missing).toEqual({ count: 0, examples: [] });
    // one key outside them: the lookup is read, and decides
    const short = `(select * from ${covering} where k <> 'd')`;
    await expect(
      diffKeys(duck.session, { expected, rows: short, lookup: unreadable, keyName: 'id' }),
    ).rejects.toThrow(/lookup was read/);
    const found = await diffKeys(duck.session, { expected, rows: short, lookup: covering, keyName: 'id' });
    expect(found.missing).toEqual({ count: 0, examples: [] });
  });

  it('caps the examples and keeps the full count', async () => {
    const many = `(select 'k' || i as k, 'b/' || i as bronze_key from range(${MAX_EXAMPLES + 5}) r(i))`;
    const none = `(select NULL::VARCHAR as k, NULL::DATE as dt limit 0)`;
    const diff = await diffKeys(duck.session, { expected: many, rows: none, keyName: 'id' });
    expect(diff.missing.count).toBe(MAX_EXAMPLES + 5);
    expect(diff.missing.examples).toHaveLength(MAX_EXAMPLES);
    expect(diff.extra).toEqual({ count: 0, examples: [] });
  });
});
