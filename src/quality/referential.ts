import type { ForeignKey, TableName } from '../entities/entity.js';
import { entity, isEntityName } from '../entities/lookups.js';
import { SILVER_CONTRACTS, SILVER_TABLES } from '../entities/silver-contracts.js';
import { sqlIdent, sqlString } from '../transform/sql-template.js';
import { capped, MAX_EXAMPLES, num } from './examples.js';
import { type QualityContext, silverView } from './quality-context.js';
import type { CheckResult, PlannedCheck } from './types.js';

/**
 * SQL naming the table a polymorphic reference points at, by id prefix (longest prefix first, as
 * `entityForId` resolves it); NULL when no referenced table owns the prefix.
 */
export function prefixResolver(column: string, tables: readonly TableName[]): string {
  const pairs = tables
    .filter(isEntityName)
    .flatMap((t) => entity(t).idPrefixes.map((p) => [p, t] as const))
    .sort((a, b) => b[0].length - a[0].length);
  if (pairs.length === 0) return 'NULL::VARCHAR';
  const whens = pairs.map(([p, t]) => `when starts_with(${column}, ${sqlString(p)}) then ${sqlString(t)}`);
  return `case ${whens.join(' ')} else NULL end`;
}

/** SQL of the orphan rows of one foreign key: `id, ref, ref_table, dt`. */
function orphansSql(table: TableName, fk: ForeignKey): { sql: string; col: string } {
  const col = `c.${sqlIdent(fk.column)}`;
  const pk = sqlIdent(SILVER_CONTRACTS[table].primaryKey);
  const resolved =
    fk.references.length === 1 ? sqlString(fk.references[0]!) : prefixResolver(col, fk.references);
  const targets = fk.references
    .map(
      (t) =>
        `select ${sqlString(t)} as t, ${sqlIdent(SILVER_CONTRACTS[t].primaryKey)} as id from ${silverView(t)}`,
    )
    .join(' union all ');
  const sql = `
    with targets as (${targets}),
    refs as (select c.${pk} as id, ${col} as ref, ${resolved} as ref_table, c.dt from ${silverView(table)} c where ${col} is not null)
    select refs.* from refs
    where refs.ref_table is null
       or not exists (select 1 from targets where targets.t = refs.ref_table and targets.id = refs.ref)`;
  return { sql, col };
}

/**
 * Every referenced object that Silver lacks, deduplicated, with the table that should hold it:
 * what the references pass of run-all retrieves by id. References whose id prefix belongs to no
 * referenced table cannot be fetched and are left to the check.
 */
export async function danglingReferences(ctx: QualityContext): Promise<{ table: TableName; id: string }[]> {
  const parts = SILVER_TABLES.flatMap((table) =>
    SILVER_CONTRACTS[table].foreignKeys.map((fk) => orphansSql(table, fk).sql),
  );
  if (parts.length === 0) return [];
  const rows = await ctx.db.rows<{ ref_table: string; ref: string }>(
    `select distinct ref_table, ref from (${parts.map((p) => `(${p})`).join(' union all ')}) where ref_table is not null order by ref_table, ref`,
  );
  return rows.map((r) => ({ table: r.ref_table as TableName, id: r.ref }));
}

/**
 * `ref.<table>.<column>`: every non-NULL foreign key resolves to a row of the table it references
 * (a tombstone counts: a deleted customer still existed). Polymorphic keys resolve by id prefix.
 * Details name the orphan rows: their id, the dangling value and the partition.
 */
export async function checkForeignKey(
  ctx: QualityContext,
  table: TableName,
  fk: ForeignKey,
): Promise<CheckResult> {
  const name = `ref.${table}.${fk.column}`;
  const { sql: orphans, col } = orphansSql(table, fk);
  const [counts] = await ctx.db.rows<{ checked: string; orphans: string }>(
    `select (select count(*) from ${silverView(table)} c where ${col} is not null) as checked,
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
