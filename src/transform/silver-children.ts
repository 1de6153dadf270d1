import { SILVER_CONTRACTS } from '../contracts/silver.js';
import { CHILD_META_TYPE, payloadType, readBronzeRelation } from '../duckdb/bronze-read.js';
import { sortsInQuery } from '../duckdb/partitioned-copy.js';
import { PARQUET_EXPANSION } from '../duckdb/session.js';
import {
  bronzeEntityOf,
  parentKeyColumn,
  readModelSql,
  renderNewParentVersions,
  renderSilverModel,
  type SilverModelFiles,
  type SilverModelSql,
  VERSION_ORDER,
} from '../duckdb/silver-sql.js';
import { renderSql, sqlIdent, sqlStringList } from '../duckdb/sql-template.js';
import type { EntityName, TableName } from '../entities/entity.js';
import { entity } from '../entities/lookups.js';
import { indexColumns, loadKeyIndex } from '../state/key-index.js';
import { dtOfKey, layout } from '../storage/layout.js';
import { createKeyIndexView } from './key-index-views.js';
import {
  type BuildContext,
  localBytes,
  type PartitionSink,
  versionsCreated,
  withBronzeErrors,
} from './silver-context.js';
import type { SilverState } from './silver-state.js';

// A child table's incremental build (SPEC 4.1, 7.1: a child follows the latest version of its
// parent): which parents changed and on which days, and the rebuild of a child dated by itself
// (subscription items) for those parents, merged from their new versions where they can be.

/**
 * What rebuilds the children of the parents created on `days`: every parent version of those days
 * (all runs), the pages fetched for them, and the webhook deliveries (any day).
 */
export function parentDayInputs(
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
export async function changedParentDays(
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
export async function rebuildChildrenOf(
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
