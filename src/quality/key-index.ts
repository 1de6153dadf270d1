import { join } from 'node:path';
import type { TableContract } from '../contracts/contract.js';
import { sqlIdent, sqlString } from '../duckdb/sql-template.js';
import {
  indexColumns,
  KEY_INDEX_PREFIX,
  type KeyIndexRecord,
  type KeyPlan,
  keyIndexFile,
  keyIndexFileName,
  loadKeyIndex,
  skipSql,
  type TableKeyIndex,
} from '../state/key-index.js';
import { fingerprintOf } from '../state/verified-index.js';
import { dtOfKey, layout } from '../storage/layout.js';
import type { ObjectInfo, ObjectStore } from '../storage/object-store.js';

/** Beyond this many files for a table, a run writes one merged file instead of another delta. */
export const MAX_KEY_INDEX_FILES = 16;

/**
 * SQL of the keys of a table (its key columns, its INDEX_COLUMNS and `_file`, the partition's object key or local
 * path, which names its dt): the index files' rows of the partitions the plan takes from them,
 * and the rows of `filesRelation` (the other partitions' files, with `_file`).
 */
export function keysSql(
  table: string,
  contract: TableContract,
  prefix: string,
  indexFiles: readonly { readonly path: string; readonly skip: readonly string[] }[],
  filesRelation: string | undefined,
): string {
  const columns = indexColumns(table, contract);
  const cols = columns.map(sqlIdent).join(', ');
  const arms = indexFiles.map(
    (f) =>
      `select ${cols}, concat(${sqlString(prefix)}, 'dt=', dt, '/data.parquet') as _file
       from read_parquet(${sqlString(f.path)})${skipSql(f.skip)}`,
  );
  if (filesRelation) arms.push(`select ${cols}, _file from ${filesRelation}`);
  if (arms.length === 0) {
    const typed = columns.map((k) => {
      const c = contract.columns.find((x) => x.name === k);
      return `NULL::${c?.type ?? 'VARCHAR'} as ${sqlIdent(k)}`;
    });
    return `select ${typed.join(', ')}, NULL::VARCHAR as _file limit 0`;
  }
  return arms.join(' union all ');
}

/** SQL: `dt` (VARCHAR) of a `_file`, a local path or object key holding `/dt=YYYY-MM-DD/`. */
export const dtOfFileSql = `regexp_extract(_file, '/dt=(\\d{4}-\\d{2}-\\d{2})/', 1)`;

/**
 * The statement copying `relation`'s keys (a table's key columns and INDEX_COLUMNS, with `_file`)
 * into a local index file at `local`, its rows in any order: a reader filters by `dt` and a daily
 * run keeps nearly every dt, so sorted row groups would spare it little, while the sort made the
 * write serial (1m charges: 1.7 s sorted, 1.05 s unordered on two threads).
 */
export function indexFileCopy(
  table: string,
  contract: TableContract,
  relation: string,
  local: string,
): string {
  const cols = indexColumns(table, contract).map(sqlIdent).join(', ');
  return `copy (select ${cols}, ${dtOfFileSql} as dt from ${relation}) to ${sqlString(local)} (format parquet, preserve_order false)`;
}

/** A table's keys as a run read them: for the index a passing run writes (`nextKeyIndex`). */
export interface TableKeysRead<T> {
  readonly table: string;
  readonly contract: TableContract;
  readonly plan: KeyPlan<T>;
  readonly objects: readonly T[];
  /** Relation of every key read this run (`keysSql`). */
  readonly all: string;
  /** Relation of the keys read from files this run (`_file` and key columns), if any. */
  readonly fromFiles: string | undefined;
  /**
   * A local file holding every row of `all` in the index's form, once the view was made (scope
   * `all`, see quality-context's `openKeysViews`): stored as it is rather than copied again.
   */
  readonly materialized?: string;
}

/**
 * Writes the index of what a passing run read and returns the new record: per table, the files
 * it took partitions from (their other partitions dropped) plus one new file of the keys it read
 * from files, or a single merged file when `merge` (scope `all`) or past MAX_KEY_INDEX_FILES.
 * `run(sql)` runs a statement on the caller's pool (the lazy views it names made first): the copy
 * of a table's keys (`indexFileCopy`), or, for a table whose keys the checks read from their own
 * file (`materialized`), a statement naming its view, which makes that file if no check did.
 */
export async function writeKeyIndex<T extends Pick<ObjectInfo, 'key' | 'size' | 'modifiedMs' | 'etag'>>(
  store: ObjectStore,
  opts: {
    runId: string;
    workDir: string;
    tables: readonly TableKeysRead<T>[];
    merge: boolean;
    run: (sql: string) => Promise<void>;
  },
): Promise<KeyIndexRecord> {
  const name = keyIndexFileName(opts.runId, Date.now().toString(36));
  const tables: Record<string, TableKeyIndex> = {};
  const previous = await loadKeyIndex(store);
  // table by table side by side: `copy` runs each on a connection of the caller's pool
  const settled = await Promise.allSettled(
    opts.tables.map(async (t): Promise<[string, TableKeyIndex]> => {
      const fpOf = new Map<string, string>();
      for (const o of t.objects) {
        const dt = dtOfKey(o.key);
        if (dt) fpOf.set(dt, fingerprintOf(o));
      }
      // a kept file still holds the rows of the partitions it no longer gives: retired, not dropped
      const kept = t.plan.fromIndex.map((f) => ({
        name: f.name,
        parts: Object.fromEntries([
          ...f.dts.map((dt): [string, string | null] => [dt, fpOf.get(dt)!]),
          ...f.skip.map((dt): [string, string | null] => [dt, null]),
        ]),
      }));
      const merge = opts.merge || kept.length + 1 > MAX_KEY_INDEX_FILES;
      const files = merge ? [] : kept;
      const rows = merge ? t.all : t.fromFiles;
      const partsRead = merge ? t.objects : t.plan.fromFiles;
      if (rows && partsRead.length > 0) {
        // merging, the keys the checks read are that file already (`all` is its view: naming it
        // makes the file, if no check did)
        const ready = merge ? t.materialized : undefined;
        const local = ready ?? join(opts.workDir, `keys-${t.table}.parquet`);
        await opts.run(
          ready ? `select * from ${rows} limit 0` : indexFileCopy(t.table, t.contract, rows, local),
        );
        await store.putFile(keyIndexFile(t.table, name), local);
        const parts: Record<string, string | null> = {};
        for (const o of partsRead) {
          const dt = dtOfKey(o.key);
          if (dt) parts[dt] = fpOf.get(dt)!;
        }
        files.push({ name, parts });
      }
      return [t.table, { key: t.contract.primaryKey, files }];
    }),
  );
  // every table settled first: a failed one does not leave another's statement running
  for (const r of settled) if (r.status === 'rejected') throw r.reason;
  for (const r of settled) if (r.status === 'fulfilled') tables[r.value[0]] = r.value[1];
  // tables this run did not read keep their entry (their files are still named)
  const record: KeyIndexRecord = {
    version: 2,
    run_id: opts.runId,
    tables: { ...previous?.tables, ...tables },
  };
  await store.put(layout.qualityKeyIndex(), `${JSON.stringify(record)}\n`);
  // files the record no longer names (merged, dropped, or left by a run that stopped between its
  // files and the record): only after the record, which no longer reads them
  const named = new Set(
    Object.entries(record.tables).flatMap(([table, e]) => e.files.map((f) => keyIndexFile(table, f.name))),
  );
  for (const o of await store.list(KEY_INDEX_PREFIX)) if (!named.has(o.key)) await store.delete(o.key);
  return record;
}
