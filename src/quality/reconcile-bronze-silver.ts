import { SILVER_CONTRACTS, SILVER_TABLES } from '../contracts/silver.js';
import { ID_ONLY } from '../duckdb/bronze-read.js';
import { chunksOfBytes } from '../duckdb/read-chunks.js';
import { sqlString, sqlStringList } from '../duckdb/sql-template.js';
import type { TableName } from '../entities/entity.js';
import { entity, isEntityName } from '../entities/lookups.js';
import { dtOfKey, layout, parseBronzeKey } from '../storage/layout.js';
import type { ObjectInfo } from '../storage/object-store.js';
import { loadCachedIds, saveCachedIds } from './bronze-id-cache.js';
import { loadSidecarIds } from './bronze-id-sidecar.js';
import { capped } from './examples.js';
import { diffKeys } from './key-diff.js';
import {
  keyProfile,
  noteListed,
  type QualityContext,
  silverPartitions,
  silverView,
} from './quality-context.js';
import { checkChildBronzeSilver, webhookDataKeys } from './reconcile-children.js';
import { changedDts, isChanged } from './scope.js';
import type { CheckResult, PlannedCheck } from './types.js';

/** A webhook delivery's `data` is a whole event; its object flows into that entity's Silver. */
const WEBHOOK_OBJECT = 'STRUCT(id VARCHAR, data STRUCT(object STRUCT(id VARCHAR, object VARCHAR)))';

const WEBHOOK_PREFIX = layout.bronzeEntityPrefix('webhook_events');

/** Tables whose Silver also takes the objects of webhook-delivered events. */
const takesWebhookObjects = (t: TableName) => SILVER_CONTRACTS[t].bronze.webhookObjects;

function readJson(paths: readonly string[], dataType: string): string {
  return `read_json(${sqlStringList(paths)}, format = 'newline_delimited', filename = true, columns = {data: ${sqlString(dataType)}})`;
}

/** What every Bronze -> Silver check shares: the cutoff and the webhook deliveries listing. */
export interface BronzeSilverShared {
  /** Partitions written at or after this (ms) are checked; undefined = everything. */
  readonly since: number | undefined;
  readonly webhookKeys: readonly ObjectInfo[];
}

export async function prepareBronzeSilver(ctx: QualityContext): Promise<BronzeSilverShared> {
  const since = ctx.since;
  const webhookKeys = (await ctx.store.list(WEBHOOK_PREFIX)).filter((o) => dtOfKey(o.key) !== undefined);
  noteListed(ctx, webhookKeys);
  return { since, webhookKeys };
}

/**
 * `reconcile.bronze_silver.<table>`: the distinct ids in Bronze (every source, including the
 * objects of webhook deliveries) equal the Silver rows, exactly. Reports ids missing from Silver
 * (with the Bronze key holding them), Silver ids absent from Bronze, and duplicated Silver ids.
 *
 * Cost: Bronze is GBs of JSON at scale, so with `scope: 'changed'` only the partitions whose
 * Silver or Bronze was written since the previous passing quality run are read (plus new webhook
 * deliveries, plus the Bronze keys the checked Silver rows name as their lineage, since a row's
 * winning version may sit in another dt, e.g. a webhook received on a later day). Silver ids are
 * always read in full (one Parquet column). The ids of a Bronze part come from the id sidecar the
 * extractor wrote beside it (`bronze-id-sidecar.ts`, any scope) when it is of the part's size;
 * else, for a part read by an earlier run, from the Bronze id cache (`bronze-id-cache.ts`, not
 * with `scope: 'all'`); else its JSON is parsed.
 */
export async function checkBronzeSilver(
  ctx: QualityContext,
  table: TableName,
  shared: BronzeSilverShared,
): Promise<CheckResult> {
  const name = `reconcile.bronze_silver.${table}`;
  const view = silverView(table);
  const isWebhookTable = SILVER_CONTRACTS[table].bronze.from === 'webhooks';
  const { since } = shared;
  const entityKeys = isWebhookTable
    ? shared.webhookKeys
    : (await ctx.store.list(layout.bronzeEntityPrefix(table))).filter((o) => parseBronzeKey(o.key));
  noteListed(ctx, entityKeys);
  const dts =
    since === undefined
      ? undefined
      : changedDts([...(ctx.silver.get(table) ?? []), ...entityKeys], since, dtOfKey, ctx.verified);

  const entityRead = new Set(
    entityKeys.filter((o) => !dts || dts.has(dtOfKey(o.key) ?? '')).map((o) => o.key),
  );
  const newWebhooks = shared.webhookKeys.filter((o) => isChanged(o, since, ctx.verified)).map((o) => o.key);
  const objectName = takesWebhookObjects(table) && isEntityName(table) ? entity(table).objectName : undefined;
  const webhookRead = new Set(objectName ? newWebhooks : []);
  if (isWebhookTable) for (const k of newWebhooks) entityRead.add(k);

  // the checked Silver rows: those of the changed partitions' files, or the whole view
  const checked = await silverPartitions(ctx, table, dts);
  const lineageMissing: string[] = [];
  if (dts) {
    // the Bronze holding each checked row's winning version, wherever its partition is
    const known = new Set([...entityKeys, ...shared.webhookKeys].map((o) => o.key));
    const lineage = await ctx.db.rows<{ k: string }>(
      `select distinct _bronze_key as k from ${checked} where _bronze_key is not null`,
    );
    for (const { k } of lineage) {
      if (!known.has(k)) lineageMissing.push(k);
      else if (k.startsWith(WEBHOOK_PREFIX) && objectName) webhookRead.add(k);
      else entityRead.add(k);
    }
  }

  const entityPaths = [...entityRead].sort();
  const webhookPaths = [...webhookRead].sort();
  const sizes = new Map([...entityKeys, ...shared.webhookKeys].map((o) => [o.key, o.size]));
  const tmp = `q_bronze_raw_${table}`;
  const read = await loadBronzeIds(ctx, table, { into: tmp, entityPaths, webhookPaths, objectName, sizes });
  try {
    const diff = await diffKeys(ctx.db, {
      // grouped inside the diff, not materialised first: the diff reads only the distinct ids, and
      // the first Bronze key of each only for the examples of a failure
      expected: `(select id as k, min(bronze_key) as bronze_key from ${tmp} where id is not null group by id)`,
      rows: `(select id as k, dt from ${checked})`,
      rowsProfile: () => keyProfile(ctx, checked, ['id']),
      ...(dts ? { lookup: `(select id as k from ${view})` } : {}),
      keyName: 'id',
    });
    return {
      name,
      severity: 'error',
      passed:
        diff.missing.count + diff.extra.count + diff.duplicated.count === 0 && lineageMissing.length === 0,
      details: {
        scope: dts ? 'changed' : 'all',
        changed_since: since === undefined ? null : new Date(since).toISOString(),
        partitions_checked: dts ? [...dts].sort() : 'all',
        bronze_files_read: read.files,
        bronze_files_from_id_cache: read.fromCache,
        bronze_files_from_sidecars: read.fromSidecar,
        bronze_distinct_ids: diff.expected,
        silver_rows_checked: diff.rows,
        missing_from_silver: diff.missing,
        not_in_bronze: diff.extra,
        duplicated_in_silver: diff.duplicated,
        ...(lineageMissing.length > 0 ? { lineage_keys_missing: capped(lineageMissing.sort()) } : {}),
      },
    };
  } finally {
    await ctx.db.conn.run(`drop table if exists ${tmp}`);
  }
}

/**
 * Fills the table `into` with `(id, bronze_key)`, one row per id each Bronze object holds (an id
 * in several objects has several rows; NULL for an object holding none): entity files by their
 * `id`, webhook deliveries by the id of their object when it is an `objectName`. Ids of files read by an earlier run come from the id cache (not with scope
 * `all`); the rest are read in chunks (DuckDB's JSON reader holds what one statement reads).
 */
async function loadBronzeIds(
  ctx: QualityContext,
  table: TableName,
  opts: {
    into: string;
    entityPaths: readonly string[];
    webhookPaths: readonly string[];
    objectName: string | undefined;
    sizes: ReadonlyMap<string, number>;
  },
): Promise<{ files: number; fromSidecar: number; fromCache: number }> {
  const { entityPaths, webhookPaths, objectName, sizes } = opts;
  const raw = opts.into;
  await ctx.db.conn.run(`create or replace temp table ${raw} (id VARCHAR, bronze_key VARCHAR)`);
  // Bronze objects never change: ids read by an earlier run are taken from the cache (not with
  // scope 'all', which re-reads every line)
  const useCache = ctx.scope !== 'all';
  const cached = useCache
    ? await loadCachedIds(ctx, table, [...entityPaths, ...webhookPaths], raw)
    : new Set<string>();
  const entityUncached = entityPaths.filter((k) => !cached.has(k));
  // the extractor's id sidecars, whatever the scope: a part of the size it wrote holds those ids
  const fromSidecar = readsWebhooksOnly(table)
    ? new Set<string>()
    : await loadSidecarIds(ctx, table, entityUncached, sizes, raw);
  const entityToRead = entityUncached.filter((k) => !fromSidecar.has(k));
  const webhookToRead = webhookPaths.filter((k) => !cached.has(k));
  await ctx.stager.stage([...entityToRead, ...webhookToRead]);
  for (const chunk of chunksOfBytes(entityToRead, sizes)) {
    await ctx.db.conn.run(
      `insert into ${raw} select data.id as id, bronze_key(filename) as bronze_key from ${readJson(
        chunk.map((k) => ctx.stager.localPath(k)),
        ID_ONLY,
      )}`,
    );
  }
  if (objectName) {
    for (const chunk of chunksOfBytes(webhookToRead, sizes)) {
      await ctx.db.conn.run(
        `insert into ${raw} select data.data.object.id as id, bronze_key(filename) as bronze_key from ${readJson(
          chunk.map((k) => ctx.stager.localPath(k)),
          WEBHOOK_OBJECT,
        )} where data.data.object.object = ${sqlString(objectName)}`,
      );
    }
  }
  // scope `all` reads every line without the cache, and still records what it parsed: a run-all's
  // periodic full check (its first run's too) leaves the cache the daily runs after it read from
  // (parts with a sidecar are not cached: their sidecar serves the next run as well)
  await saveCachedIds(ctx, table, [...entityToRead, ...webhookToRead], raw);
  const files = entityToRead.length + webhookToRead.length;
  return {
    files,
    fromSidecar: fromSidecar.size,
    fromCache: entityPaths.length + webhookPaths.length - files - fromSidecar.size,
  };
}

const readsWebhooksOnly = (t: TableName) => SILVER_CONTRACTS[t].bronze.from === 'webhooks';

/** One check per Silver table, sharing the cutoff and the webhook listing. */
export async function bronzeSilverChecks(ctx: QualityContext): Promise<PlannedCheck[]> {
  const shared = await prepareBronzeSilver(ctx);
  return SILVER_TABLES.map((table) => ({
    name: `reconcile.bronze_silver.${table}`,
    severity: 'error' as const,
    run: () =>
      SILVER_CONTRACTS[table].bronze.parent
        ? checkChildBronzeSilver(ctx, table, webhookDataKeys(shared.webhookKeys))
        : checkBronzeSilver(ctx, table, shared),
  }));
}
