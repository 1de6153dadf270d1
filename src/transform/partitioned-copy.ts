import { mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import pLimit from 'p-limit';
import type { ObjectStore } from '../storage/object-store.js';
import type { DuckSession } from './duckdb-session.js';
import { sqlString, sqlStringList } from './sql-template.js';

/**
 * Rows per Parquet row group. DuckDB's default (122,880) makes its writer buffer a whole row group
 * of wide Stripe JSON columns per open file (an allocation of over 100 MB for events at 100k
 * charges): small groups keep a partitioned write within a 512 MB memory limit.
 */
export const PARQUET_ROW_GROUP_ROWS = 10_000;

/**
 * Writes a query's rows as one Parquet file per `dt`, sorted by `orderBy`, then uploads each
 * partition to the key `keyOf(dt)` with `putFile` (atomic per object). Returns the dts written.
 *
 * Two phases, for bounded memory: ONE unsorted `COPY ... PARTITION_BY (dt)` streams every row
 * out (a global ORDER BY over wide rows runs out of memory at 1m charges), then each partition,
 * small by construction, is rewritten sorted: one deterministic file whatever the threads did.
 */
export async function copyPartitioned(opts: {
  session: DuckSession;
  store: ObjectStore;
  query: string;
  orderBy: string;
  outDir: string;
  keyOf: (dt: string) => string;
}): Promise<{ dts: string[]; keys: string[] }> {
  const { session, outDir } = opts;
  await rm(outDir, { recursive: true, force: true });
  await mkdir(outDir, { recursive: true });
  await session.conn.run(
    `copy (${opts.query}) to ${sqlString(outDir)} (format parquet, row_group_size ${PARQUET_ROW_GROUP_ROWS}, ` +
      'partition_by (dt), write_partition_columns true, overwrite_or_ignore true)',
  );
  const dirs = (await readdir(outDir)).filter((d) => d.startsWith('dt=')).sort();
  const limit = pLimit(8);
  const keys: string[] = [];
  const dts: string[] = [];
  await Promise.all(
    dirs.map((d) =>
      limit(async () => {
        const dt = d.slice(3);
        const dir = join(outDir, d);
        const files = (await readdir(dir)).filter((f) => f.endsWith('.parquet')).sort();
        // Writer threads may split a partition and order rows as they came: one sorted file.
        const file = join(dir, 'sorted.parquet.out');
        await session.conn.run(
          `copy (select * from read_parquet(${sqlStringList(files.map((f) => join(dir, f)))}) order by ${opts.orderBy}) ` +
            `to ${sqlString(file)} (format parquet, row_group_size ${PARQUET_ROW_GROUP_ROWS})`,
        );
        const key = opts.keyOf(dt);
        await opts.store.putFile(key, file);
        keys.push(key);
        dts.push(dt);
      }),
    ),
  );
  return { dts: dts.sort(), keys: keys.sort() };
}
