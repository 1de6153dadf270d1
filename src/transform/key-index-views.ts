import type { TableContract } from '../contracts/contract.js';
import type { DuckSession } from '../duckdb/session.js';
import { parquetColumns, sqlIdent, sqlString } from '../duckdb/sql-template.js';
import type { Stager } from '../duckdb/stager.js';
import { indexColumns, type KeyIndexRecord, keyIndexFile, planKeys, skipSql } from '../state/key-index.js';
import type { ObjectInfo } from '../storage/object-store.js';

/** A table whose key and index columns a view is to read. */
export interface KeyedTable {
  /** `<layer>.<table>`, as the key index names it (`silver.charges`, `gold.fct_payments`). */
  readonly name: string;
  readonly contract: TableContract;
  /** The partitions as they are now (listed), one object each. */
  readonly objects: readonly ObjectInfo[];
}

/**
 * Creates the view `view` of a table's key, its `INDEX_COLUMNS` and `dt` (DATE): the partitions
 * the quality key index read from these very objects (same fingerprint) from its files, the rest
 * from their own. Gold's dependency queries read them to trace a changed row to the partitions it
 * affects without opening every partition of the table (state/key-index.ts; the references probe
 * does the same for ids). An index that cannot be read is not used: every partition from its file.
 * Returns how many partitions came from the index.
 */
export async function createKeyIndexView(
  session: DuckSession,
  stager: Stager,
  index: KeyIndexRecord | undefined,
  view: string,
  t: KeyedTable,
): Promise<number> {
  const names = indexColumns(t.name, t.contract);
  const cols = names.map(sqlIdent).join(', ');
  const defs = [...names, 'dt'].map((n) => {
    const c = t.contract.columns.find((x) => x.name === n);
    if (!c) throw new Error(`${t.name}: no column ${n} for its key index view`);
    return c;
  });
  const fromFiles = (objects: readonly ObjectInfo[]) =>
    `select ${cols}, dt from (${parquetColumns(
      objects.map((o) => stager.localPath(o.key)),
      defs,
    )})`;
  const plan = planKeys(index?.tables[t.name], t.contract.primaryKey, t.objects);
  if (plan.fromIndex.length > 0) {
    try {
      const files = plan.fromIndex.map((f) => ({ key: keyIndexFile(t.name, f.name), skip: f.skip }));
      // and the partitions the index lacks, from their files
      await stager.stage([...files.map((f) => f.key), ...plan.fromFiles.map((o) => o.key)]);
      const arms = files.map(
        (f) =>
          `select ${cols}, dt::DATE as dt from read_parquet(${sqlString(stager.localPath(f.key))})${skipSql(f.skip)}`,
      );
      if (plan.fromFiles.length > 0) arms.push(fromFiles(plan.fromFiles));
      await session.conn.run(`create or replace temp view ${view} as ${arms.join(' union all ')}`);
      // an index file without these columns fails here, not in the query that reads the view
      await session.conn.run(`select * from ${view} limit 0`);
      return plan.fromIndex.reduce((n, f) => n + f.dts.length, 0);
    } catch {
      // not usable: every partition from its file
    }
  }
  await stager.stage(t.objects.map((o) => o.key));
  await session.conn.run(`create or replace temp view ${view} as ${fromFiles(t.objects)}`);
  return 0;
}
