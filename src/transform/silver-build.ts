import { join } from 'node:path';
import { SILVER_CONTRACTS } from '../contracts/silver.js';
import { chunkBudget, entityDayChunks, inDayRange, parentDayChunks } from '../duckdb/parent-days.js';
import { copyPartitioned, sortsInQuery } from '../duckdb/partitioned-copy.js';
import { PARQUET_EXPANSION } from '../duckdb/session.js';
import {
  bronzeEntityOf,
  listBronzeObjects,
  readModelSql,
  readSilverModelSql,
  renderSilverModel,
  silverFragmentOf,
  VERSION_ORDER,
} from '../duckdb/silver-sql.js';
import { renderSql, sqlIdent, sqlStringList } from '../duckdb/sql-template.js';
import type { EntityName, TableName } from '../entities/entity.js';
import { entity } from '../entities/lookups.js';
import { dtOfKey, layout } from '../storage/layout.js';
import type { ObjectInfo, ObjectStore } from '../storage/object-store.js';
import { notePendingChanges } from './gold-deps.js';
import { changedParentDays, parentDayInputs, rebuildChildrenOf } from './silver-children.js';
import {
  type BuildContext,
  localBytes,
  type PartitionSink,
  versionsCreated,
  withBronzeErrors,
} from './silver-context.js';
import {
  describeInputs,
  loadSilverState,
  type SilverState,
  saveSilverState,
  unconsumedKeys,
} from './silver-state.js';

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
