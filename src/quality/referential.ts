import type { ForeignKey } from '../contracts/contract.js';
import { SILVER_CONTRACTS, SILVER_TABLES } from '../contracts/silver.js';
import { fewPartitions, orphansSql } from '../duckdb/foreign-keys.js';
import type { TableName } from '../entities/entity.js';
import { dtOfKey } from '../storage/layout.js';
import { capped, MAX_EXAMPLES, num } from './examples.js';
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
): Promise<CheckResult> {
  const name = `ref.${table}.${fk.column}`;
  const dts =
    ctx.since === undefined
      ? undefined
      : [...changedDts(ctx.silver.get(table) ?? [], ctx.since, dtOfKey, ctx.verified)].sort();
  // the changed partitions' rows, read from their files only
  const rows = await silverPartitions(ctx, table, dts);
  // the referenced ids from the tables' keys (the unchanged partitions' from the key index)
  const { sql: orphans, col } = orphansSql(table, fk, undefined, rows, fewPartitions(dts), (t) =>
    keysView(`silver.${t}`),
  );
  const [counts] =
    dts?.length === 0
      ? [{ checked: '0', orphans: '0' }]
      : await ctx.db.rows<{ checked: string; orphans: string }>(
          `select (select count(*) from ${rows} c where ${col} is not null) as checked,
                  (select count(*) from (${orphans})) as orphans`,
        );
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

/** One check per declared foreign key of every Silver table. */
export function referentialChecks(ctx: QualityContext): PlannedCheck[] {
  return SILVER_TABLES.flatMap((table) =>
    SILVER_CONTRACTS[table].foreignKeys.map((fk) => ({
      name: `ref.${table}.${fk.column}`,
      severity: 'error' as const,
      run: () => checkForeignKey(ctx, table, fk),
    })),
  );
}
