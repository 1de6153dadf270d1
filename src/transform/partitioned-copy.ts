import { mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import pLimit from 'p-limit';
import type { ObjectStore } from '../storage/object-store.js';
import type { DuckSession } from './duckdb-session.js';
import { sqlString, sqlStringList } from './sql-template.js';

/**
 * Writes a query's rows as one Parquet file per `dt` with ONE DuckDB query
 * (`COPY ... PARTITION_BY (dt)`, `dt` kept in the files), then uploads each partition to the key
 * `keyOf(dt)` with `putFile` (atomic per object). Returns the dts written.
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
    `copy (select * from (${opts.query}) order by ${opts.orderBy}) to ${sqlString(outDir)} ` +
      '(format parquet, partition_by (dt), write_partition_columns true, overwrite_or_ignore true)',
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
        let file = join(dir, files[0]!);
        if (files.length > 1) {
          // Several writer threads may split a partition: merge so a partition stays one file.
          file = join(dir, 'merged.parquet.out');
          await session.conn.run(
            `copy (select * from read_parquet(${sqlStringList(files.map((f) => join(dir, f)))}) order by ${opts.orderBy}) to ${sqlString(file)} (format parquet)`,
          );
        }
        const key = opts.keyOf(dt);
        await opts.store.putFile(key, file);
        keys.push(key);
        dts.push(dt);
      }),
    ),
  );
  return { dts: dts.sort(), keys: keys.sort() };
}
