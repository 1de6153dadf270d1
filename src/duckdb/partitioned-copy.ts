import { mkdir, readdir, rm } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import pLimit from 'p-limit';
import type { ObjectStore } from '../storage/object-store.js';
import type { DuckSession } from './session.js';
import { sqlString, sqlStringList } from './sql-template.js';

/**
 * Rows per Parquet row group. DuckDB's default (122,880) makes its writer buffer a whole row group
 * of wide Stripe JSON columns per open file (an allocation of over 100 MB for events at 100k
 * charges): small groups keep a partitioned write within a 512 MB memory limit.
 */
export const PARQUET_ROW_GROUP_ROWS = 10_000;

/**
 * Whether a write of about `inputBytes` may sort in one query: a global ORDER BY over wide rows
 * needs them in memory (450k events, 900 MB of JSON, fail with "Out of Memory" at a 512 MB limit),
 * so beyond half the limit each partition is sorted on its own instead.
 */
export function sortsInQuery(inputBytes: number, memoryBytes: number): boolean {
  return inputBytes <= memoryBytes / 2;
}

/**
 * Writes a query's rows as one Parquet file per `dt`, sorted by `orderBy`, with ONE
 * `COPY ... PARTITION_BY (dt)`, then uploads each partition to the key `keyOf(dt)` with `putFile`
 * (atomic per object). Returns the dts written.
 *
 * `sortInQuery`: the COPY sorts (fast; writer threads rarely split a partition, and a split one is
 * merged). Otherwise, for bounded memory, the COPY streams unsorted and every partition, small by
 * construction, is rewritten sorted (~10 ms each). Either way: one deterministic file per dt.
 */
export async function copyPartitioned(opts: {
  session: DuckSession;
  store: ObjectStore;
  query: string;
  orderBy: string;
  outDir: string;
  keyOf: (dt: string) => string;
  sortInQuery: boolean;
}): Promise<{ dts: string[]; keys: string[] }> {
  const { session, outDir } = opts;
  await rm(outDir, { recursive: true, force: true });
  await mkdir(outDir, { recursive: true });
  await session.conn.run(
    `copy (${opts.sortInQuery ? `select * from (${opts.query}) order by ${opts.orderBy}` : opts.query}) to ${sqlString(outDir)} (format parquet, row_group_size ${PARQUET_ROW_GROUP_ROWS}, ` +
      'partition_by (dt), write_partition_columns true, overwrite_or_ignore true)',
  );
  const dirs = (await readdir(outDir)).filter((d) => d.startsWith('dt=')).sort();
  // One small statement per partition costs ~10 ms of mostly fixed overhead: run them on one
  // connection per core (a connection runs one statement at a time).
  const conns = await Promise.all(
    Array.from({ length: Math.min(availableParallelism(), dirs.length) }, () => session.connect()),
  );
  const idle = [...conns];
  const rewrite = pLimit(Math.max(1, conns.length));
  // uploads (S3) overlap with the rewrites
  const limit = pLimit(8);
  const keys: string[] = [];
  const dts: string[] = [];
  await Promise.all(
    dirs.map((d) =>
      limit(async () => {
        const dt = d.slice(3);
        const dir = join(outDir, d);
        const files = (await readdir(dir)).filter((f) => f.endsWith('.parquet')).sort();
        let file = join(dir, files[0]!);
        // Writer threads may split a partition and order rows as they came: one sorted file.
        if (!opts.sortInQuery || files.length > 1) {
          file = join(dir, 'sorted.parquet.out');
          await rewrite(async () => {
            const conn = idle.pop()!;
            try {
              await conn.run(
                `copy (select * from read_parquet(${sqlStringList(files.map((f) => join(dir, f)))}) order by ${opts.orderBy}) ` +
                  `to ${sqlString(file)} (format parquet, row_group_size ${PARQUET_ROW_GROUP_ROWS})`,
              );
            } finally {
              idle.push(conn);
            }
          });
        }
        const key = opts.keyOf(dt);
        await opts.store.putFile(key, file);
        keys.push(key);
        dts.push(dt);
      }),
    ),
  );
  for (const c of conns) c.closeSync();
  return { dts: dts.sort(), keys: keys.sort() };
}
