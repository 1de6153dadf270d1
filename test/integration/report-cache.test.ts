import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { describe, expect, it } from 'vitest';
import { collectReportInput } from '../../src/report/report-data.js';
import { publishLatest } from '../../src/state/publish.js';
import { layout } from '../../src/storage/layout.js';
import { LocalObjectStore } from '../../src/storage/local-store.js';
import type { ObjectStore } from '../../src/storage/object-store.js';
import { tempDirs } from '../helpers/temp-dirs.js';
import { s3TestStore } from '../s3-env.js';

const tempDir = tempDirs('pp-report-cache-');

/**
 * A published daily_overview of one usd row a day (`sales` by dt), on the local disk or on the
 * test S3 server; `writeDay` rewrites one partition (its row's date_day `day`, default dt).
 */
async function lakeWithDays(on: 'local' | 's3', days: Record<string, number>) {
  const root = await tempDir();
  const store: ObjectStore = on === 'local' ? new LocalObjectStore(root) : s3TestStore('report-cache');
  const writeDay = async (dt: string, sales: number, day = dt): Promise<string> => {
    const key = layout.goldPartition('daily_overview', dt);
    const local = on === 'local' ? join(root, key) : join(root, 'out', `${dt}-${Date.now()}.parquet`);
    await mkdir(dirname(local), { recursive: true });
    const db = await DuckDBInstance.create(':memory:');
    const conn = await db.connect();
    try {
      await conn.run(`copy (select DATE '${day}' as date_day, 'usd' as currency, ${sales}::BIGINT as sales_amount,
        1::BIGINT as sales_count, 0::BIGINT as refunds_amount, 0::BIGINT as refunds_count,
        0::BIGINT as disputes_count, 0::BIGINT as failed_charges_count, 30::BIGINT as fees_amount,
        ${sales - 30}::BIGINT as net_amount, 0::BIGINT as payouts_amount, DATE '${dt}' as dt)
        to '${local}' (format parquet)`);
    } finally {
      conn.closeSync();
      db.closeSync();
    }
    if (on === 's3') await store.putFile(key, local);
    // another mtime on the local disk for a rewrite of the same size
    else await new Promise((r) => setTimeout(r, 20));
    return key;
  };
  await store.put(
    layout.manifest('r1'),
    JSON.stringify({
      run_id: 'r1',
      command: 'run-all',
      status: 'succeeded',
      started_at: '2024-01-04T00:00:00Z',
      settings: {},
    }),
  );
  const keys: string[] = [];
  for (const [dt, sales] of Object.entries(days)) keys.push(await writeDay(dt, sales));
  await publishLatest(store, 'r1', [
    { model: 'daily_overview', keys, row_count: keys.length, max_business_ts: null },
  ]);
  const sales = async () =>
    Object.fromEntries(
      ((await collectReportInput(store, { version: 't' })).daily ?? []).map((r) => [
        r.date_day,
        r.sales_amount,
      ]),
    );
  const cacheKey = layout.reportChartCache('daily_overview');
  const cache = async () => JSON.parse(Buffer.from((await store.get(cacheKey))!).toString('utf8'));
  const setCache = (value: unknown) =>
    store.put(cacheKey, typeof value === 'string' ? value : JSON.stringify(value));
  return { store, keys, writeDay, sales, cache, setCache };
}

describe('report chart cache', () => {
  for (const on of ['local', 's3'] as const) {
    it(`on ${on}: reads only the partitions whose object changed; the others come from the rows kept for that very object`, async () => {
      const lake = await lakeWithDays(on, { '2024-01-01': 100, '2024-01-02': 200, '2024-01-03': 300 });
      expect(await lake.sales()).toEqual({ '2024-01-01': 100, '2024-01-02': 200, '2024-01-03': 300 });
      // the kept rows are what the next report shows of an unchanged partition: plant a value there
      const cache = await lake.cache();
      cache.parts[lake.keys[0]!].rows[0][cache.columns.indexOf('sales_amount')] = 999;
      await lake.setCache(cache);
      expect(await lake.sales()).toEqual({ '2024-01-01': 999, '2024-01-02': 200, '2024-01-03': 300 });
      // a partition rewritten (the same size: another mtime or ETag) is read again, the planted one still not
      await lake.writeDay('2024-01-02', 201);
      expect(await lake.sales()).toEqual({ '2024-01-01': 999, '2024-01-02': 201, '2024-01-03': 300 });
      // rows kept for other SQL are never used: everything read again
      await lake.setCache({ ...(await lake.cache()), sql: 'other' });
      expect(await lake.sales()).toEqual({ '2024-01-01': 100, '2024-01-02': 201, '2024-01-03': 300 });
      // an unreadable cache is no cache
      await lake.setCache('{not json');
      expect(await lake.sales()).toEqual({ '2024-01-01': 100, '2024-01-02': 201, '2024-01-03': 300 });
    });
  }

  it('a row that does not belong to the partition it was read from: the chart is read whole and not kept', async () => {
    const lake = await lakeWithDays('local', { '2024-01-01': 100, '2024-01-02': 200 });
    await lake.sales();
    const before = await lake.cache();
    // partition 01-02 now holds a row of 01-05 (against the model's contract)
    await lake.writeDay('2024-01-02', 500, '2024-01-05');
    expect(await lake.sales()).toEqual({ '2024-01-01': 100, '2024-01-05': 500 });
    expect(await lake.cache()).toEqual(before);
  });
});
