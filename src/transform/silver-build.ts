import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { BRONZE_PAYLOADS, SILVER_CONTRACTS } from '../contracts/silver.js';
import { CHILD_META_TYPE, payloadType, readBronzeRelation, webhookEventType } from '../duckdb/bronze-read.js';
import { fileOfDuckdbError, locateBadLine, type RecordShape } from '../duckdb/line-scanner.js';
import { chunkBudget, entityDayChunks, inDayRange, parentDayChunks } from '../duckdb/parent-days.js';
import { copyPartitioned, sortsInQuery } from '../duckdb/partitioned-copy.js';
import { type DuckSession, PARQUET_EXPANSION } from '../duckdb/session.js';
import {
  bronzeEntityOf,
  listBronzeObjects,
  parentKeyColumn,
  readModelSql,
  readSilverModelSql,
  renderNewParentVersions,
  renderSilverModel,
  type SilverModelFiles,
  type SilverModelSql,
  silverFragmentOf,
  VERSION_ORDER,
} from '../duckdb/silver-sql.js';
import { renderSql, sqlIdent, sqlString, sqlStringList } from '../duckdb/sql-template.js';
import type { Stager } from '../duckdb/stager.js';
import type { EntityName, TableName } from '../entities/entity.js';
import { entity } from '../entities/lookups.js';
import type { Logger } from '../obs/logger.js';
import { indexColumns, loadKeyIndex } from '../state/key-index.js';
import { dtOfKey, layout } from '../storage/layout.js';
import type { ObjectInfo, ObjectStore } from '../storage/object-store.js';
import { BronzeParseError, TransformError } from './errors.js';
import { notePendingChanges } from './gold-deps.js';
import { createKeyIndexView } from './key-index-views.js';
import {
  describeInputs,
  loadSilverState,
  type SilverState,
  saveSilverState,
  unconsumedKeys,
} from './silver-state.js';

export interface BuildContext {
  readonly session: DuckSession;
  readonly store: ObjectStore;
  readonly stager: Stager;
  readonly workDir: string;
  readonly logger: Logger;
  readonly runId: string;
  readonly fullRefresh: boolean;
  /** Bronze bytes per run of days a table is first built from at once (default: by memory limit). */
  readonly dayChunkBytes?: number | undefined;
}

export interface ModelResult {
  partitions: number;
  rows: number;
  seconds: number;
  keys: string[];
}

/**
 * Which Bronze a Silver table reads: its own entity files (for a child table, its parent's), its
 * fetched pages (child tables), and webhook deliveries or not.
 */
export function silverInputs(
  table: TableName,
  entityKeys: readonly string[],
  webhookKeys: readonly string[],
  pageKeys: readonly string[] = [],
): { own: readonly string[]; webhooks: readonly string[]; pages: readonly string[] } {
  const { from, webhookObjects } = SILVER_CONTRACTS[table].bronze;
  return {
    own: from === 'webhooks' ? webhookKeys : entityKeys,
    webhooks: webhookObjects ? webhookKeys : [],
    pages: from === 'parent' ? pageKeys : [],
  };
}

/**
 * Bytes of the Bronze a build of `table` would read as new (its unconsumed keys, per its state;
 * all of its Bronze before its first build), roughly what its next build costs, and whether that
 * build is a first one (no partitions yet, yet Bronze to read).
 */
export async function pendingBronze(
  store: ObjectStore,
  table: TableName,
  webhooks: readonly ObjectInfo[],
): Promise<{ bytes: number; first: boolean }> {
  const { from } = SILVER_CONTRACTS[table].bronze;
  const entityObjs = from === 'webhooks' ? [] : await listBronzeObjects(store, bronzeEntityOf(table));
  const pageObjs = from === 'parent' ? await listBronzeObjects(store, table) : [];
  const size = new Map([...entityObjs, ...pageObjs, ...webhooks].map((o) => [o.key, o.size]));
  const keys = (objs: readonly ObjectInfo[]) => objs.map((o) => o.key);
  const inputs = silverInputs(table, keys(entityObjs), keys(webhooks), keys(pageObjs));
  const state = await loadSilverState(store, table);
  const pending = unconsumedKeys([...inputs.own, ...inputs.webhooks, ...inputs.pages], state.inputs);
  const first = pending.length > 0 && Object.keys(state.partitions).length === 0;
  return { bytes: pending.reduce((n, k) => n + (size.get(k) ?? 0), 0), first };
}

/**
 * Runs a statement over Bronze files; a reader error becomes a `BronzeParseError` naming the key
 * and line (found by scanning the file DuckDB named), never a silent drop.
 */
export async function withBronzeErrors<T>(
  ctx: Pick<BuildContext, 'stager'>,
  table: TableName,
  webhookPaths: ReadonlySet<string>,
  fn: () => Promise<T>,
): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    const message = (err as Error).message ?? String(err);
    const where = fileOfDuckdbError(message);
    if (!where) throw new TransformError(`silver.${table}`, message, { cause: err });
    const key = where.path.replace(/\\/g, '/').slice(ctx.stager.base.replace(/\\/g, '/').length + 1);
    const payload = BRONZE_PAYLOADS[table];
    const shape: RecordShape = webhookPaths.has(where.path)
      ? { kind: 'webhook', payload }
      : { kind: 'object', payload };
    const found = await locateBadLine(where.path, shape);
    throw new BronzeParseError(key, found?.line ?? where.line ?? 0, found?.reason ?? message.split('\n')[0]!);
  }
}

/**
 * Builds the pending Silver partitions of one table. Pending = partitions touched by Bronze not
 * yet consumed (per the table's state), and the `rebuild` dts (a damaged partition, or one a
 * person asked for): those are built afresh from every Bronze already consumed, never merged into
 * their current Parquet, before the new Bronze is merged in as usual.
 */
export async function buildSilverTable(
  ctx: BuildContext,
  table: TableName,
  webhookKeys: readonly string[],
  rebuild: readonly string[] = [],
): Promise<ModelResult> {
  const started = performance.now();
  const contract = SILVER_CONTRACTS[table];
  const isChild = contract.bronze.from === 'parent';
  const entityObjs =
    contract.bronze.from === 'webhooks' ? [] : await listBronzeObjects(ctx.store, bronzeEntityOf(table));
  const pageObjs = isChild ? await listBronzeObjects(ctx.store, table) : [];
  // all of the table's Bronze: what a first build reads, and a bound on what a merge reads
  await ctx.session.fitAllocator([...entityObjs, ...pageObjs].reduce((n, o) => n + o.size, 0));
  const entityKeys = entityObjs.map((o) => o.key);
  const pageKeys = pageObjs.map((o) => o.key);
  const inputs = silverInputs(table, entityKeys, webhookKeys, pageKeys);
  const listed = [...inputs.own, ...inputs.webhooks, ...inputs.pages];
  const state = ctx.fullRefresh ? undefined : await loadSilverState(ctx.store, table);
  const noPartitions = !state || Object.keys(state.partitions).length === 0;
  const changed = noPartitions ? listed : unconsumedKeys(listed, state.inputs);
  // A child table is never merged row by row (a new parent version can remove children). It is
  // rebuilt from the Bronze of the days the changed parents were created on (all of a parent's
  // versions are in its created day's Bronze): one dated by its parent, those days' partitions;
  // one dated by itself (subscription items), the changed parents' rows wherever they sit. Whole
  // when a changed parent has no `created`, or a partition of a child dated by itself is to be
  // rebuilt. (Merging only the changed parents' children into their days, as for subscription
  // items, was slower for those dated by their parent at 1m: invoice lines 1.05 -> 1.36 s, payout
  // transactions 0.27 -> 0.51 s; nearly every parent of a recent day changes, so little is left
  // out, and the merge adds statements.)
  const asked = changed.length > 0 || rebuild.length > 0;
  const datedByParent = contract.bronze.parent?.datedByParent === true;
  const byParent = isChild && !noPartitions && asked && (datedByParent || rebuild.length === 0);
  const parentDays = byParent ? await changedParentDays(ctx, table, inputs, changed, rebuild) : undefined;
  const firstBuild = noPartitions || (isChild && !parentDays && asked);
  const fresh = firstBuild ? listed : changed;
  const freshSet = new Set(fresh);
  const consumed = firstBuild ? [] : listed.filter((k) => !freshSet.has(k));
  const rebuildDts = firstBuild || parentDays || consumed.length === 0 ? [] : [...new Set(rebuild)].sort();
  const done = (partitions: number, rows: number, keys: string[]): ModelResult => {
    return { partitions, rows, seconds: (performance.now() - started) / 1000, keys };
  };
  if (fresh.length === 0 && rebuildDts.length === 0 && !parentDays) return done(0, 0, []);

  const modelSql = await readSilverModelSql(table);
  const ownSet = new Set(inputs.own);
  const pageSet = new Set(inputs.pages);
  const split = (keys: readonly string[]) => ({
    own: keys.filter((k) => ownSet.has(k)).map((k) => ctx.stager.localPath(k)),
    webhooks: keys.filter((k) => !ownSet.has(k) && !pageSet.has(k)).map((k) => ctx.stager.localPath(k)),
    pages: keys.filter((k) => pageSet.has(k)).map((k) => ctx.stager.localPath(k)),
  });
  const webhookPaths = new Set(inputs.webhooks.map((k) => ctx.stager.localPath(k)));
  if (!firstBuild) await ctx.stager.stage(fresh);
  const knownCreated = firstBuild
    ? undefined
    : await loadKnownCreated(ctx, table, rebuildDts, split(fresh), webhookPaths);

  const sink = partitionSink(ctx, table);
  const { stats, write } = sink;

  // Types `keys` through the model (only the rows of `dts`, or the rows `where`, when given) and
  // writes the partitions.
  const buildFrom = async (keys: readonly string[], dts?: readonly string[], where?: string) => {
    await ctx.stager.stage(keys);
    const model = renderSilverModel(table, modelSql, { ...split(keys), knownCreated });
    const filter = dts ? `dt::VARCHAR in (select unnest(${sqlStringList(dts)}))` : where;
    const query = filter ? `select * from (${model}) where ${filter}` : model;
    const bytes = await localBytes(keys.map((k) => ctx.stager.localPath(k)));
    await withBronzeErrors(ctx, table, webhookPaths, () =>
      write(query, sortsInQuery(bytes, ctx.session.memoryBytes)),
    );
  };
  let parentsRebuilt: readonly string[] = [];
  if (parentDays && parentDays.length > 0 && datedByParent)
    await buildFrom(parentDayInputs(inputs, parentDays), parentDays);
  else if (parentDays && parentDays.length > 0 && state)
    parentsRebuilt = await rebuildChildrenOf(ctx, table, {
      modelSql,
      dayKeys: parentDayInputs(inputs, parentDays),
      parentDays,
      split,
      fresh,
      state,
      sink,
      webhookPaths,
    });
  if (firstBuild)
    await buildFirst(ctx, table, { entityObjs, pageObjs, webhooks: inputs.webhooks }, sink, buildFrom, fresh);
  // Every consumed Bronze, not only that of the dts: a row's winning version may sit in another
  // dt's Bronze (a webhook received later, a tombstone), and the dedup must see them all.
  if (rebuildDts.length > 0) await buildFrom(consumed, rebuildDts);
  if (!firstBuild && !parentDays && fresh.length > 0) {
    await ctx.stager.stage(fresh);
    const typed = renderSilverModel(table, modelSql, { ...split(fresh), knownCreated });
    await mergeIncoming(ctx, table, { typed, fresh, webhookPaths, write });
  }
  // A child's rebuilt day (or, rebuilt whole, any day) whose parents no longer list a child: its
  // partition goes, as a full refresh would not write it.
  const rebuilt =
    isChild && state
      ? datedByParent || firstBuild
        ? (parentDays ?? (firstBuild ? Object.keys(state.partitions) : []))
        : parentsRebuilt
      : [];
  const removed = rebuilt.filter((dt) => !stats.has(dt) && state?.partitions[dt]);
  for (const dt of removed) await ctx.store.delete(layout.silverPartition(table, dt));
  const partitions: SilverState['partitions'] = firstBuild ? {} : { ...state.partitions };
  for (const [dt, s] of stats) partitions[dt] = { rows: s.n };
  for (const dt of removed) delete partitions[dt];
  // Gold learns what changed before the state says the Bronze was consumed (see goldPendingKey).
  await notePendingChanges(ctx.store, table, [...stats.keys()], removed);
  // Only now, with every Parquet durable, record what was consumed.
  await saveSilverState(ctx.store, {
    version: 1,
    table,
    runId: ctx.runId,
    updatedAt: new Date().toISOString(),
    inputs: describeInputs(listed),
    partitions,
  });
  const rows = [...stats.values()].reduce((a, s) => a + s.n, 0);
  ctx.logger.info(
    { step: 'transform', model: `silver.${table}`, partitions: stats.size, rows },
    rebuildDts.length > 0 ? `silver built (${rebuildDts.length} partitions rebuilt)` : 'silver built',
  );
  return done(stats.size, rows, [...sink.keys].sort());
}

/** Where a build writes Silver partitions, and what it wrote: rows per dt. */
interface PartitionSink {
  readonly stats: Map<string, { n: number }>;
  /** Keys of the partitions written. */
  readonly keys: Set<string>;
  /** Rows written whose object had no `created` in the Bronze read. */
  undated: number;
  write(query: string, sortInQuery: boolean): Promise<void>;
}

function partitionSink(ctx: BuildContext, table: TableName): PartitionSink {
  const contract = SILVER_CONTRACTS[table];
  // its own folder: another table may be written at the same time
  const outDir = join(ctx.workDir, 'out', 'partitions', table);
  const sink: PartitionSink = {
    stats: new Map(),
    keys: new Set(),
    undated: 0,
    async write(query, sortInQuery) {
      const written = await copyPartitioned({
        session: ctx.session,
        store: ctx.store,
        query,
        orderBy: ['dt', ...contract.primaryKey].map(sqlIdent).join(', '),
        outDir,
        keyOf: (dt) => layout.silverPartition(table, dt),
        sortInQuery,
        countNulls: ['created_ts'],
      });
      for (const [dt, p] of written.partitions) {
        sink.stats.set(dt, { n: p.rows });
        sink.undated += p.nulls.created_ts ?? 0;
      }
      for (const k of written.keys) sink.keys.add(k);
    },
  };
  return sink;
}

/**
 * A first build, a run of days at a time when the Bronze would not fit one query (each run reads
 * every webhook delivery, and writes its days' rows): a child dated by its parent by its parents'
 * days, an entity by its own (all versions of an object are in its created day's Bronze). An
 * object without `created` anywhere breaks that: its rows pass every run's filter, and one of them
 * makes the table be built whole after all (partitions only the runs wrote go).
 */
async function buildFirst(
  ctx: BuildContext,
  table: TableName,
  objs: { entityObjs: readonly ObjectInfo[]; pageObjs: readonly ObjectInfo[]; webhooks: readonly string[] },
  sink: PartitionSink,
  buildFrom: (keys: readonly string[], dts?: readonly string[], where?: string) => Promise<void>,
  keys: readonly string[],
): Promise<void> {
  const contract = SILVER_CONTRACTS[table];
  const budget = ctx.dayChunkBytes ?? chunkBudget(ctx.session.memoryBytes);
  const chunks =
    contract.bronze.parent?.datedByParent === true
      ? await parentDayChunks(ctx, objs.entityObjs, objs.pageObjs, budget)
      : contract.bronze.from === 'own'
        ? entityDayChunks(objs.entityObjs, budget)
        : undefined;
  if (!chunks) return buildFrom(keys);
  for (const c of chunks)
    await buildFrom(
      [...c.keys, ...objs.webhooks],
      undefined,
      `${inDayRange('dt::VARCHAR', c)} or created_ts is null`,
    );
  if (sink.undated === 0) return;
  ctx.logger.warn(
    { step: 'transform', model: `silver.${table}`, rows: sink.undated },
    'objects without created: built whole instead of by runs of days',
  );
  const byRuns = new Set(sink.stats.keys());
  sink.stats.clear();
  await buildFrom(keys);
  for (const dt of byRuns) {
    if (sink.stats.has(dt)) continue;
    await ctx.store.delete(layout.silverPartition(table, dt));
    sink.keys.delete(layout.silverPartition(table, dt));
  }
}

/**
 * What rebuilds the children of the parents created on `days`: every parent version of those days
 * (all runs), the pages fetched for them, and the webhook deliveries (any day).
 */
function parentDayInputs(
  inputs: { own: readonly string[]; webhooks: readonly string[]; pages: readonly string[] },
  days: readonly string[],
): string[] {
  const set = new Set(days);
  const inDays = (keys: readonly string[]) => keys.filter((k) => set.has(dtOfKey(k) ?? ''));
  return [...inDays(inputs.own), ...inputs.webhooks, ...inDays(inputs.pages)];
}

/**
 * The parents' created days a child table dated by its parent must rebuild: the days of the parent
 * versions in the new Bronze and webhook deliveries, of the new fetched pages (partitioned by their
 * parent's created day), and the days asked to be rebuilt. Undefined when a new parent version
 * has no `created` (a bare tombstone): its day is unknown, so the caller rebuilds the whole table.
 */
async function changedParentDays(
  ctx: BuildContext,
  table: TableName,
  inputs: { own: readonly string[]; webhooks: readonly string[]; pages: readonly string[] },
  changed: readonly string[],
  rebuild: readonly string[],
): Promise<string[] | undefined> {
  const fresh = new Set(changed);
  const own = inputs.own.filter((k) => fresh.has(k));
  const webhooks = inputs.webhooks.filter((k) => fresh.has(k));
  const pages = inputs.pages.filter((k) => fresh.has(k));
  const parent = entity(bronzeEntityOf(table) as EntityName);
  const found = new Set([...pages.map((k) => dtOfKey(k) ?? ''), ...rebuild]);
  found.delete('');
  if (own.length > 0 || webhooks.length > 0) {
    await ctx.stager.stage([...own, ...webhooks]);
    const paths = (keys: readonly string[]) => keys.map((k) => ctx.stager.localPath(k));
    const rows = await withBronzeErrors(ctx, table, new Set(paths(webhooks)), () =>
      ctx.session.rows<{ dt: string | null }>(
        `select distinct to_timestamp(created)::DATE::VARCHAR as dt
         from ${versionsCreated(paths(own), paths(webhooks), parent.objectName)}`,
      ),
    );
    for (const r of rows) {
      if (r.dt === null) return undefined;
      found.add(r.dt);
    }
  }
  return [...found].sort();
}

/**
 * A child dated by itself (subscription items), for the parents that changed (a new version, in
 * their Bronze or a webhook delivery, or a new fetch of their children): their children replace
 * their rows in every partition holding one, the other rows staying. Returns the dts rewritten (a
 * partition left without rows is the caller's to remove).
 *
 * Where it can, from the new versions alone (`_merge_children.sql`): each child's row is the later
 * of its current one and its row from the new versions. It can when every new version lists its
 * children whole: no fetched pages, no incomplete embedded list (`_new_parent_versions.sql`, which
 * also tells the parents whose current version stays the latest). Else from every version of
 * those parents (their created days' Bronze): at 1m, where renewals touch nearly every day,
 * typing every version of the changed subscriptions took 3.2 s of a daily run.
 *
 * Only the changed parents either way: a parent's children come from its own versions and fetches
 * alone, so the others' rows stand. Ranking every parent created on those days instead (nearly
 * all of them at 1m) typed 16,527 parents for the 1,991 that changed: 1.5 s against 0.5 s.
 */
async function rebuildChildrenOf(
  ctx: BuildContext,
  table: TableName,
  opts: {
    modelSql: SilverModelSql;
    /** Every version of the changed parents: their created days' Bronze, webhook deliveries, pages. */
    dayKeys: readonly string[];
    /** The changed parents' created days (and those of the new pages). */
    parentDays: readonly string[];
    split: (keys: readonly string[]) => SilverModelFiles;
    /** The new Bronze (keys, staged): parent versions, webhook deliveries, fetched pages. */
    fresh: readonly string[];
    state: SilverState;
    sink: PartitionSink;
    webhookPaths: ReadonlySet<string>;
  },
): Promise<string[]> {
  const parent = entity(bronzeEntityOf(table) as EntityName);
  const parentKey = parentKeyColumn(table);
  const paths = (keys: readonly string[]) => keys.map((k) => ctx.stager.localPath(k));
  const parents = `silver_parents_${table}`;
  const incoming = `silver_incoming_${table}`;
  const sitting = `silver_sitting_${table}`;
  const flags = `silver_parent_flags_${table}`;
  const changed = opts.split(opts.fresh);
  try {
    // the parents with a new version, and those whose children were fetched anew
    await withBronzeErrors(ctx, table, opts.webhookPaths, () =>
      ctx.session.conn.run(
        `create or replace temp table ${parents} as
         select distinct id from (
           select id from ${versionsCreated(changed.own, changed.webhooks, parent.objectName)}
           union all
           select meta.parent.id from ${readBronzeRelation(changed.pages ?? [], payloadType({ id: 'VARCHAR' }), CHILD_META_TYPE)}
         )
         where id is not null`,
      ),
    );
    const merge =
      (changed.pages ?? []).length === 0 &&
      (await newVersionsSuffice(ctx, table, { changed, parents, flags, parentDays: opts.parentDays }));
    if (!merge) await ctx.stager.stage(opts.dayKeys);
    const model = renderSilverModel(table, opts.modelSql, {
      ...(merge ? changed : opts.split(opts.dayKeys)),
      parentIds: parents,
    });
    await withBronzeErrors(ctx, table, opts.webhookPaths, () =>
      ctx.session.conn.run(
        `create or replace temp table ${incoming} as
         select * from (${model}) where ${sqlIdent(parentKey)} in (select id from ${parents})`,
      ),
    );
    const currentKeys = Object.keys(opts.state.partitions).map((dt) => layout.silverPartition(table, dt));
    const current = (keys: readonly string[]) =>
      keys.length > 0
        ? `read_parquet(${sqlStringList(paths(keys))}, hive_partitioning = false)`
        : `(select * from ${incoming} limit 0)`;
    // where the changed parents' children sit now: their parent key read through the key index
    // (one file) where it holds the very partition, not from every partition (382 at 100k: 0.3 s)
    if (!indexColumns(`silver.${table}`, SILVER_CONTRACTS[table]).includes(parentKey))
      throw new Error(`silver.${table}: its key index keeps no ${parentKey} (INDEX_COLUMNS)`);
    const currentSet = new Set(currentKeys);
    const objects = (await ctx.store.list(layout.silverEntityPrefix(table))).filter((o) =>
      currentSet.has(o.key),
    );
    await createKeyIndexView(ctx.session, ctx.stager, await loadKeyIndex(ctx.store), sitting, {
      name: `silver.${table}`,
      contract: SILVER_CONTRACTS[table],
      objects,
    });
    const dts = (
      await ctx.session.rows<{ dt: string }>(
        `select distinct dt::VARCHAR as dt from ${incoming}
         union
         select distinct dt::VARCHAR from ${sitting}
         where ${sqlIdent(parentKey)} in (select id from ${parents})
         order by dt`,
      )
    ).map((r) => r.dt);
    const touched = currentKeys.filter((k) => dts.includes(dtOfKey(k) ?? ''));
    await ctx.stager.stage(touched);
    const query = merge
      ? renderSql(await readModelSql('silver', '_merge_children'), {
          current: current(touched),
          incoming,
          parent_ids: parents,
          parent_flags: flags,
          parent_key: sqlIdent(parentKey),
          columns: SILVER_CONTRACTS[table].columns.map((c) => sqlIdent(c.name)).join(', '),
          version_order: VERSION_ORDER,
        })
      : `select * from ${incoming}
      union all by name
      select * from ${current(touched)}
      where ${sqlIdent(parentKey)} is null or ${sqlIdent(parentKey)} not in (select id from ${parents})`;
    const bytes = PARQUET_EXPANSION * (await localBytes(paths(touched)));
    await opts.sink.write(query, sortsInQuery(bytes, ctx.session.memoryBytes));
    return dts;
  } finally {
    await ctx.session.conn.run(`drop view if exists ${sitting}`);
    await ctx.session.conn.run(`drop table if exists ${incoming}`);
    await ctx.session.conn.run(`drop table if exists ${parents}`);
    await ctx.session.conn.run(`drop table if exists ${flags}`);
  }
}

/**
 * Whether a child table's changed parents can be merged from their new versions alone: no new
 * version's children need a fetch (`_new_parent_versions.sql`, into the temp table `flags`, which
 * also says per parent whether its current Silver version stays the latest). The parents' current
 * rows are read from the parent's partitions of their created days. Either order of the parent's
 * and the child's builds gives the same answer: a parent's row built this run is its latest new
 * version, or its current one when that stays the latest.
 */
async function newVersionsSuffice(
  ctx: BuildContext,
  table: TableName,
  opts: { changed: SilverModelFiles; parents: string; flags: string; parentDays: readonly string[] },
): Promise<boolean> {
  const parent = bronzeEntityOf(table) as TableName;
  const wanted = new Set(opts.parentDays.map((dt) => layout.silverPartition(parent, dt)));
  const keys = (await ctx.store.list(layout.silverEntityPrefix(parent)))
    .map((o) => o.key)
    .filter((k) => wanted.has(k));
  await ctx.stager.stage(keys);
  const files = keys.map((k) => ctx.stager.localPath(k));
  const currentParents =
    files.length > 0
      ? `(select * from read_parquet(${sqlStringList(files)}, hive_partitioning = false)
          where id in (select id from ${opts.parents}))`
      : `(select NULL::VARCHAR as id, NULL::BIGINT as _version_ts, NULL::VARCHAR as _source,
          NULL::VARCHAR as _run_id, NULL::TIMESTAMPTZ as _ingested_at, NULL::VARCHAR as _bronze_key limit 0)`;
  const sql = renderNewParentVersions(
    table,
    await readModelSql('silver', '_new_parent_versions'),
    { own: opts.changed.own, webhooks: opts.changed.webhooks, parentIds: opts.parents },
    currentParents,
  );
  await withBronzeErrors(ctx, table, new Set(opts.changed.webhooks), () =>
    ctx.session.conn.run(`create or replace temp table ${opts.flags} as ${sql}`),
  );
  const [r] = await ctx.session.rows<{ partial: number | bigint; stale: number | bigint }>(
    `select count(*) filter (where partial) as partial, count(*) filter (where stale) as stale
     from ${opts.flags}`,
  );
  const partial = Number(r?.partial ?? 0);
  ctx.logger.debug(
    {
      step: 'transform',
      model: `silver.${table}`,
      partial_parents: partial,
      stale_parents: Number(r?.stale ?? 0),
    },
    partial === 0
      ? "children merged from their parents' new versions"
      : 'children rebuilt from every version of their parents',
  );
  return partial === 0;
}

/**
 * Incremental: types only the new Bronze (`typed`: one row per id, tombstones placed), then merges
 * those rows into the current Silver of the partitions they land in (`_merge_latest.sql`), and
 * writes the result through `write`.
 */
async function mergeIncoming(
  ctx: BuildContext,
  table: TableName,
  opts: {
    typed: string;
    fresh: readonly string[];
    webhookPaths: ReadonlySet<string>;
    write: (query: string, sortInQuery: boolean) => Promise<void>;
  },
): Promise<void> {
  const incoming = `silver_incoming_${table}`;
  await withBronzeErrors(ctx, table, opts.webhookPaths, () =>
    ctx.session.conn.run(`create or replace temp table ${incoming} as ${opts.typed}`),
  );
  try {
    const pending = (
      await ctx.session.rows<{ dt: string }>(`select distinct dt::VARCHAR as dt from ${incoming} order by dt`)
    ).map((r) => r.dt);
    const existing = new Set((await ctx.store.list(layout.silverEntityPrefix(table))).map((o) => o.key));
    const currentKeys = pending.map((dt) => layout.silverPartition(table, dt)).filter((k) => existing.has(k));
    await ctx.stager.stage(currentKeys);
    const currentPaths = currentKeys.map((k) => ctx.stager.localPath(k));
    const query = renderSql(await readModelSql('silver', '_merge_latest'), {
      current:
        currentPaths.length > 0
          ? `read_parquet(${sqlStringList(currentPaths)}, hive_partitioning = false)`
          : `(select * from ${incoming} limit 0)`,
      incoming,
      columns: SILVER_CONTRACTS[table].columns.map((c) => sqlIdent(c.name)).join(', '),
      version_order: VERSION_ORDER,
    });
    // Parquet expands several times in memory: judge the sort by a generous multiple.
    const inputBytes =
      PARQUET_EXPANSION * (await localBytes(currentPaths)) +
      (await localBytes(opts.fresh.map((k) => ctx.stager.localPath(k))));
    await opts.write(query, sortsInQuery(inputBytes, ctx.session.memoryBytes));
  } finally {
    await ctx.session.conn.run(`drop table if exists ${incoming}`);
  }
}

/** Total size of local (staged) files. */
async function localBytes(paths: readonly string[]): Promise<number> {
  let total = 0;
  for (const p of paths) total += (await stat(p)).size;
  return total;
}

/**
 * SQL of a relation `(id, created)`: every version of the `objectName` objects in their own Bronze
 * (`own`) and in webhook deliveries (`webhooks`), local paths of staged files.
 */
function versionsCreated(own: readonly string[], webhooks: readonly string[], objectName: string): string {
  const fields = { id: 'VARCHAR', object: 'VARCHAR', created: 'BIGINT' } as const;
  return `(
    select data.id, data.created from ${readBronzeRelation(own, payloadType(fields))}
    union all
    select data.data.object.id, data.data.object.created
    from ${readBronzeRelation(webhooks, webhookEventType(payloadType(fields)))}
    where data.data.object.object = ${sqlString(objectName)}
  )`;
}

/** Whether a version of `table`'s objects in the new Bronze (paths, staged) lacks `created`. */
async function anyWithoutCreated(
  ctx: BuildContext,
  table: TableName,
  fresh: { own: readonly string[]; webhooks: readonly string[] },
  webhookPaths: ReadonlySet<string>,
): Promise<boolean> {
  const { objectName } = entity(table as EntityName);
  const rows = await withBronzeErrors(ctx, table, webhookPaths, () =>
    ctx.session.rows<{ n: number }>(
      `select count(*)::INTEGER as n from ${versionsCreated(fresh.own, fresh.webhooks, objectName)}
       where created is null`,
    ),
  );
  return (rows[0]?.n ?? 0) > 0;
}

/**
 * For tables with tombstones: the creation time of every id already in Silver (but the partitions
 * being rebuilt), so a tombstone
 * without `created` arriving alone lands in its object's partition.
 */
async function loadKnownCreated(
  ctx: BuildContext,
  table: TableName,
  skipDts: readonly string[],
  fresh: { own: readonly string[]; webhooks: readonly string[] },
  webhookPaths: ReadonlySet<string>,
): Promise<string | undefined> {
  if (silverFragmentOf(table) !== 'latest_versions' || entity(table as EntityName).deleteEvents.length === 0)
    return undefined;
  // Only a version without `created` reads the map, and deletions arrive with the whole object
  // (events): reading every partition's ids for nothing cost 0.5 s of a 100k daily run.
  if (skipDts.length === 0 && !(await anyWithoutCreated(ctx, table, fresh, webhookPaths))) return undefined;
  // partitions being rebuilt may be damaged (truncated, not Parquet at all): not read
  const skip = new Set(skipDts);
  const keys = (await ctx.store.list(layout.silverEntityPrefix(table)))
    .map((o) => o.key)
    .filter((k) => k.endsWith('.parquet') && !skip.has(dtOfKey(k) ?? ''));
  if (keys.length === 0) return undefined;
  await ctx.stager.stage(keys);
  const name = `known_created_${table}`;
  await ctx.session.conn.run(
    `create or replace temp table ${name} as select id, epoch(created_ts)::BIGINT as created
     from read_parquet(${sqlStringList(keys.map((k) => ctx.stager.localPath(k)))}) where created_ts is not null`,
  );
  return name;
}
