import { mkdir, rm } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import pLimit, { type LimitFunction } from 'p-limit';
import type { ObjectStore } from '../storage/object-store.js';
import type { DuckSession } from './session.js';
import { sqlIdent, sqlString, sqlStringList } from './sql-template.js';

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
 * dt its row count and the NULL counts of `countNulls`, counted in the files written (`fileCounts`).
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
  const copied = await session.conn.runAndReadAll(
    `copy (${opts.sortInQuery ? `select * from (${opts.query}) order by ${opts.orderBy}` : opts.query}) to ${sqlString(outDir)} (format parquet, row_group_size ${PARQUET_ROW_GROUP_ROWS}, ` +
      'partition_by (dt), write_partition_columns true, overwrite_or_ignore true, return_files true)',
  );
  const result = copied.getRowObjectsJson()[0] ?? {};
  const files = (result['Files'] ?? []) as string[];
  const partitions = partitionsOfFiles(await fileCounts(session, files, opts.countNulls ?? []));
  assertAllCounted(result['Count'], partitions, outDir);
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

/**
 * Every row the COPY wrote (`count`, its result's `Count`) is in a file counted: a row left out
 * (a file the result did not name) would never be published.
 */
export function assertAllCounted(
  count: unknown,
  partitions: ReadonlyMap<string, WrittenPartition>,
  where: string,
): void {
  const counted = [...partitions.values()].reduce((n, p) => n + p.rows, 0);
  if (counted !== Number(count ?? Number.NaN))
    throw new Error(
      `partitioned write to ${where}: the COPY wrote ${String(count)} rows, its files hold ${counted}`,
    );
}

/** Rows of one file written, and its NULLs of the columns asked for. */
export interface FileCounts {
  filename: string;
  rows: number;
  nulls: Record<string, number>;
}

/**
 * Rows and NULLs per file, counted in the files (row counts from their footers, one narrow column
 * read per NULL count). Not the COPY's `RETURN_STATS`: it builds every column's statistics of
 * every file, ~2 ms a file, which was half the cost of writing a long history of small days (382
 * partitions of a table: 0.9 s to write, 0.6-0.9 s more for the statistics; this count 0.1 s).
 */
export async function fileCounts(
  session: DuckSession,
  files: readonly string[],
  countNulls: readonly string[],
): Promise<FileCounts[]> {
  if (files.length === 0) return [];
  const rows = await session.rows<Record<string, string | number>>(
    `select _pp_file, count(*)::BIGINT as _pp_rows${countNulls.map((c, i) => `, (count(*) - count(${sqlIdent(c)}))::BIGINT as _pp_nulls_${i}`).join('')} ` +
      `from read_parquet(${sqlStringList(files)}, filename = '_pp_file', hive_partitioning = false) group by _pp_file`,
  );
  return rows.map((r) => ({
    filename: String(r['_pp_file']),
    rows: Number(r['_pp_rows']),
    nulls: Object.fromEntries(countNulls.map((c, i) => [c, Number(r[`_pp_nulls_${i}`])])),
  }));
}

/** Rows and NULL counts per dt, summed over the files of each partition. */
export function partitionsOfFiles(files: readonly FileCounts[]): Map<string, WrittenPartition> {
  const out = new Map<string, WrittenPartition>();
  for (const f of files) {
    const dt = /[/\\]dt=([^/\\]+)[/\\][^/\\]+$/.exec(f.filename)?.[1];
    if (!dt) throw new Error(`partitioned write: no dt in the file name ${f.filename}`);
    const p = out.get(dt) ?? { rows: 0, nulls: {}, files: [] };
    p.files.push(f.filename);
    p.rows += f.rows;
    for (const [col, n] of Object.entries(f.nulls)) p.nulls[col] = (p.nulls[col] ?? 0) + n;
    out.set(dt, p);
  }
  return out;
}
