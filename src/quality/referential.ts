import type { ForeignKey } from '../contracts/contract.js';
import { SILVER_CONTRACTS, SILVER_TABLES } from '../contracts/silver.js';
import { fewPartitions, orphansSql, silverView } from '../duckdb/foreign-keys.js';
import { sqlIdent, sqlString } from '../duckdb/sql-template.js';
import type { TableName } from '../entities/entity.js';
import { indexColumns } from '../state/key-index.js';
import { dtOfKey } from '../storage/layout.js';
import { capped, MAX_EXAMPLES, num } from './examples.js';
import { dtOfFileSql } from './key-index.js';
import { keysView, type QualityContext, silverPartitions } from './quality-context.js';
import { changedDts } from './scope.js';
import type { CheckResult, PlannedCheck } from './types.js';

/**
 * `ref.<table>.<column>`: every non-NULL foreign key resolves to a row of the table it references
 * (a tombstone counts: a deleted customer still existed). Polymorphic keys resolve by id prefix.
 * Details name the orphan rows: their id, the dangling value and the partition.
 *
 * With scope `changed`, the rows of the partitions written since the last passing quality run:
 * the others resolved when they were checked, and a referenced row is never removed (Silver keeps
 * tombstones; a damaged partition is rebuilt, which makes it changed). `all` probes every row.
 */
export async function checkForeignKey(
  ctx: QualityContext,
  table: TableName,
  fk: ForeignKey,
  /** The counts of every key of the table at once, over a few MB of changed rows ({@link batchedCounts}). */
  batch?: BatchedCounts,
): Promise<CheckResult> {
  const name = `ref.${table}.${fk.column}`;
  const dts =
    ctx.since === undefined
      ? undefined
      : [...changedDts(ctx.silver.get(table) ?? [], ctx.since, dtOfKey, ctx.verified)].sort();
  // the changed partitions' rows, read from their files only; in scope `all`, when the key index
  // keeps the column, from the one file of the table's keys (`QualityContext.wholeKeys`)
  const keys = dts === undefined ? ctx.wholeKeys?.get(silverView(table)) : undefined;
  const rows =
    keys && indexColumns(`silver.${table}`, SILVER_CONTRACTS[table]).includes(fk.column)
      ? `(select *, ${dtOfFileSql}::DATE as dt from ${keys})`
      : await silverPartitions(ctx, table, dts);
  // the referenced ids from the tables' keys (the unchanged partitions' from the key index)
  const { sql: orphans, col } = orphansSql(table, fk, undefined, rows, fewPartitions(dts), (t) =>
    keysView(`silver.${t}`),
  );
  const counts =
    dts?.length === 0
      ? { checked: '0', orphans: '0' }
      : batch && dts && changedBytes(ctx, table, dts) <= BATCH_MAX_BYTES
        ? countsOf(await batch(table, rows, fewPartitions(dts)), table, fk)
        : (
            await ctx.db.rows<Counts>(
              `select (select count(*) from ${rows} c where ${col} is not null) as checked,
                      (select count(*) from (${orphans})) as orphans`,
            )
          )[0];
  const n = num(counts?.orphans);
  const examples =
    n === 0
      ? []
      : await ctx.db.rows<{ id: string; ref: string; ref_table: string | null; dt: string }>(
          `select id, ref, ref_table, dt::VARCHAR as dt from (${orphans}) order by dt, id limit ${MAX_EXAMPLES}`,
        );
  return {
    name,
    severity: 'error',
    passed: n === 0,
    details: {
      references: fk.references,
      partitions_checked: dts ?? 'all',
      checked: num(counts?.checked),
      orphans: capped(
        examples.map((e) => ({
          id: e.id,
          [fk.column]: e.ref,
          dt: e.dt,
          ...(e.ref_table === null
            ? { reason: `id prefix belongs to none of ${fk.references.join(', ')}` }
            : {}),
        })),
        MAX_EXAMPLES,
        n,
      ),
    },
  };
}

function countsOf(counts: Map<string, Counts>, table: TableName, fk: ForeignKey): Counts {
  const c = counts.get(fk.column);
  if (!c) throw new Error(`ref.${table}.${fk.column}: no counts from the batched statement`);
  return c;
}

interface Counts {
  checked: string;
  orphans: string;
}

/** Per foreign key column of a table: its counts over the rows of `rows`. */
type BatchedCounts = (table: TableName, rows: string, fewRefs: boolean) => Promise<Map<string, Counts>>;

/**
 * Parquet bytes of changed partitions up to which a table's keys are counted in one statement
 * (their key columns held in memory): a daily run's at 1m are tens of MB at most (charges' 34
 * partitions: about 22 MB; all of subscription items, 380 partitions: 6 MB); a whole table is
 * counted key by key, streaming.
 */
const BATCH_MAX_BYTES = 64 * 1024 * 1024;

function changedBytes(ctx: QualityContext, table: TableName, dts: readonly string[]): number {
  const wanted = new Set(dts);
  return (ctx.silver.get(table) ?? [])
    .filter((o) => wanted.has(dtOfKey(o.key) ?? ''))
    .reduce((n, o) => n + o.size, 0);
}

/**
 * The counts of every foreign key of a table in one statement, which reads the changed rows'
 * keys once (a table's checks asked first runs it, the others wait for it): one statement per
 * key read the same partitions twice each, six times for charges' three keys (0.63 s against
 * 0.2 s at 1m). Only in scope `changed`, over a few MB of partitions: the rows' keys are held in
 * memory.
 */
export function batchedCounts(ctx: QualityContext): BatchedCounts {
  const tables = new Map<TableName, Promise<Map<string, Counts>>>();
  return (table, rows, fewRefs) => {
    let counts = tables.get(table);
    if (!counts) {
      counts = countAll(ctx, table, rows, fewRefs);
      tables.set(table, counts);
    }
    return counts;
  };
}

async function countAll(
  ctx: QualityContext,
  table: TableName,
  rows: string,
  fewRefs: boolean,
): Promise<Map<string, Counts>> {
  const contract = SILVER_CONTRACTS[table];
  const keys = 'q_ref_keys';
  const columns = [...new Set([...contract.primaryKey, ...contract.foreignKeys.map((f) => f.column), 'dt'])];
  const each = contract.foreignKeys.map((fk) => {
    const { sql, col } = orphansSql(table, fk, undefined, keys, fewRefs, (t) => keysView(`silver.${t}`));
    return `select ${sqlString(fk.column)} as fk,
              (select count(*) from ${keys} c where ${col} is not null) as checked,
              (select count(*) from (${sql})) as orphans`;
  });
  const found = await ctx.db.rows<Counts & { fk: string }>(
    `with ${keys} as materialized (select ${columns.map(sqlIdent).join(', ')} from ${rows})
     ${each.join('\n     union all\n     ')}`,
  );
  return new Map(found.map((r) => [r.fk, { checked: r.checked, orphans: r.orphans }]));
}

/** One check per declared foreign key of every Silver table. */
export function referentialChecks(ctx: QualityContext): PlannedCheck[] {
  const batch = batchedCounts(ctx);
  return SILVER_TABLES.flatMap((table) =>
    SILVER_CONTRACTS[table].foreignKeys.map((fk) => ({
      name: `ref.${table}.${fk.column}`,
      severity: 'error' as const,
      run: () => checkForeignKey(ctx, table, fk, batch),
    })),
  );
}
