import { describe, expect, it } from 'vitest';
import { type ChartCache, planChart, rowsByPart, sortRows, sqlHash } from './chart-cache.js';

const part = (dt: string) => `gold/model=m/dt=${dt}/data.parquet`;
const obj = (dt: string, size: number, modifiedMs = 1) => ({ key: part(dt), size, modifiedMs });

describe('chart cache', () => {
  const cache: ChartCache = {
    version: 1,
    sql: sqlHash('select 1'),
    columns: ['day', 'n'],
    parts: {
      [part('2024-01-01')]: { fp: '10:1', rows: [['2024-01-01', 1]] },
      [part('2024-01-02')]: { fp: '10:1', rows: [['2024-01-02', 2]] },
    },
  };

  it('reuses a partition only while its object has the fingerprint its rows were computed from', () => {
    const keys = ['2024-01-01', '2024-01-02', '2024-01-03'].map(part);
    // 01-02 rewritten (another size), 01-03 new, 01-01 the same object
    const plan = planChart(
      keys,
      [obj('2024-01-01', 10), obj('2024-01-02', 11), obj('2024-01-03', 10)],
      cache,
    );
    expect(plan.reuse).toEqual([part('2024-01-01')]);
    expect(plan.read).toEqual([part('2024-01-02'), part('2024-01-03')]);
    // the same size, another ETag: read again
    const etag = planChart(keys.slice(0, 1), [{ ...obj('2024-01-01', 10), etag: 'abc' }], cache);
    expect(etag.read).toEqual([part('2024-01-01')]);
    // not listed, or no cache: read
    expect(planChart(keys.slice(0, 1), [], cache).read).toEqual([part('2024-01-01')]);
    expect(planChart(keys, [obj('2024-01-01', 10)], undefined).reuse).toEqual([]);
  });

  it('assigns computed rows to the partitions read, or refuses when a row lands outside them', () => {
    const read = [part('2024-01-02'), part('2024-01-03')];
    const rows = [
      ['2024-01-02', 5],
      ['2024-01-02', 6],
    ];
    const by = rowsByPart(['day', 'n'], rows, 'day', part, read);
    expect(by && [...by]).toEqual([
      [part('2024-01-02'), rows],
      // read, no rows: kept as empty, so the cache says so
      [part('2024-01-03'), []],
    ]);
    expect(rowsByPart(['day', 'n'], [['2024-01-01', 1]], 'day', part, read)).toBeUndefined();
    expect(rowsByPart(['day', 'n'], rows, 'no_such_column', part, read)).toBeUndefined();
  });

  it('orders rows by the named columns as the SQL does', () => {
    const rows = [
      ['usd', '2024-01-02'],
      ['eur', '2024-01-03'],
      ['usd', '2024-01-01'],
    ];
    expect(sortRows(['currency', 'day'], rows, ['currency', 'day'])).toEqual([
      ['eur', '2024-01-03'],
      ['usd', '2024-01-01'],
      ['usd', '2024-01-02'],
    ]);
    expect(() => sortRows(['currency'], [], ['day'])).toThrow(/no column day/);
  });
});
