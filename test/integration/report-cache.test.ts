import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { describe, expect, it } from 'vitest';
import { collectReportInput } from '../../src/report/report-data.js';
import { publishLatest } from '../../src/state/publish.js';
import { layout } from '../../src/storage/layout.js';
import { LocalObjectStore } from '../../src/storage/local-store.js';
import { tempDirs } from '../helpers/temp-dirs.js';

const tempDir = tempDirs('pp-report-cache-');

/** Writes daily_overview's partition `dt` with one usd row (its date_day `day`, default dt). */
async function writeDay(root: string, dt: string, sales: number, day = dt): Promise<string> {
  const key = layout.goldPartition('daily_overview', dt);
  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  try {
    await conn.run(`copy (select DATE '${day}' as date_day, 'usd' as currency, ${sales}::BIGINT as sales_amount,
      1::BIGINT as sales_count, 0::BIGINT as refunds_amount, 0::BIGINT as refunds_count,
      0::BIGINT as disputes_count, 0::BIGINT as failed_charges_count, 30::BIGINT as fees_amount,
      ${sales - 30}::BIGINT as net_amount, 0::BIGINT as payouts_amount, DATE '${dt}' as dt)
      to '${join(root, key)}' (format parquet)`);
  } finally {
    conn.closeSync();
    db.closeSync();
  }
  return key;
}

async function lakeWithDays(days: Record<string, number>) {
  const root = await tempDir();
  const store = new LocalObjectStore(root);
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
  for (const [dt, sales] of Object.entries(days)) {
    await mkdir(dirname(join(root, layout.goldPartition('daily_overview', dt))), { recursive: true });
    keys.push(await writeDay(root, dt, sales));
  }
  const publish = () =>
    publishLatest(store, 'r1', [
      { model: 'daily_overview', keys, row_count: keys.length, max_business_ts: null },
    ]);
  await publish();
  const sales = async () =>
    Object.fromEntries(
      ((await collectReportInput(store, { version: 't' })).daily ?? []).map((r) => [
        r.date_day,
        r.sales_amount,
      ]),
    );
  return { root, store, keys, publish, sales };
}

describe('report chart cache', () => {
  it('reads only the partitions whose object changed; the others come from the rows kept for that very object', async () => {
    const lake = await lakeWithDays({ '2024-01-01': 100, '2024-01-02': 200, '2024-01-03': 300 });
    expect(await lake.sales()).toEqual({ '2024-01-01': 100, '2024-01-02': 200, '2024-01-03': 300 });
    // the kept rows are what the next report shows of an unchanged partition: plant a value there
    const cacheFile = join(lake.root, layout.reportChartCache('daily_overview'));
    const cache = JSON.parse(await readFile(cacheFile, 'utf8'));
    const day1 = cache.parts[lake.keys[0]!];
    const salesAt = cache.columns.indexOf('sales_amount');
    day1.rows[0][salesAt] = 999;
    await writeFile(cacheFile, JSON.stringify(cache));
    expect(await lake.sales()).toEqual({ '2024-01-01': 999, '2024-01-02': 200, '2024-01-03': 300 });
    // a partition rewritten is read again (its new object), the planted one still not
    await new Promise((r) => setTimeout(r, 20));
    await writeDay(lake.root, '2024-01-02', 12_345);
    expect(await lake.sales()).toEqual({ '2024-01-01': 999, '2024-01-02': 12_345, '2024-01-03': 300 });
    // rows kept for other SQL are never used: everything read again
    const again = JSON.parse(await readFile(cacheFile, 'utf8'));
    await writeFile(cacheFile, JSON.stringify({ ...again, sql: 'other' }));
    expect(await lake.sales()).toEqual({ '2024-01-01': 100, '2024-01-02': 12_345, '2024-01-03': 300 });
    // an unreadable cache is no cache
    await writeFile(cacheFile, '{not json');
    expect(await lake.sales()).toEqual({ '2024-01-01': 100, '2024-01-02': 12_345, '2024-01-03': 300 });
  });

  it('a row that does not belong to the partition it was read from: the chart is read whole and not kept', async () => {
    const lake = await lakeWithDays({ '2024-01-01': 100, '2024-01-02': 200 });
    await lake.sales();
    const cacheFile = join(lake.root, layout.reportChartCache('daily_overview'));
    const before = await readFile(cacheFile, 'utf8');
    // partition 01-02 now holds a row of 01-05 (against the model's contract)
    await new Promise((r) => setTimeout(r, 20));
    await writeDay(lake.root, '2024-01-02', 500, '2024-01-05');
    expect(await lake.sales()).toEqual({ '2024-01-01': 100, '2024-01-05': 500 });
    expect(await readFile(cacheFile, 'utf8')).toBe(before);
  });
});
