import { SILVER_CONTRACTS, SILVER_TABLES } from '../contracts/silver.js';
import { silverView } from '../duckdb/foreign-keys.js';
import type { DuckSession } from '../duckdb/session.js';
import { parquetColumns, sqlIdent, sqlString } from '../duckdb/sql-template.js';
import type { Stager } from '../duckdb/stager.js';
import type { TableName } from '../entities/entity.js';
import { keyIndexFile, loadKeyIndex, planKeys, skipSql } from '../state/key-index.js';
import type { ObjectInfo, ObjectStore } from '../storage/object-store.js';

/**
 * The ids of each table the references probe looks targets up in, as views `probe_keys_<table>`:
 * the partitions the quality key index read from these very objects (state/key-index.ts) from
 * it, the rest (this run's, or any the index does not vouch for) from their files. A table the
 * index gives nothing of is read through its Silver view, as without an index. Returns the view
 * per table. The probe only decides what to fetch; quality's reference checks decide what passes.
 */
export async function probeTargetViews(
  session: DuckSession,
  store: ObjectStore,
  stager: Stager,
  listed: ReadonlyMap<string, readonly ObjectInfo[]>,
): Promise<(table: TableName) => string> {
  const index = await loadKeyIndex(store);
  const views = new Map<TableName, string>();
  if (!index) return silverView;
  const targets = new Set(
    SILVER_TABLES.flatMap((t) => SILVER_CONTRACTS[t].foreignKeys.flatMap((fk) => fk.references)),
  );
  for (const table of targets) {
    const contract = SILVER_CONTRACTS[table];
    const objects = listed.get(table) ?? [];
    const plan = planKeys(index.tables[`silver.${table}`], contract.primaryKey, objects);
    if (plan.fromIndex.length === 0) continue;
    const cols = contract.primaryKey.map(sqlIdent).join(', ');
    const view = `probe_keys_${table}`;
    try {
      const files = plan.fromIndex.map((f) => ({
        key: keyIndexFile(`silver.${table}`, f.name),
        skip: f.skip,
      }));
      await stager.stage([...files.map((f) => f.key), ...plan.fromFiles.map((o) => o.key)]);
      const arms = files.map(
        (f) => `select ${cols} from read_parquet(${sqlString(stager.localPath(f.key))})${skipSql(f.skip)}`,
      );
      if (plan.fromFiles.length > 0) {
        const keyCols = contract.columns.filter((c) => contract.primaryKey.includes(c.name));
        arms.push(
          `select ${cols} from (${parquetColumns(
            plan.fromFiles.map((o) => stager.localPath(o.key)),
            keyCols,
          )})`,
        );
      }
      await session.conn.run(`create or replace temp view ${view} as ${arms.join(' union all ')}`);
      // an index file that is not one (its columns) fails here, not in the probe
      await session.conn.run(`select * from ${view} limit 0`);
      views.set(table, view);
    } catch {
      // not usable: the table's Silver view, as without an index
    }
  }
  return (t) => views.get(t) ?? silverView(t);
}
