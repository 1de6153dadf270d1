import { rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import type { Settings } from '../config/settings.js';
import type { TableContract } from '../contracts/contract.js';
import {
  GOLD_CONTRACTS,
  GOLD_SILVER_INPUTS,
  type GoldModelName,
  uncontractedGoldInputs,
} from '../contracts/gold.js';
import { SILVER_CONTRACTS, SILVER_TABLES } from '../contracts/silver.js';
import { silverView } from '../duckdb/foreign-keys.js';
import { ensuringViews, type LazyViews, lazyViews } from '../duckdb/lazy-views.js';
import { type PooledSession, pooledSession } from '../duckdb/pooled-session.js';
import { type DuckSession, openDuckSession, PARQUET_EXPANSION } from '../duckdb/session.js';
import { parquetColumns, sqlIdent, sqlStringList } from '../duckdb/sql-template.js';
import { createStager, type Stager } from '../duckdb/stager.js';
import type { TableName } from '../entities/entity.js';
import type { Logger } from '../obs/logger.js';
import { goldModelSummary } from '../state/gold-state.js';
import {
  indexColumns,
  type KeyIndexRecord,
  keyIndexFile,
  loadKeyIndex,
  planKeys,
} from '../state/key-index.js';
import { loadVerified, type VerifiedIndex } from '../state/verified-index.js';
import { dtOfKey, layout } from '../storage/layout.js';
import type { ObjectInfo, ObjectStore } from '../storage/object-store.js';
import { makeScratchDir } from '../storage/scratch-dir.js';
import { type KeyProfile, profileKeys } from './key-diff.js';
import { indexFileCopy, keysSql, type TableKeysRead } from './key-index.js';
import { changedSince, isChanged } from './scope.js';
import type { QualityScope } from './types.js';

/** Everything the checks share: one DuckDB session, and views over Silver and Gold made on first use. */
export interface QualityContext {
  readonly store: ObjectStore;
  readonly settings: Settings;
  readonly logger: Logger;
  readonly runId: string;
  /** The run's end time, Unix seconds. */
  readonly until: number;
  readonly scope: QualityScope;
  /**
   * With scope `changed`: partitions written at or after this (ms) count as changed (`changedSince`);
   * undefined = everything is checked (scope `all`, or no run passed quality yet).
   */
  readonly since: number | undefined;
  /** What the last passing run verified (`scope.ts`); empty with scope `all`. */
  readonly verified: VerifiedIndex;
  /**
   * Every Bronze, Silver and Gold object the checks listed (`noteListed`): recorded as verified
   * when the run passes.
   */
  readonly listed: Map<string, ObjectInfo>;
  /** The columns of every Silver and Gold Parquet file the views read (by local path), read once. */
  readonly fileColumns: ReadonlyMap<string, readonly FileColumn[]>;
  /** The checks' DuckDB: each check run `withConnection` has a connection of its own. */
  readonly db: PooledSession;
  readonly stager: Stager;
  /** Bronze bytes per run of days a child table's check reads at once (default: by memory limit). */
  readonly dayChunkBytes?: number;
  /** A local scratch directory of this quality run (removed on close). */
  readonly workDir: string;
  /** Key profiles computed so far (`keyProfile`), shared by the checks that read the same keys. */
  readonly keyProfiles: Map<string, Promise<KeyProfile>>;
  /**
   * A table's whole view (`silver_charges`) to its keys view, where that holds the same rows in
   * one local file (scope `all`, `TableKeysRead.materialized`): key profiles read that instead.
   */
  readonly wholeKeys?: ReadonlyMap<string, string>;
  /** Silver Parquet per table (listing, with modification times). */
  readonly silver: ReadonlyMap<TableName, readonly ObjectInfo[]>;
  /**
   * The Gold partitions that would be published per model (a snapshot model: its newest dt):
   * those present, and those the transform state names but the store lacks.
   */
  readonly gold: ReadonlyMap<
    GoldModelName,
    {
      readonly keys: readonly string[];
      readonly missing: readonly string[];
      /** The listing of the keys present (with sizes and modification times). */
      readonly objects: readonly ObjectInfo[];
    }
  >;
  /**
   * The keys of every Silver table and Gold model (`silver.charges`, `gold.fct_mrr`) with the
   * columns the index keeps beside them (`INDEX_COLUMNS`), each a view named `keysView(name)`: the
   * unchanged partitions' from the key index, the others' from files.
   */
  readonly keys: ReadonlyMap<string, TableKeysRead<ObjectInfo>>;
}

/**
 * View of a table's keys, its `INDEX_COLUMNS` and `_file` (`keys_silver_charges`): see
 * QualityContext.keys. A check reading only those columns of a whole table reads this view.
 */
export const keysView = (name: string) => `keys_${name.replace('.', '_')}`;

/**
 * Checks run at once in a changed scope (a daily run's: many small statements, each waiting on
 * its planning and file opens more than on the CPU). A whole scope runs them one at a time: its
 * checks are big, each uses both cores, and each sizes its passes by the whole memory limit.
 */
const CHANGED_SCOPE_CONNECTIONS = 2;

/**
 * The key profile (rows, distinct keys, hash sum: `profileKeys`) of `relation` keyed by the
 * columns `key` (several: joined by '/', so equal counts still prove the tuples distinct and not
 * NULL), computed once per run: a table's schema check (its primary key unique and not NULL) and
 * its Bronze -> Silver reconciliation (its keys the expected ones) read the same keys, a million
 * of them for charges at 1m.
 */
export function keyProfile(
  ctx: Pick<QualityContext, 'db' | 'keyProfiles' | 'wholeKeys'>,
  relation: string,
  key: readonly string[],
): Promise<KeyProfile> {
  // the same rows from one file rather than a table's hundreds (1m charges: 0.26 -> 0.18 s)
  const source = ctx.wholeKeys?.get(relation) ?? relation;
  const memo = `${source}\u0000${key.join(',')}`;
  let p = ctx.keyProfiles.get(memo);
  if (!p) {
    p = profileKeys(ctx.db, `(select ${keyExpr(key)} as k from ${source})`);
    // a failed profile is not kept: the next check asks again and reports its own error
    p.catch(() => ctx.keyProfiles.delete(memo));
    ctx.keyProfiles.set(memo, p);
  }
  return p;
}

/** A key of one or more columns as one VARCHAR (parts joined by '/'). */
export const keyExpr = (key: readonly string[]): string =>
  key.map((k) => `${sqlIdent(k)}::VARCHAR`).join(` || '/' || `);

/** Records objects a check listed, for the verified record of a passing run. */
export function noteListed(ctx: Pick<QualityContext, 'listed'>, objs: readonly ObjectInfo[]): void {
  for (const o of objs) ctx.listed.set(o.key, o);
}

/** View names of Silver tables (`silver_charges`, shared with the transform) and Gold models. */
export { silverView };
export const goldView = (model: string) => `gold_${model}`;

/**
 * A relation over Parquet files with a `_file` column naming each row's file. Files that disagree
 * on their columns are read by column name (`union_by_name`), so a file missing a column yields
 * NULLs there (the schema check reports it) instead of breaking every other check; files that
 * agree, the normal case, are read plainly: `union_by_name` costs DuckDB its statistics, and the
 * dim_customers reconciliation took 14 s instead of 0.5 s at 100k charges. No files: a typed
 * empty relation from the contract.
 */
export async function parquetRelation(
  db: DuckSession,
  paths: readonly string[],
  contract: TableContract,
  columns?: ReadonlyMap<string, readonly FileColumn[]>,
): Promise<string> {
  if (paths.length === 0) {
    const cols = contract.columns.map((c) => `NULL::${c.type} as ${sqlIdent(c.name)}`);
    return `(select ${cols.join(', ')}, NULL::VARCHAR as _file limit 0)`;
  }
  const known = columns ?? (await readFileColumns(db, paths));
  const shapes = new Set(paths.map((p) => JSON.stringify(known.get(p) ?? [])));
  const byName = shapes.size === 1 ? '' : ', union_by_name = true';
  return `read_parquet(${sqlStringList(paths)}${byName}, hive_partitioning = false, filename = '_file')`;
}

/**
 * The Silver rows of `table` in the partitions `dts`, as a relation over those partitions' files
 * only; the whole view when `dts` is undefined. A check of the changed partitions reads them so:
 * a filter on `dt` over the view still opens every file of the table (366 a year), and that fixed
 * cost was most of a daily run's checks.
 */
export async function silverPartitions(
  ctx: Pick<QualityContext, 'db' | 'silver' | 'stager' | 'fileColumns'>,
  table: TableName,
  dts: Iterable<string> | undefined,
): Promise<string> {
  if (dts === undefined) return silverView(table);
  return partitionsRelation(ctx, ctx.silver.get(table) ?? [], SILVER_CONTRACTS[table], dts);
}

/** The Gold rows of `model` in the partitions `dts`, as a relation over those files only. */
export async function goldPartitions(
  ctx: Pick<QualityContext, 'db' | 'gold' | 'stager' | 'fileColumns'>,
  model: GoldModelName,
  dts: Iterable<string>,
): Promise<string> {
  const contract = GOLD_CONTRACTS.find((c) => c.name === model)!;
  return partitionsRelation(ctx, ctx.gold.get(model)?.objects ?? [], contract, dts);
}

/** A relation over the files of `objects` whose partition is one of `dts`. */
async function partitionsRelation(
  ctx: Pick<QualityContext, 'db' | 'stager' | 'fileColumns'>,
  objects: readonly ObjectInfo[],
  contract: TableContract,
  dts: Iterable<string>,
): Promise<string> {
  const wanted = new Set(dts);
  const keys = objects.filter((o) => wanted.has(dtOfKey(o.key) ?? '')).map((o) => o.key);
  await ctx.stager.stage(keys);
  const paths = keys.map((k) => ctx.stager.localPath(k));
  return `(select * from ${await parquetRelation(ctx.db, paths, contract, ctx.fileColumns)})`;
}

/** A Parquet file's column: name and DuckDB type, in file order. */
export interface FileColumn {
  readonly name: string;
  readonly type: string;
}

/**
 * Columns of each Parquet file in one pass over the footers (no data read). The files come back
 * grouped by their columns, one row per shape: row by row, converting 270,000 (file, column) rows
 * to JavaScript cost a whole-scope check 0.4 s at 1m.
 */
export async function readFileColumns(
  db: DuckSession,
  paths: readonly string[],
): Promise<Map<string, FileColumn[]>> {
  const out = new Map<string, FileColumn[]>(paths.map((p) => [p, []]));
  // At most FOOTERS_AT_ONCE files a statement: a whole scope's 6,600 footers at 100k charges in one
  // went past the memory limit.
  for (let i = 0; i < paths.length; i += FOOTERS_AT_ONCE) {
    const shapes = await db.rows<{ files: string[]; columns: FileColumn[] }>(
      `select list(file_name) as files, columns from (
         select file_name,
                list({'name': name, 'type': coalesce(duckdb_type, 'UNKNOWN')} order by column_id) as columns
         from parquet_schema(${sqlStringList(paths.slice(i, i + FOOTERS_AT_ONCE))}) where column_id > 0
         group by file_name
       ) group by columns`,
    );
    for (const shape of shapes) for (const f of shape.files) if (out.has(f)) out.set(f, shape.columns);
  }
  return out;
}

/** Footers a statement reads (a table's files were read in one before: up to 476 at 100k charges). */
const FOOTERS_AT_ONCE = 500;

/**
 * Which of one table's Silver or Gold files to read the footers of for their columns: the changed
 * ones (`isChanged`), and one of those a passing run verified; the other verified files are taken
 * to have that one's columns. A verified file is the very object that passed the schema check (same key and
 * fingerprint, the changed scope's premise), so its columns are the contract's, as are its
 * fellows'; reading 4,700 footers to learn that cost a daily run 1-2 s.
 */
export function footersToRead<T extends Pick<ObjectInfo, 'key' | 'size' | 'modifiedMs' | 'etag'>>(
  objs: readonly T[],
  since: number | undefined,
  verified: VerifiedIndex,
): { read: T[]; sample: T | undefined; assumed: T[] } {
  const changed: T[] = [];
  const kept: T[] = [];
  for (const o of objs) (isChanged(o, since, verified) ? changed : kept).push(o);
  const sample = kept[0];
  return { read: sample ? [...changed, sample] : changed, sample, assumed: kept.slice(1) };
}

/**
 * Columns of each file (by local path) of every table in `tables`, reading only the footers
 * `footersToRead` names, across tables in statements of up to FOOTERS_AT_ONCE files (a statement
 * per table cost a daily run's quality 0.1 s of planning and footer opens).
 */
async function readVerifiedColumns(
  db: DuckSession,
  tables: readonly (readonly ObjectInfo[])[],
  stager: Stager,
  scope: { since: number | undefined; verified: VerifiedIndex },
): Promise<Map<string, FileColumn[]>> {
  const plans = tables.map((objs) => footersToRead(objs, scope.since, scope.verified));
  await stager.stage(plans.flatMap((p) => p.read.map((o) => o.key)));
  const cols = await readFileColumns(
    db,
    plans.flatMap((p) => p.read.map((o) => stager.localPath(o.key))),
  );
  for (const { sample, assumed } of plans) {
    const columns = sample ? cols.get(stager.localPath(sample.key)) : undefined;
    if (columns) for (const o of assumed) cols.set(stager.localPath(o.key), columns);
  }
  return cols;
}

/** The Gold keys that would be published: from the transform's Gold state, else from a listing. */
async function currentGoldKeys(
  store: ObjectStore,
  model: GoldModelName,
  snapshot: boolean,
): Promise<string[]> {
  const summary = await goldModelSummary(store, model);
  if (summary.keys.length > 0) return summary.keys;
  const keys = (await store.list(layout.goldModelPrefix(model)))
    .map((o) => o.key)
    .filter((k) => k.endsWith('/data.parquet'))
    .sort();
  return snapshot ? keys.slice(-1) : keys;
}

/**
 * Lists Silver and Gold, opens DuckDB and defines the views the checks query (each made, its files
 * staged, by the first statement that names it; the changed files are staged now). Gold keys
 * named by the state but missing from the store are left out of the view (the schema check
 * reports them). Call `close()` when done.
 */
export async function openQualityContext(opts: {
  store: ObjectStore;
  settings: Settings;
  logger: Logger;
  runId: string;
  until: number;
  scope: QualityScope;
}): Promise<QualityContext & { close(): Promise<void> }> {
  const workDir = await makeScratchDir('quality');
  const stager = createStager(opts.store, join(workDir, 'stage'));
  const db = await openDuckSession({
    workDir,
    pathBase: stager.base,
    memoryLimit: opts.settings.DUCKDB_MEMORY_LIMIT,
    threads: opts.settings.DUCKDB_THREADS,
  });
  try {
    const since = opts.scope === 'all' ? undefined : await changedSince(opts.store, opts.runId);
    const verified = since === undefined ? new Map<string, string>() : await loadVerified(opts.store);
    const silver = new Map<TableName, ObjectInfo[]>();
    for (const table of SILVER_TABLES) {
      const objs = (await opts.store.list(layout.silverEntityPrefix(table))).filter((o) =>
        o.key.endsWith('/data.parquet'),
      );
      silver.set(table, objs);
    }
    const gold = new Map<GoldModelName, { keys: string[]; missing: string[]; objects: ObjectInfo[] }>();
    const goldObjects: ObjectInfo[] = [];
    for (const contract of GOLD_CONTRACTS) {
      const keys = await currentGoldKeys(opts.store, contract.name, contract.snapshot);
      const present = new Map(
        (await opts.store.list(layout.goldModelPrefix(contract.name))).map((o) => [o.key, o]),
      );
      const existing = keys.filter((k) => present.has(k));
      const objs = existing.map((k) => present.get(k)!);
      goldObjects.push(...objs);
      gold.set(contract.name, {
        keys: existing,
        missing: keys.filter((k) => !present.has(k)),
        objects: objs,
      });
    }
    const fileColumns = await readVerifiedColumns(
      db,
      [...silver.values(), ...[...gold.values()].map((g) => g.objects)],
      stager,
      { since, verified },
    );
    // the views, made (their files staged) by the first statement that names them, on the
    // connection that runs it: a daily run reads most tables through the key index and the
    // partitions that changed, and staging every view up front downloaded all of Silver and Gold
    const views = lazyViews();
    let pooled: PooledSession | undefined;
    const conn = () => pooled!.conn;
    const viewOver = (name: string, objs: readonly ObjectInfo[], contract: TableContract) =>
      views.define(name, async () => {
        await stager.stage(objs.map((o) => o.key));
        const paths = objs.map((o) => stager.localPath(o.key));
        const rel = await parquetRelation(pooled!, paths, contract, fileColumns);
        await conn().run(`create or replace view ${name} as select * from ${rel}`);
      });
    for (const table of SILVER_TABLES)
      viewOver(silverView(table), silver.get(table)!, SILVER_CONTRACTS[table]);
    // Silver tables Gold reads that this build has no contract for yet: by the columns Gold reads
    for (const table of uncontractedGoldInputs()) {
      const keys = (await opts.store.list(layout.silverEntityPrefix(table)))
        .map((o) => o.key)
        .filter((k) => k.endsWith('/data.parquet'));
      views.define(silverView(table), async () => {
        await stager.stage(keys);
        const rel = parquetColumns(
          keys.map((k) => stager.localPath(k)),
          GOLD_SILVER_INPUTS[table],
        );
        await conn().run(`create or replace view ${silverView(table)} as ${rel}`);
      });
    }
    for (const contract of GOLD_CONTRACTS)
      viewOver(goldView(contract.name), gold.get(contract.name)!.objects, contract);
    // the checks read across Silver and Gold
    const parquet = [...[...silver.values()].flat(), ...goldObjects].reduce((n, o) => n + o.size, 0);
    await db.fitAllocator(PARQUET_EXPANSION * parquet);
    // the keys of each table, from the index where a passing run read them from these very objects
    const index = since === undefined ? undefined : await loadKeyIndex(opts.store);
    // scope `all`: each table's keys copied once into a local file of the index's form, which the
    // checks read instead of the table's hundreds of files, and a passing run stores as its index
    const materialize = since === undefined ? workDir : undefined;
    const tables: KeysTable[] = [
      ...SILVER_TABLES.map((table) => ({
        name: `silver.${table}`,
        contract: SILVER_CONTRACTS[table],
        prefix: layout.silverEntityPrefix(table),
        whole: silverView(table),
        objects: silver.get(table) ?? [],
      })),
      ...GOLD_CONTRACTS.map((contract) => ({
        name: `gold.${contract.name}`,
        contract,
        prefix: layout.goldModelPrefix(contract.name),
        whole: goldView(contract.name),
        objects: gold.get(contract.name)?.objects ?? [],
      })),
    ];
    const keys = await openKeysViews({ db, stager, fileColumns, views, conn, materialize }, index, tables);
    const listed = new Map<string, ObjectInfo>();
    for (const objs of silver.values()) noteListed({ listed }, objs);
    noteListed({ listed }, goldObjects);
    // the views and macros are the database's: every connection of the pool sees them
    pooled = await pooledSession(db, since === undefined ? 1 : CHANGED_SCOPE_CONNECTIONS);
    const session = ensuringViews(pooled, views.ensure);
    return {
      ...opts,
      since,
      verified,
      listed,
      keyProfiles: new Map(),
      wholeKeys: new Map(
        tables.flatMap((t) => (keys.get(t.name)?.materialized ? [[t.whole, keysView(t.name)] as const] : [])),
      ),
      fileColumns,
      db: session,
      stager,
      workDir,
      silver,
      gold,
      keys,
      async close() {
        session.close();
        await rm(workDir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    db.close();
    await rm(workDir, { recursive: true, force: true });
    throw err;
  }
}

/** A table whose keys `openKeysViews` opens a view over. */
interface KeysTable {
  readonly name: string;
  readonly contract: TableContract;
  readonly prefix: string;
  /** The table's whole view (`silver_charges`), read when the index gives none of its keys. */
  readonly whole: string;
  readonly objects: readonly ObjectInfo[];
}

/**
 * Creates `keysView(name)` over each table's keys: the partitions the key index read from the
 * same objects from its files, the rest from their Parquet (the whole view when the index gives
 * none). A table whose index files cannot be staged or have other columns does not use them: its
 * keys come from files. The index files' footers are read in one statement for every table (one a
 * table cost a daily run 24 statements, 0.3-0.45 s).
 */
async function openKeysViews(
  ctx: {
    db: DuckSession;
    views: LazyViews;
    conn: () => DuckDBConnection;
    /** Where to copy the keys of a table read whole (see `TableKeysRead.materialized`). */
    materialize?: string | undefined;
  } & Pick<QualityContext, 'stager' | 'fileColumns'>,
  index: KeyIndexRecord | undefined,
  tables: readonly KeysTable[],
): Promise<Map<string, TableKeysRead<ObjectInfo>>> {
  const planned = tables.map((t) => {
    const plan = planKeys(index?.tables[t.name], t.contract.primaryKey, t.objects);
    return { t, plan, keys: plan.fromIndex.map((f) => keyIndexFile(t.name, f.name)) };
  });
  const staged = new Set<string>();
  const columns = new Map<string, FileColumn[]>();
  const wanted = planned.flatMap((p) => p.keys);
  if (wanted.length > 0) {
    // a key that cannot be staged leaves its table to its files, not the others to theirs
    const results = await Promise.allSettled(planned.map((p) => ctx.stager.stage(p.keys)));
    planned.forEach((p, i) => {
      if (results[i]!.status === 'fulfilled') for (const k of p.keys) staged.add(k);
    });
    const paths = wanted.filter((k) => staged.has(k)).map((k) => ctx.stager.localPath(k));
    const read = async (files: readonly string[]) => {
      for (const [path, cols] of await readFileColumns(ctx.db, files)) columns.set(path, cols);
    };
    // one unreadable file fails the statement: then table by table, so only its table loses the index
    if (paths.length > 0)
      await read(paths).catch(async () => {
        for (const p of planned)
          await read(p.keys.filter((k) => staged.has(k)).map((k) => ctx.stager.localPath(k))).catch(() => {});
      });
  }
  const out = new Map<string, TableKeysRead<ObjectInfo>>();
  for (const { t, plan: first, keys } of planned) {
    let plan = first;
    let indexFiles: { path: string; skip: readonly string[] }[] = [];
    if (plan.fromIndex.length > 0) {
      const want = [...indexColumns(t.name, t.contract), 'dt'].join(',');
      const paths = keys.map((k) => ctx.stager.localPath(k));
      const usable = keys.every(
        (k, i) =>
          staged.has(k) &&
          columns
            .get(paths[i]!)
            ?.map((c) => c.name)
            .join(',') === want,
      );
      if (usable) indexFiles = plan.fromIndex.map((f, i) => ({ path: paths[i]!, skip: f.skip }));
      else plan = { fromIndex: [], fromFiles: t.objects };
    }
    // the files the index does not cover (the changed ones) are read this run: staged now; a
    // view over the whole table is made when this one is
    const whole = plan.fromFiles.length > 0 && indexFiles.length === 0;
    if (!whole) await ctx.stager.stage(plan.fromFiles.map((o) => o.key));
    const fromFiles =
      plan.fromFiles.length === 0
        ? undefined
        : whole
          ? t.whole
          : `(select * from ${await parquetRelation(
              ctx.db,
              plan.fromFiles.map((o) => ctx.stager.localPath(o.key)),
              t.contract,
              ctx.fileColumns,
            )})`;
    const view = keysView(t.name);
    const sql = `create or replace view ${view} as ${keysSql(t.name, t.contract, t.prefix, indexFiles, fromFiles)}`;
    // A table read whole in scope `all`: its keys copied from its files into one local file, the
    // index's rows, and the view over that. The checks read the keys 3-8 times a table, and a
    // scan of one file took 25-55% less than of a table's 379 (1m balance transactions: a key
    // profile 180 against 235 ms); the copy is the one a passing run made for its index anyway.
    const materialized =
      whole && ctx.materialize ? join(ctx.materialize, `keys-read-${t.name}.parquet`) : undefined;
    ctx.views.define(view, async () => {
      if (whole) await ctx.views.ensure(t.whole);
      if (!materialized) {
        await ctx.conn().run(sql);
        return;
      }
      const partial = `${materialized}.partial`;
      await ctx.conn().run(indexFileCopy(t.name, t.contract, t.whole, partial));
      await rename(partial, materialized);
      await ctx
        .conn()
        .run(
          `create or replace view ${view} as ${keysSql(t.name, t.contract, t.prefix, [{ path: materialized, skip: [] }], undefined)}`,
        );
    });
    out.set(t.name, {
      table: t.name,
      contract: t.contract,
      plan,
      objects: t.objects,
      all: view,
      fromFiles,
      ...(materialized ? { materialized } : {}),
    });
  }
  return out;
}
