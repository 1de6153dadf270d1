import { mkdir, rm } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import pLimit, { type LimitFunction } from 'p-limit';
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

/** What a partitioned write put in one `dt`: its rows, and the NULLs of the columns asked for. */
export interface WrittenPartition {
  rows: number;
  nulls: Record<string, number>;
  /** The files DuckDB wrote for it (more than one when its writer threads split it). */
  files: string[];
}

/**
 * Writes a query's rows as one Parquet file per `dt`, sorted by `orderBy`, with ONE
 * `COPY ... PARTITION_BY (dt)`, then moves each partition to the key `keyOf(dt)` with `putFile`
 * (atomic per object; a rename on one local filesystem). Returns the dts and keys written, and per
 * dt its row count and the NULL counts of `countNulls`, from the statistics the COPY itself
 * returns (`RETURN_STATS`): no second read of the files.
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
  /**
   * Scratch folder of the partitioned write, kept with its `dt=` folders between writes: creating
   * a folder per day for every table was a tenth of the transform's CPU (ext4 spreads new folders
   * over its block groups). Writes into one folder take turns.
   */
  outDir: string;
  keyOf: (dt: string) => string;
  sortInQuery: boolean;
  countNulls?: readonly string[];
}): Promise<{ dts: string[]; keys: string[]; partitions: Map<string, WrittenPartition> }> {
  const turn = turns.get(opts.outDir) ?? pLimit(1);
  turns.set(opts.outDir, turn);
  try {
    return await turn(async () => {
      try {
        return await writePartitions(opts);
      } catch (err) {
        // a failed write may leave files a later one would take for its own
        await rm(opts.outDir, { recursive: true, force: true });
        throw err;
      }
    });
  } finally {
    // each run has its own scratch folder: forget it once no write waits for it
    if (turn.activeCount === 0 && turn.pendingCount === 0) turns.delete(opts.outDir);
  }
}

const turns = new Map<string, LimitFunction>();

async function writePartitions(opts: Parameters<typeof copyPartitioned>[0]) {
  const { session, outDir } = opts;
  await mkdir(outDir, { recursive: true });
  const stats = await session.conn.runAndReadAll(
    `copy (${opts.sortInQuery ? `select * from (${opts.query}) order by ${opts.orderBy}` : opts.query}) to ${sqlString(outDir)} (format parquet, row_group_size ${PARQUET_ROW_GROUP_ROWS}, ` +
      'partition_by (dt), write_partition_columns true, overwrite_or_ignore true, return_stats true)',
  );
  const partitions = partitionsOfStats(
    stats.getRowObjectsJson() as unknown as CopyStatsRow[],
    opts.countNulls ?? [],
  );
  const dts = [...partitions.keys()].sort();
  // Writer threads may split a partition and order rows as they came: one sorted file.
  const rewritten = dts.filter((dt) => !opts.sortInQuery || partitions.get(dt)!.files.length > 1);
  // One small statement per partition costs ~10 ms of mostly fixed overhead: run them on one
  // connection per core (a connection runs one statement at a time).
  const conns = await Promise.all(
    Array.from({ length: Math.min(availableParallelism(), rewritten.length) }, () => session.connect()),
  );
  const idle = [...conns];
  const rewrite = pLimit(Math.max(1, conns.length));
  // uploads (S3) overlap with the rewrites
  const limit = pLimit(8);
  const toRewrite = new Set(rewritten);
  try {
    await Promise.all(
      dts.map((dt) =>
        limit(async () => {
          const files = partitions.get(dt)!.files;
          let file = files[0]!;
          if (toRewrite.has(dt)) {
            file = join(outDir, `dt=${dt}`, 'sorted.parquet.out');
            await rewrite(async () => {
              const conn = idle.pop()!;
              try {
                await conn.run(
                  `copy (select * from read_parquet(${sqlStringList(files)}) order by ${opts.orderBy}) ` +
                    `to ${sqlString(file)} (format parquet, row_group_size ${PARQUET_ROW_GROUP_ROWS})`,
                );
              } finally {
                idle.push(conn);
              }
            });
            await Promise.all(files.map((f) => rm(f)));
          }
          await opts.store.putFile(opts.keyOf(dt), file, { move: true });
          // a store that copied (S3, another filesystem) leaves the file
          await rm(file, { force: true });
        }),
      ),
    );
  } finally {
    for (const c of conns) c.closeSync();
  }
  return { dts, keys: dts.map((dt) => opts.keyOf(dt)).sort(), partitions };
}

/** One row of `COPY ... (RETURN_STATS true)`, as JSON: one per file written. */
interface CopyStatsRow {
  filename: string;
  count: string | number;
  column_statistics: { key: string; value: { key: string; value: string | null }[] }[] | null;
}

/** Rows and NULL counts per dt, summed over the files of each partition. */
export function partitionsOfStats(
  rows: readonly CopyStatsRow[],
  countNulls: readonly string[],
): Map<string, WrittenPartition> {
  const out = new Map<string, WrittenPartition>();
  for (const r of rows) {
    const dt = /[/\\]dt=([^/\\]+)[/\\][^/\\]+$/.exec(r.filename)?.[1];
    if (!dt) throw new Error(`partitioned write: no dt in the file name ${r.filename}`);
    const p = out.get(dt) ?? { rows: 0, nulls: Object.fromEntries(countNulls.map((c) => [c, 0])), files: [] };
    p.files.push(r.filename);
    p.rows += Number(r.count);
    for (const col of countNulls) {
      // DuckDB names a column as an identifier (quoted when it must be)
      const entry = r.column_statistics?.find((c) => c.key === col || c.key === `"${col}"`);
      const nulls = entry?.value.find((v) => v.key === 'null_count')?.value;
      if (nulls === undefined || nulls === null)
        throw new Error(`partitioned write: no null count of ${col} for ${r.filename}`);
      p.nulls[col] = (p.nulls[col] ?? 0) + Number(nulls);
    }
    out.set(dt, p);
  }
  return out;
}
