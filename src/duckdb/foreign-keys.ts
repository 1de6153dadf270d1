import type { ForeignKey } from '../contracts/contract.js';
import { SILVER_CONTRACTS, SILVER_TABLES } from '../contracts/silver.js';
import type { EntityName, TableName } from '../entities/entity.js';
import { entity, isEntityName } from '../entities/lookups.js';
import type { DuckSession } from './session.js';
import { sqlIdent, sqlString, sqlStringList } from './sql-template.js';

/**
 * Foreign keys over the `silver_<table>` views: the orphan rows of one key (the quality checks
 * `ref.<table>.<column>` report them) and the referenced objects Silver lacks (run-all's
 * references pass retrieves them by id). Both read the views the session already has.
 */

/** View name of a Silver table in a session (`silver_charges`). */
export const silverView = (table: string) => `silver_${table}`;

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

/**
 * SQL of the orphan rows of one foreign key: `id, ref, ref_table, dt`; with `dts`, only the
 * referencing rows of those partitions. `rows`: the relation the referencing rows are read from
 * (the table's view by default).
 */
export function orphansSql(
  table: TableName,
  fk: ForeignKey,
  dts?: readonly string[],
  rows = silverView(table),
  /** The referencing rows are few (a daily run's partitions): see {@link targetsCte}. */
  fewRefs = false,
  /** What a referenced table's ids are read from (its view by default; quality: its keys). */
  targetView: (table: TableName) => string = silverView,
): { sql: string; col: string } {
  const sql = `
    with refs as (${refsSql(table, fk, dts, rows)}),
    targets as (${targetsCte(fk.references, fewRefs, targetView)})
    ${UNRESOLVED}`;
  return { sql, col: `c.${sqlIdent(fk.column)}` };
}

/**
 * Partitions of referencing rows up to which a probe counts them as few: a daily run writes a
 * handful per table, a first build every day of the history.
 */
export const FEW_REF_PARTITIONS = 90;

/** Whether references read from these partitions (undefined: all of them) count as few. */
export const fewPartitions = (dts: readonly string[] | undefined): boolean =>
  dts !== undefined && dts.length <= FEW_REF_PARTITIONS;

/**
 * SQL: the `refs` rows whose reference has no row in `targets` (the CTEs `orphansSql` writes),
 * those of no known table (`ref_table` NULL, which matches nothing) included. An anti join: the
 * same test as `not exists (…)`, but written so, behind an `or`, DuckDB ran it as a mark join over
 * every reference, three times as long (0.65 against 0.2 s for charges' balance transactions at 1m).
 */
const UNRESOLVED =
  'select refs.* from refs anti join targets on targets.t = refs.ref_table and targets.id = refs.ref';

/**
 * SQL of the referenced ids a probe needs (`t, id`), after a CTE `refs`. With few references, only
 * the targets among them: the referenced tables are scanned against a hash of the references,
 * instead of hashing every id of the referenced tables (1.1m at 1m charges) for a few thousand
 * lookups. With many (a first build), the plain union: a hash of the references would be as big.
 */
function targetsCte(
  references: readonly TableName[],
  fewRefs: boolean,
  targetView: (table: TableName) => string = silverView,
): string {
  const all = targetsSql(references, targetView);
  return fewRefs ? `select t, id from (${all}) where id in (select ref from refs)` : all;
}

/** SQL of the ids of the referenced tables: `t, id`. */
function targetsSql(references: readonly TableName[], targetView: (table: TableName) => string): string {
  // a referenced table is an API entity: one key column, the object's id
  return references
    .map(
      (t) =>
        `select ${sqlString(t)} as t, ${sqlIdent(SILVER_CONTRACTS[t].primaryKey[0]!)} as id from ${targetView(t)}`,
    )
    .join(' union all ');
}

/** SQL of the non-NULL references of one foreign key: `id, ref, ref_table, dt` (see orphansSql). */
function refsSql(table: TableName, fk: ForeignKey, dts: readonly string[] | undefined, rows: string): string {
  const col = `c.${sqlIdent(fk.column)}`;
  // the referencing row, by its key (several columns joined with '/', as a composite key reads)
  const rowId = SILVER_CONTRACTS[table].primaryKey.map((k) => `c.${sqlIdent(k)}`).join(" || '/' || ");
  const resolved =
    fk.references.length === 1 ? sqlString(fk.references[0]!) : prefixResolver(col, fk.references);
  return `select ${rowId} as id, ${col} as ref, ${resolved} as ref_table, c.dt from ${rows} c
             where ${col} is not null${dts ? ` and c.dt::VARCHAR in (select unnest(${sqlStringList(dts)}))` : ''}`;
}

/**
 * Every referenced object that Silver lacks, deduplicated, with the table that should hold it:
 * what the references pass of run-all retrieves by id. References whose id prefix belongs to no
 * referenced table cannot be fetched and are left to the check.
 *
 * `written`: only the rows of these partitions (dts per table) are probed. A transform passes the
 * partitions it has just written: rows it did not touch were probed when they were written (and
 * published only if the reference checks passed), and a new target can only resolve a reference,
 * never break one; so each references round probes what the round fetched, not all of Silver
 * again (a full probe cost 2 s at 100k charges, and a run made six).
 */
export async function danglingReferences(
  session: DuckSession,
  written?: ReadonlyMap<TableName, readonly string[]>,
  /**
   * The rows of a table's partitions of `dts`, read from their files only (else the view,
   * filtered by dt: DuckDB then opens every partition's file to filter it).
   */
  partitionRows?: (table: TableName, dts: readonly string[]) => Promise<string>,
  /** What a referenced table's ids are read from (its view by default). */
  targetView: (table: TableName) => string = silverView,
): Promise<{ table: EntityName; id: string }[]> {
  // The foreign keys that point at the same tables share one query: their targets are read once.
  const groups = new Map<string, { refs: string[]; few: boolean }>();
  for (const table of SILVER_TABLES) {
    const dts = written?.get(table);
    if (written && !dts?.length) continue;
    for (const fk of SILVER_CONTRACTS[table].foreignKeys) {
      const target = fk.references.join(',');
      const g = groups.get(target) ?? { refs: [], few: true };
      g.refs.push(
        dts && partitionRows
          ? refsSql(table, fk, undefined, `(${await partitionRows(table, dts)})`)
          : refsSql(table, fk, dts, silverView(table)),
      );
      g.few &&= fewPartitions(dts);
      groups.set(target, g);
    }
  }
  // One group at a time: a union of all of them (25 foreign keys with the SaaS tables) ran every
  // hash join at once and exhausted DuckDB's memory limit on the 100k bench.
  const found = new Map<string, { table: EntityName; id: string }>();
  for (const [target, { refs, few }] of groups) {
    const rows = await session.rows<{ ref_table: string; ref: string }>(
      `with refs as (${refs.join(' union all ')}),
       targets as (${targetsCte(target.split(',') as TableName[], few, targetView)})
       select distinct ref_table, ref from (${UNRESOLVED}) where ref_table is not null`,
    );
    // Only API entities can be retrieved by id (webhook_events is ours, not the API's).
    for (const r of rows)
      if (isEntityName(r.ref_table))
        found.set(`${r.ref_table}\u0000${r.ref}`, { table: r.ref_table, id: r.ref });
  }
  return [...found.values()].sort((x, y) => (x.table === y.table ? cmp(x.id, y.id) : cmp(x.table, y.table)));
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
