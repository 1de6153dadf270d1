import { SILVER_CONTRACTS } from '../contracts/silver.js';
import { ID_ONLY, PARENT_REF_TYPE, readBronzeRelation } from '../duckdb/bronze-read.js';
import { inDayRange, parentDayChunks } from '../duckdb/parent-days.js';
import {
  bronzeEntityOf,
  listBronzeObjects,
  parentKeyColumn,
  readModelSql,
  renderSilverFragment,
} from '../duckdb/silver-sql.js';
import { sqlIdent, sqlStringList } from '../duckdb/sql-template.js';
import type { TableName } from '../entities/entity.js';
import { dtOfKey, layout } from '../storage/layout.js';
import type { ObjectInfo } from '../storage/object-store.js';
import { loadSidecarIds } from './bronze-id-sidecar.js';
import { capped, MAX_EXAMPLES, num } from './examples.js';
import { diffKeys, keysAgree } from './key-diff.js';
import { dtOfFileSql } from './key-index.js';
import {
  keyExpr,
  keyProfile,
  keysView,
  noteListed,
  type QualityContext,
  silverPartitions,
} from './quality-context.js';
import { changedDts } from './scope.js';
import type { CheckResult } from './types.js';

/**
 * `reconcile.bronze_silver.<child table>` (SPEC 9, for child tables): the children listed by the
 * latest version of each parent in Bronze (embedded lists, fetched pages, webhook-delivered
 * versions) equal the Silver rows that are not deleted, exactly; for `subscription_items`, every
 * item any version listed has a row, and `is_deleted` says whether the latest version dropped it.
 *
 * Scope `changed`, for a child dated by its parent (invoice lines, a payout's transactions): the
 * parents' days whose Silver, parent Bronze or fetched pages were written since the last passing
 * run (the transform rebuilds a child by those days, so nothing else can have changed); webhook
 * deliveries are read whole. Otherwise (scope `all`, or `subscription_items`, whose items of one
 * parent sit in any partition) the parent's whole Bronze.
 */
export async function checkChildBronzeSilver(
  ctx: QualityContext,
  table: TableName,
  webhookKeys: readonly string[],
): Promise<CheckResult> {
  const name = `reconcile.bronze_silver.${table}`;
  const contract = SILVER_CONTRACTS[table];
  const ownObjs = await listBronzeObjects(ctx.store, bronzeEntityOf(table));
  const pageObjs = await listBronzeObjects(ctx.store, table);
  noteListed(ctx, [...ownObjs, ...pageObjs]);
  const datedByParent = contract.bronze.parent?.datedByParent === true;
  // the parents' created days in scope (undefined: all): a child dated by its parent, its changed
  // partitions are such days; one dated by itself, the days of its changed rows' parents
  const changed =
    ctx.since === undefined
      ? undefined
      : datedByParent
        ? [
            ...changedDts(
              [...(ctx.silver.get(table) ?? []), ...ownObjs, ...pageObjs],
              ctx.since,
              dtOfKey,
              ctx.verified,
            ),
          ].sort()
        : await parentDaysOfChanges(ctx, table, [...ownObjs, ...pageObjs]);
  // changed days that hold every partition (a daily run's updates reach parents of every day):
  // the whole check, which reads the same Bronze without filtering each row by 383 days
  const days =
    changed && !coversAll(changed, [...(ctx.silver.get(table) ?? []), ...ownObjs, ...pageObjs])
      ? changed
      : undefined;
  const dts = datedByParent ? days : undefined;
  const inScope = <T extends { key: string }>(objs: readonly T[]) =>
    objs.filter((o) => !days || days.includes(dtOfKey(o.key) ?? ''));
  const ownIn = inScope(ownObjs);
  const pagesIn = inScope(pageObjs);
  const parentDay = 'to_timestamp(parent.created)::DATE::VARCHAR';
  const inDts = days ? `${parentDay} in (select unnest(${sqlStringList(days)}))` : 'true';
  // The pages' children and parents from the extractor's sidecars where they vouch for a page
  // (of the size it wrote): the pages' JSON (780 MB of payout transactions at 1m) is not parsed.
  const fetched = `q_child_fetched_${table}`;
  const { vouched, fetchedPages } = await loadFetchedFromSidecars(ctx, table, pagesIn, fetched);
  const pagesToRead = pagesIn.filter((o) => !vouched.has(o.key));
  const whole = [{ keys: [...ownIn, ...pagesToRead].map((o) => o.key), where: inDts, fetched: 'true' }];
  // Read as JSON text, a large parent is read a run of its days at a time, as the transform builds
  // it (in any scope: a changed scope after a first load holds every day). Per run of days: the
  // Bronze to parse, the rows to keep, the sidecars' pages of those days.
  const jsonParts = async () => {
    const chunks =
      contract.bronze.parent?.datedByParent === true
        ? await parentDayChunks(
            { session: ctx.db, stager: ctx.stager },
            ownIn,
            pagesToRead,
            ctx.dayChunkBytes,
          )
        : undefined;
    return (
      chunks?.map((c) => ({
        keys: c.keys,
        where: `${inDayRange(parentDay, c)} and ${inDts}`,
        fetched: inDayRange('dt', c),
      })) ?? whole
    );
  };
  // An embedded list (invoice lines) is first read typed by the reader: its children's ids only,
  // a few bytes a parent, so every day in one query. A list it cannot type (a malformed one, which
  // the transform reads as NULLs): read as JSON text instead, as the transform reads it.
  let typedList = contract.bronze.parent?.list !== undefined;
  const versionsSql = await readModelSql('silver', '_parent_versions');
  const pageSet = new Set(pageObjs.map((o) => o.key));
  const local = (keys: readonly string[]) => keys.map((k) => ctx.stager.localPath(k));
  // a composite key (payout, transaction) reads as its parts joined with '/'
  const composite = contract.primaryKey.length > 1;
  const bronzeKey = composite ? `parent.id || '/' || obj.id` : 'obj.id';
  const silverKey = keyExpr(contract.primaryKey);
  // items keep the children of older versions (deleted); other tables only the latest version's
  const keepsRemoved = contract.bronze.parent?.keepsRemoved === true;
  const expected = `q_child_expected_${table}`;
  const scoped = `q_child_rows_${table}`;
  const narrowMeta = `STRUCT(parent ${PARENT_REF_TYPE})`;
  // `sources`: each expected child with the Bronze object that lists it, for the examples of a
  // child Silver lacks. Aggregating those keys was a third of the check (0.5 s of the payout
  // transactions' at 1m), so the first pass goes without them and the second runs only when
  // the sides differ.
  const buildExpected = async (sources: boolean) => {
    if (typedList) {
      try {
        return await buildParts(sources, whole, true);
      } catch (err) {
        ctx.logger.debug(
          { check: name, error: err instanceof Error ? err.message : String(err) },
          'embedded lists not typed: read as JSON',
        );
        typedList = false;
      }
    }
    await buildParts(sources, await jsonParts(), false);
  };
  const buildParts = async (
    sources: boolean,
    parts: readonly { keys: readonly string[]; where: string; fetched: string }[],
    typed: boolean,
  ) => {
    for (const [n, part] of parts.entries()) {
      await ctx.stager.stage([...part.keys, ...webhookKeys]);
      // the sidecars' children shaped as their pages read (a page's path only for the pass that
      // names the pages), each with its page's dt for the run of days
      const childPages = `(select data, meta, filename from ${readBronzeRelation(
        local(part.keys.filter((k) => pageSet.has(k))),
        ID_ONLY,
        narrowMeta,
      )}
       union all
       select {'id': f.id} as data, {'parent': f.parent} as meta,
              ${sources ? 'p.path' : 'NULL::VARCHAR'} as filename
       from ${fetched} f join ${fetchedPages} p using (page)
       where ${part.fetched})`;
      // only the children's ids are compared: the JSON reader need not type the rest
      const fragment = renderSilverFragment(
        table,
        versionsSql,
        { own: local(part.keys.filter((k) => !pageSet.has(k))), webhooks: local(webhookKeys) },
        { childPayload: { id: 'VARCHAR' }, childPages, childRank: false, typedList: typed, pageKey: sources },
      );
      await ctx.db.conn.run(
        `${n === 0 ? `create or replace temp table ${expected} as` : `insert into ${expected}`}
       select ${bronzeKey} as k, bool_or(_rank = 1 and not _is_tombstone) as live,
              ${sources ? 'min(_bronze_key)' : 'NULL::VARCHAR'} as bronze_key
       from (${fragment})
       where ${keepsRemoved ? 'true' : '_rank = 1'} and ${part.where}
       group by all`,
      );
    }
    // a child listed by parents of two runs is one expected child, as in one query
    if (parts.length > 1)
      await ctx.db.conn.run(
        `create or replace temp table ${expected} as
       select k, bool_or(live) as live, min(bronze_key) as bronze_key from ${expected} group by k`,
      );
  };
  await buildExpected(false);
  try {
    // dated by itself: the rows of the parents created on those days, wherever they sit (the
    // parents read from those days' partitions only: a filter on dt over the view opens them all)
    const ofParents =
      days && !datedByParent
        ? ` where ${sqlIdent(parentKeyColumn(table))} in (select id from ${await silverPartitions(
            ctx,
            bronzeEntityOf(table) as TableName,
            days,
          )})`
        : '';
    const checked = await silverPartitions(ctx, table, dts);
    // the parents' rows wherever they sit: through the key index (INDEX_COLUMNS keeps the parent
    // key and is_deleted), a few files instead of every partition of the table
    let rows =
      ofParents !== ''
        ? `(select ${silverKey} as k, is_deleted, ${dtOfFileSql}::DATE as dt from ${keysView(`silver.${table}`)}${ofParents})`
        : `(select ${silverKey} as k, is_deleted, dt from ${checked})`;
    if (ofParents !== '') {
      // the few rows of those parents, gathered once: the comparisons below read them up to five
      // times, and each read opened every partition of the table (0.5 s of a 100k daily run)
      await ctx.db.conn.run(`create or replace temp table ${scoped} as select * from ${rows}`);
      rows = scoped;
    }
    const wrongWhere = `from ${rows} s join ${expected} e on e.k = s.k where s.is_deleted is distinct from not e.live`;
    const agreeing = await keysAgree(ctx.db, {
      expected,
      rows,
      ...(ofParents === '' ? { rowsProfile: () => keyProfile(ctx, checked, contract.primaryKey) } : {}),
    });
    // The same keys, one row each: is_deleted is right when the deleted rows are the children not
    // in their latest parent (same count and key fingerprint) and none is NULL. The join that
    // counts and names the wrong ones (0.3 s of the payout transactions' check at 1m) runs only
    // when not.
    const wrong =
      agreeing && (await deletedAgree(ctx, rows, expected))
        ? 0
        : num((await ctx.db.rows<{ n: string }>(`select count(*) as n ${wrongWhere}`))[0]?.n);
    if (agreeing === undefined) await buildExpected(true);
    const diff = agreeing ?? (await diffKeys(ctx.db, { expected, rows, keyName: 'key' }));
    return {
      name,
      severity: 'error',
      passed: diff.missing.count + diff.extra.count + diff.duplicated.count + wrong === 0,
      details: {
        parent: contract.bronze.parent?.entity ?? null,
        scope: days ? 'changed' : 'all',
        ...(datedByParent ? { partitions_checked: dts ?? 'all' } : { parent_days_checked: days ?? 'all' }),
        // fetched pages whose children came from the extractor's sidecars, and those parsed
        pages_from_sidecars: vouched.size,
        pages_read: pagesIn.length - vouched.size,
        // the parents' embedded lists: typed by the reader, or (one it could not type) as JSON
        ...(contract.bronze.parent?.list ? { embedded_lists: typedList ? 'typed' : 'json' } : {}),
        rule: keepsRemoved
          ? 'every child of any parent version has a row; is_deleted = not in the latest version'
          : 'children of the latest parent version = rows',
        expected_children: diff.expected,
        silver_rows: diff.rows,
        missing_from_silver: diff.missing,
        not_in_latest_parent: diff.extra,
        duplicated_in_silver: diff.duplicated,
        wrong_is_deleted: capped(
          wrong === 0
            ? []
            : await ctx.db.rows(
                `select s.k as key, s.is_deleted, e.live as in_latest_parent ${wrongWhere} order by s.k limit ${MAX_EXAMPLES}`,
              ),
          MAX_EXAMPLES,
          wrong,
        ),
      },
    };
  } finally {
    await ctx.db.conn.run(`drop table if exists ${expected}`);
    await ctx.db.conn.run(`drop table if exists ${fetched}`);
    await ctx.db.conn.run(`drop table if exists ${scoped}`);
  }
}

/**
 * For a child dated by itself (subscription items), scope `changed`: the created days of the
 * parents whose Bronze (versions, fetched pages) changed, and of the parents of the rows in the
 * child's changed partitions (the transform rebuilds a changed parent's children wherever they
 * sit). Undefined (check everything) when such a row's parent is not in Silver.
 */
async function parentDaysOfChanges(
  ctx: QualityContext,
  table: TableName,
  parentObjs: readonly ObjectInfo[],
): Promise<string[] | undefined> {
  const days = changedDts(parentObjs, ctx.since, dtOfKey, ctx.verified);
  const childDts = [...changedDts(ctx.silver.get(table) ?? [], ctx.since, dtOfKey, ctx.verified)];
  if (childDts.length > 0) {
    // each parent's partition from the parents' keys (the id -> partition index), not by opening
    // every partition of the parents
    const rows = await ctx.db.rows<{ dt: string | null }>(
      `select distinct ${dtOfFileSql.replaceAll('_file', 'p._file')} as dt
       from ${await silverPartitions(ctx, table, childDts)} c
       left join ${keysView(`silver.${bronzeEntityOf(table)}`)} p
         on p.id = c.${sqlIdent(parentKeyColumn(table))}`,
    );
    for (const r of rows) {
      if (r.dt === null) return undefined;
      days.add(r.dt);
    }
  }
  return [...days].sort();
}

/**
 * Whether the rows marked deleted are the expected children not live, by count and key
 * fingerprint, and no row's `is_deleted` is NULL. Only meaningful when the keys agree.
 */
async function deletedAgree(ctx: QualityContext, rows: string, expected: string): Promise<boolean> {
  // a scalar subquery per figure, each filtered in its WHERE: the keys need building for the
  // deleted rows only
  const [d] = await ctx.db.rows<Record<'nulls' | 's_n' | 's_fp' | 'e_n' | 'e_fp', string | null>>(
    `select (select count(*) from ${rows} where is_deleted is null) as nulls,
            (select count(*) from ${rows} where is_deleted) as s_n,
            (select sum(hash(k)::HUGEINT) from ${rows} where is_deleted) as s_fp,
            (select count(*) from ${expected} where not live) as e_n,
            (select sum(hash(k)::HUGEINT) from ${expected} where not live) as e_fp`,
  );
  return num(d?.nulls) === 0 && num(d?.s_n) === num(d?.e_n) && String(d?.s_fp) === String(d?.e_fp);
}

/** Whether `days` holds the partition of every object that has one. */
export function coversAll(days: readonly string[], objs: readonly { key: string }[]): boolean {
  const set = new Set(days);
  return objs.every((o) => {
    const dt = dtOfKey(o.key);
    return dt === undefined || set.has(dt);
  });
}

/** The webhook delivery keys (data files) a child check reads parent versions from. */
export const webhookDataKeys = (keys: readonly { key: string }[]): string[] =>
  keys
    .map((o) => o.key)
    .filter((k) => dtOfKey(k) !== undefined && k.startsWith(layout.bronzeEntityPrefix('webhook_events')));

/**
 * A temp table `into` (id, parent, page) of the children of the fetched pages whose sidecars vouch
 * for them (`loadSidecarIds`): the child's id, `meta.parent` as the page names it, and the page's
 * index in `fetchedPages`, a relation (page, path, dt) of the pages' local paths and days (a path
 * per child was 150 MB of a 384 MB limit at 1m). Returns the pages' keys too.
 */
async function loadFetchedFromSidecars(
  ctx: QualityContext,
  table: TableName,
  pages: readonly ObjectInfo[],
  into: string,
): Promise<{ vouched: Set<string>; fetchedPages: string }> {
  await ctx.db.conn.run(
    `create or replace temp table ${into} (id VARCHAR, parent ${PARENT_REF_TYPE}, page INTEGER)`,
  );
  const keys = pages.map((o) => o.key);
  const sizes = new Map(pages.map((o) => [o.key, o.size] as const));
  const vouched = await loadSidecarIds(ctx, table, keys, sizes, into, { parents: true });
  // paths such that bronze_key(path) is the page's key, as when the page is read
  const fetchedPages = `(select unnest(range(${keys.length}))::INTEGER as page,
      unnest(${sqlStringList(keys.map((k) => ctx.stager.localPath(k)))}) as path,
      unnest(${sqlStringList(keys.map((k) => dtOfKey(k) ?? ''))}) as dt)`;
  return { vouched, fetchedPages };
}
