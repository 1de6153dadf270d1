import { join } from 'node:path';
import { sqlString, sqlStringList } from '../duckdb/sql-template.js';
import type { TableName } from '../entities/entity.js';
import type { QualityContext } from './quality-context.js';

/**
 * The ids each Bronze object holds, kept for the Bronze -> Silver reconciliation so that a daily
 * run does not re-parse gigabytes of JSON it already read. Sound because Bronze is append-only:
 * an object is never rewritten, so the ids read from it once stay true. Kept apart from the
 * transform (read by the check itself, from the raw JSON), so the check stays independent of the
 * code it checks. Scope `all` does not read it (every Bronze line is read again), but refreshes it.
 *
 * One Parquet file per quality run and table: `(bronze_key, id)`, and a NULL id for an object that
 * holds none of the table's ids (a webhook delivery of another object type), so it is not re-read.
 */
export const bronzeIdCachePrefix = (table: TableName) => `_state/quality/bronze_ids/${table}/`;
export const bronzeIdCacheKey = (table: TableName, runId: string) =>
  `${bronzeIdCachePrefix(table)}run_${runId}.parquet`;

/** Beyond this many cache files for a table, a run writes one merged file and drops the others. */
export const MAX_CACHE_FILES = 16;

/**
 * Inserts into `into` (id, bronze_key) the cached ids of those `keys` the cache knows, and returns
 * the keys it knew (whether or not they hold an id).
 */
export async function loadCachedIds(
  ctx: QualityContext,
  table: TableName,
  keys: readonly string[],
  into: string,
): Promise<Set<string>> {
  if (keys.length === 0) return new Set();
  const files = (await ctx.store.list(bronzeIdCachePrefix(table)))
    .map((o) => o.key)
    .filter((k) => k.endsWith('.parquet'));
  if (files.length === 0) return new Set();
  await ctx.stager.stage(files);
  const cached = `${into}_cached`;
  await ctx.db.conn.run(
    `create or replace temp table ${cached} as
     select bronze_key, id from read_parquet(${sqlStringList(files.map((k) => ctx.stager.localPath(k)))})
     where bronze_key in (select unnest(${sqlStringList(keys)}))`,
  );
  try {
    await ctx.db.conn.run(
      `insert into ${into} select distinct id, bronze_key from ${cached} where id is not null`,
    );
    const known = await ctx.db.rows<{ k: string }>(`select distinct bronze_key as k from ${cached}`);
    return new Set(known.map((r) => r.k));
  } finally {
    await ctx.db.conn.run(`drop table if exists ${cached}`);
  }
}

/**
 * Records the ids just read from `keys` (rows of `from`: id, bronze_key) in this run's cache file
 * of the table; past `MAX_CACHE_FILES` files, merges them all into this run's file.
 */
export async function saveCachedIds(
  ctx: QualityContext,
  table: TableName,
  keys: readonly string[],
  from: string,
): Promise<void> {
  if (keys.length === 0) return;
  const key = bronzeIdCacheKey(table, ctx.runId);
  const older = (await ctx.store.list(bronzeIdCachePrefix(table)))
    .map((o) => o.key)
    .filter((k) => k.endsWith('.parquet') && k !== key);
  const merge = older.length >= MAX_CACHE_FILES;
  if (merge) await ctx.stager.stage(older);
  const keyList = `(select unnest(${sqlStringList(keys)}) as bronze_key)`;
  const fresh = `select bronze_key, id from ${from} where bronze_key in ${keyList}
    union all
    select k.bronze_key, NULL::VARCHAR as id from ${keyList} k
    where not exists (select 1 from ${from} f where f.bronze_key = k.bronze_key)`;
  const rows = merge
    ? `${fresh} union all select bronze_key, id from read_parquet(${sqlStringList(older.map((k) => ctx.stager.localPath(k)))})`
    : fresh;
  const local = join(ctx.workDir, `bronze-ids-${table}.parquet`);
  await ctx.db.conn.run(
    `copy (select distinct bronze_key, id from (${rows}) order by bronze_key, id) to ${sqlString(local)} (format parquet)`,
  );
  await ctx.store.putFile(key, local);
  // Only after the merged file is durable: a crash in between leaves duplicates, which are harmless.
  if (merge) for (const k of older) await ctx.store.delete(k);
}
