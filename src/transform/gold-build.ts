import { join } from 'node:path';
import type { ColumnDef } from '../contracts/contract.js';
import {
  GOLD_CONTRACTS,
  GOLD_SILVER_INPUTS,
  type GoldContract,
  type GoldModelName,
  type GoldSilverInput,
  uncontractedGoldInputs,
} from '../contracts/gold.js';
import { SILVER_CONTRACTS, SILVER_TABLES } from '../contracts/silver.js';
import { silverView } from '../duckdb/foreign-keys.js';
import { ensuringViews, lazyViews } from '../duckdb/lazy-views.js';
import { copyPartitioned, sortsInQuery } from '../duckdb/partitioned-copy.js';
import type { DuckSession } from '../duckdb/session.js';
import { readModelSql } from '../duckdb/silver-sql.js';
import { parquetColumns, renderSql, sqlIdent, sqlString, sqlStringList } from '../duckdb/sql-template.js';
import { createStager, type Stager } from '../duckdb/stager.js';
import type { TableName } from '../entities/entity.js';
import { changedPartitions, type GoldState, loadGoldState, saveGoldState } from '../state/gold-state.js';
import { indexColumns, type KeyIndexRecord, loadKeyIndex } from '../state/key-index.js';
import { dtOfKey, layout, utcDate } from '../storage/layout.js';
import type { ObjectInfo, ObjectStore } from '../storage/object-store.js';
import { StagedStore } from '../storage/staged-store.js';
import {
  affectedDts,
  clearPendingChanges,
  depsSql,
  GOLD_DEPS,
  type GoldDeps,
  loadPendingChanges,
  type SilverChanges,
  TOUCHED_KEYS,
} from './gold-deps.js';
import { createKeyIndexView } from './key-index-views.js';
import type { BuildContext } from './silver-context.js';

/**
 * A Silver build's context plus the run's end time. Its stager is one of its own: Silver keys were
 * rewritten during this run.
 */
export interface GoldContext extends BuildContext {
  /** The run's end time, Unix seconds: the snapshot models' dt and `{{as_of_date}}`. */
  readonly until: number;
  /** Per model, dts written even when their rows did not change (damaged, or asked for). */
  readonly rebuild?: Readonly<Partial<Record<string, readonly string[]>>>;
  /**
   * Silver as `openSilverViews` listed it; `session` is then the one it returned (its views made on
   * first use).
   */
  readonly listed?: ReadonlyMap<string, readonly ObjectInfo[]>;
}

/** A generous guess of a Gold row's size in memory (typed columns, a few short strings). */
const GOLD_ROW_BYTES = 512;

/**
 * Lists Silver, and hands back `session` with a view `silver_<table>` over every partition of a
 * table (typed empty when none), made, its files staged, by the first statement that names it:
 * also over each Silver table a Gold model reads that this build has no contract for yet, by the
 * columns Gold reads of it (`GOLD_SILVER_INPUTS`). A daily run reads most tables through the key
 * index and the partitions that changed: on S3, making every view up front downloaded all of
 * Silver (1,354 of a 50-day world's 2,591 requests in a daily run).
 */
export async function openSilverViews(
  session: DuckSession,
  store: ObjectStore,
  stager: Stager,
  tables: readonly TableName[] = SILVER_TABLES,
): Promise<{ listed: Map<string, ObjectInfo[]>; session: DuckSession }> {
  const listed = new Map<string, ObjectInfo[]>();
  const columns = new Map<string, readonly ColumnDef[]>([
    ...tables.map((t): [string, readonly ColumnDef[]] => [t, SILVER_CONTRACTS[t].columns]),
    ...uncontractedGoldInputs().map((t): [string, readonly ColumnDef[]] => [t, GOLD_SILVER_INPUTS[t]]),
  ]);
  for (const table of columns.keys()) {
    const objects = (await store.list(layout.silverEntityPrefix(table))).filter((o) =>
      o.key.endsWith('/data.parquet'),
    );
    listed.set(table, objects);
  }
  const views = lazyViews();
  for (const [table, cols] of columns)
    views.define(silverView(table), async () => {
      const keys = (listed.get(table) ?? []).map((o) => o.key);
      await stager.stage(keys);
      await session.conn.run(
        `create or replace view ${silverView(table)} as ${parquetColumns(
          keys.map((k) => stager.localPath(k)),
          cols,
        )}`,
      );
    });
  return { listed, session: ensuringViews(session, views.ensure) };
}

/**
 * Renders a Gold model with the run's as-of time (`until`, unix seconds): `{{as_of_date}}` is its UTC
 * date, `{{as_of_ts}}` the instant itself (a month's MRR is measured there), and
 * `{{as_of_month_number}}` its UTC month as year * 12 + month - 1 (literals, so DuckDB folds them
 * instead of joining a one-row CTE to every row). `{{dated_<table>}}` is the Silver view of the
 * table, or `dated[table]` (its partitions of the dts computed: read only those files).
 * `{{scope_dts}}` is the list of the dts computed (VARCHAR[]), or NULL when the model is computed
 * whole: a model whose dt no Silver table shares filters its own inputs by it.
 * `{{touched_customers}}`: the customers `dim_customers` computes (see `TOUCHED_KEYS`).
 */
export function renderGoldModel(
  template: string,
  until: number,
  dated: Readonly<Record<string, string>> = {},
  scope?: readonly string[],
  /** A relation of the customer_id to compute (`{{touched_customers}}`); default every customer. */
  touchedCustomers = '(select id as customer_id from silver_customers)',
): string {
  const vars: Record<string, string> = {};
  const at = new Date(until * 1000);
  if (template.includes('{{as_of_date}}')) vars.as_of_date = `DATE ${sqlString(utcDate(until))}`;
  if (template.includes('{{as_of_ts}}')) vars.as_of_ts = `to_timestamp(${Math.floor(until)})`;
  if (template.includes('{{as_of_month_number}}')) {
    vars.as_of_month_number = String(at.getUTCFullYear() * 12 + at.getUTCMonth());
  }
  if (template.includes('{{touched_customers}}')) vars.touched_customers = touchedCustomers;
  if (template.includes('{{scope_dts}}'))
    vars.scope_dts = scope ? `${sqlStringList(scope)}::VARCHAR[]` : 'NULL::VARCHAR[]';
  for (const m of template.matchAll(/\{\{dated_([a-z_]+)\}\}/g)) {
    const table = m[1]!;
    vars[`dated_${table}`] = dated[table] ?? silverView(table);
  }
  return renderSql(template, vars);
}

/** What `buildGold` reports per model. */
export interface GoldModelResult {
  partitions: number;
  rows: number;
  seconds: number;
  keys: string[];
}

/**
 * Computes the Gold models in one session (each materialised as a temp table named after the
 * model, so later models may read earlier ones) and writes only the partitions whose fingerprint
 * (row count + XOR of row hashes) changed since the state recorded them. A model with declared
 * dependencies (`GOLD_DEPS`) is computed only for the dts that the Silver partitions written since
 * the last complete build (`goldPendingKey`) affect. A full refresh, or no record, computes every
 * model whole. Once per session: a model read by a later one may be left a view.
 */
export async function buildGold(given: GoldContext): Promise<Record<GoldModelName, GoldModelResult>> {
  const { listed, session } = given.listed
    ? { listed: given.listed, session: given.session }
    : await openSilverViews(given.session, given.store, given.stager);
  const ctx = { ...given, session };
  const changes = ctx.fullRefresh ? undefined : await loadPendingChanges(ctx.store);
  if (changes) await createChangeViews(ctx.session, listed, changes, ctx.stager);
  const keyViews = keyViewsFor(ctx, listed, changes ? await loadKeyIndex(ctx.store) : undefined);
  const templates = await Promise.all(GOLD_CONTRACTS.map((c) => readModelSql('gold', c.name)));
  // the dependency queries of the models that have one (read after the models before them)
  const depQueries = await Promise.all(
    // (a model whose dependencies are all by date has no query: none to read)
    GOLD_CONTRACTS.map((c) =>
      GOLD_DEPS[c.name] || TOUCHED_KEYS[c.name] ? depsSql(c.name).catch(() => '') : '',
    ),
  );
  const out = {} as Record<GoldModelName, GoldModelResult>;
  for (const [i, contract] of GOLD_CONTRACTS.entries()) {
    const { readLater, readWhole } = laterReads(contract.name, [
      ...templates.slice(i + 1),
      ...depQueries.slice(i + 1),
    ]);
    out[contract.name] = await buildModel(ctx, contract, templates[i]!, {
      changes,
      listed,
      readLater,
      readWhole,
      keyViews,
    });
  }
  // Only now, every model written: what Silver changed is in Gold.
  await clearPendingChanges(ctx.store);
  return out;
}

/**
 * How the later models' queries (model SQL and dependency queries) read `model`: at all
 * (`readLater`: by name, its rows computed `fresh_<model>` or its keys `keys_gold_<model>`), and
 * whole by name (`readWhole`). What their comments name does not count.
 */
export function laterReads(
  model: string,
  queries: readonly string[],
): { readLater: boolean; readWhole: boolean } {
  const code = queries.map((q) => q.replace(/--[^\n]*/g, ''));
  const named = (prefix: string) => code.some((q) => new RegExp(`\\b${prefix}${model}\\b`).test(q));
  return { readLater: named('(keys_gold_|fresh_)?'), readWhole: named('') };
}

/**
 * The whole-table reads of Gold's SQL that go through the key index (`createKeyIndexView`):
 * `ensure(sql)` creates the views `keys_silver_<table>` a model or dependency query names (once a
 * session), and `prev(contract, objects)` the view `prev_<model>` of a model's current partitions
 * (key, index columns and dt) for its dependency query. Without an index (a full run, a full
 * refresh) every partition comes from its file.
 */
interface KeyViews {
  ensure(sql: string): Promise<void>;
  prev(contract: GoldContract, objects: readonly ObjectInfo[]): Promise<void>;
  /**
   * A model built this session that a later one reads: `fresh`, the relation of the rows it
   * computed; `kept`, the partitions it left as they are. `keys_gold_<model>` is then its key and
   * index columns: the fresh rows', and the kept partitions' through the key index.
   */
  built(contract: GoldContract, fresh: string, kept: readonly ObjectInfo[]): void;
}

function keyViewsFor(
  ctx: GoldContext,
  listed: ReadonlyMap<string, readonly ObjectInfo[]>,
  index: KeyIndexRecord | undefined,
): KeyViews {
  const made = new Set<string>();
  const built = new Map<string, { contract: GoldContract; fresh: string; kept: readonly ObjectInfo[] }>();
  const note = (view: string, n: number) =>
    ctx.logger.debug({ step: 'transform', view, partitions_from_key_index: n }, 'key index view opened');
  return {
    built(contract, fresh, kept) {
      built.set(contract.name, { contract, fresh, kept });
    },
    async ensure(sql) {
      for (const [, model] of sql.matchAll(/\bkeys_gold_([a-z_]+)\b/g)) {
        const view = `keys_gold_${model}`;
        if (made.has(view)) continue;
        const b = built.get(model!);
        if (!b) throw new Error(`${view}: Gold ${model} is not built before the model reading it`);
        const cols = [...indexColumns(`gold.${model}`, b.contract), 'dt'].map(sqlIdent).join(', ');
        note(
          view,
          await createKeyIndexView(ctx.session, ctx.stager, index, `${view}_kept`, {
            name: `gold.${model}`,
            contract: b.contract,
            objects: b.kept,
          }),
        );
        await ctx.session.conn.run(
          `create or replace temp view ${view} as
             select ${cols} from ${b.fresh} union all by name select * from ${view}_kept`,
        );
        made.add(view);
      }
      for (const [, table] of sql.matchAll(/\bkeys_silver_([a-z_]+)\b/g)) {
        if (made.has(table!)) continue;
        const contract = SILVER_CONTRACTS[table as TableName];
        if (!contract) throw new Error(`keys_silver_${table}: no Silver table ${table}`);
        const objects = listed.get(table!) ?? [];
        const view = `keys_silver_${table}`;
        note(
          view,
          await createKeyIndexView(ctx.session, ctx.stager, index, view, {
            name: `silver.${table}`,
            contract,
            objects,
          }),
        );
        made.add(table!);
      }
    },
    async prev(contract, objects) {
      const name = `gold.${contract.name}`;
      const view = `prev_${contract.name}`;
      note(
        view,
        await createKeyIndexView(ctx.session, ctx.stager, index, view, {
          name,
          contract,
          objects,
        }),
      );
    },
  };
}

/** Views `chg_<table>`: the rows of the Silver partitions rewritten since the last Gold build. */
async function createChangeViews(
  session: DuckSession,
  listed: ReadonlyMap<string, readonly ObjectInfo[]>,
  changes: SilverChanges,
  stager: Stager,
): Promise<void> {
  const tables = new Set(Object.values(GOLD_DEPS).flatMap((d) => d.byKey));
  for (const table of tables) {
    const rows = await silverPartitionRows(listed, stager, table, changes.changed[table] ?? []);
    await session.conn.run(`create or replace view chg_${table} as ${rows}`);
  }
}

/**
 * The rows of a Silver table's partitions of `dts`, read from their files only (listed, staged):
 * a dt filter on the table's view would open every partition's file (dt is a column of the
 * file, not a folder DuckDB prunes), about 370 of them per table.
 */
export async function silverPartitionRows(
  listed: ReadonlyMap<string, readonly ObjectInfo[]>,
  stager: Stager,
  table: string,
  dts: Iterable<string>,
): Promise<string> {
  const wanted = new Set(dts);
  const keys = (listed.get(table) ?? []).map((o) => o.key).filter((k) => wanted.has(dtOfKey(k) ?? ''));
  await stager.stage(keys);
  return parquetColumns(
    keys.map((k) => stager.localPath(k)),
    silverColumns(table),
  );
}

function silverColumns(table: string): readonly ColumnDef[] {
  return SILVER_CONTRACTS[table as TableName]?.columns ?? GOLD_SILVER_INPUTS[table as GoldSilverInput] ?? [];
}

/**
 * Per Silver table a model reads by the same dt (`sameDt`), a view `dated_<table>` over only its
 * partitions of `dts`: DuckDB would otherwise open every partition of the table to filter them.
 */
async function datedViews(
  ctx: GoldContext,
  model: GoldModelName,
  listed: ReadonlyMap<string, readonly ObjectInfo[]>,
  dts: readonly string[],
): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const table of GOLD_DEPS[model]?.sameDt ?? []) {
    const rows = await silverPartitionRows(listed, ctx.stager, table, dts);
    await ctx.session.conn.run(`create or replace temp view dated_${table} as ${rows}`);
    out[table] = `dated_${table}`;
  }
  return out;
}

/** A view `<name>` over the model's current Gold partitions of `dts`. */
async function goldView(ctx: GoldContext, contract: GoldContract, name: string, dts: readonly string[]) {
  const keys = dts.map((dt) => layout.goldPartition(contract.name, dt));
  await ctx.stager.stage(keys);
  await ctx.session.conn.run(
    `create or replace temp view ${name} as ${parquetColumns(
      keys.map((k) => ctx.stager.localPath(k)),
      contract.columns,
    )}`,
  );
}

/**
 * The dts of a model to compute, or undefined for all of them: those its Silver changes affect,
 * those asked for, and those its state has that lack their file.
 */
async function modelScope(
  ctx: GoldContext,
  contract: GoldContract,
  inputs: {
    changes: SilverChanges | undefined;
    previous: GoldState | undefined;
    /** The model's partitions as they are (listed). */
    goldObjects: readonly ObjectInfo[];
    keyViews: KeyViews;
  },
): Promise<string[] | undefined> {
  const { changes, previous, goldObjects, keyViews } = inputs;
  const existing = new Set(goldObjects.map((o) => dtOfKey(o.key)!));
  const deps = GOLD_DEPS[contract.name];
  if (!changes || !previous || !deps) return undefined;
  const forced = ctx.rebuild?.[contract.name] ?? [];
  const queried = deps.byKey.some((t) => (changes.changed[t] ?? []).length > 0);
  let affected: string[] | undefined;
  // the temp tables narrowChanges made, dropped even when it or the query fails part way
  const narrowed: string[] = [];
  try {
    // only a model with a changed byKey table has a query to run (the others have no deps file)
    const sql = queried ? await depsSql(contract.name) : '';
    if (queried) await keyViews.ensure(sql);
    if (queried && sql.includes(`prev_${contract.name}`)) {
      // not the partitions to rebuild: they may be damaged (they are computed anyway)
      await keyViews.prev(
        contract,
        goldObjects.filter((o) => !forced.includes(dtOfKey(o.key)!)),
      );
    }
    if (queried) await narrowChanges(ctx, deps, changes, narrowed);
    affected = await affectedDts(ctx.session, contract.name, deps, changes);
  } catch (err) {
    // a Gold partition that cannot be read (damaged behind the pipeline): computed whole, as before
    ctx.logger.warn(
      { model: `gold.${contract.name}`, err },
      'dependencies not found: computing the model whole',
    );
    return undefined;
  } finally {
    // the next model reads the views of whole changed partitions again
    // (temp.: the temp table only, never the view of the same name, which may be all there is)
    for (const table of narrowed) await ctx.session.conn.run(`drop table if exists temp.chg_${table}`);
  }
  if (!affected) return undefined;
  const missing = Object.keys(previous.partitions).filter((dt) => !existing.has(dt));
  return [...new Set([...affected, ...forced, ...missing])].sort();
}

/**
 * For a snapshot model declared in `TOUCHED_KEYS` (dim_customers): the keys a change touched, as a
 * temp table, and a view of the previous snapshot to take the others' rows from. Undefined (the
 * model is computed whole) on a full refresh, without a readable previous snapshot of the same
 * as-of month, when a partition it reads was removed or is to be rebuilt, when a Gold model it reads
 * was computed whole, or outside a staged run (nothing published to compare Silver with).
 */
async function touchedScope(
  ctx: GoldContext,
  contract: GoldContract,
  changes: SilverChanges | undefined,
  previous: GoldState | undefined,
  existing: ReadonlySet<string>,
  keyViews: KeyViews,
): Promise<{ relation: string; key: string; previous: string; count: number } | undefined> {
  const decl = TOUCHED_KEYS[contract.name];
  const model = contract.name;
  if (!decl || !changes || !previous || !(ctx.store instanceof StagedStore)) return undefined;
  const asOf = utcDate(ctx.until);
  const prevDt = Object.keys(previous.partitions).sort().at(-1);
  if (!prevDt || !existing.has(prevDt) || prevDt > asOf || prevDt.slice(0, 7) !== asOf.slice(0, 7))
    return undefined;
  if ((ctx.rebuild?.[model] ?? []).length > 0) return undefined;
  const tables = Object.keys(decl.silver);
  if (tables.some((t) => (changes.removed[t] ?? []).length > 0)) return undefined;
  for (const g of decl.gold) {
    const [t] = await ctx.session.rows<{ n: number }>(
      `select count(*)::INTEGER as n from duckdb_tables() where temporary and table_name = ${sqlString(`fresh_${g}`)}`,
    );
    if (!t?.n) return undefined;
  }
  try {
    for (const table of tables) {
      const read = decl.silver[table] ?? [];
      if (!(await changedRowsTable(ctx, ctx.store, table, changes.changed[table] ?? [], read)))
        return undefined;
    }
    const relation = `touched_${model}`;
    const sql = await depsSql(model);
    await keyViews.ensure(sql);
    await ctx.session.conn.run(`create or replace temp table ${relation} as ${sql}`);
    await goldView(ctx, contract, `prev_${model}`, [prevDt]);
    const [c] = await ctx.session.rows<{ n: number }>(`select count(*)::INTEGER as n from ${relation}`);
    return { relation, key: decl.key, previous: `prev_${model}`, count: c?.n ?? 0 };
  } catch (err) {
    // a published partition that cannot be read: computed whole
    ctx.logger.warn({ model: `gold.${model}`, err }, 'touched keys not found: computing the model whole');
    return undefined;
  } finally {
    for (const table of tables) await ctx.session.conn.run(`drop table if exists chgrows_${table}`);
  }
}

/**
 * For a model whose `reads` names the columns it reads of a byKey table: a temp table
 * `chg_<table>` (shadowing the view of whole changed partitions) of only the rows whose key or
 * those columns differ from the published version, both sides, to drop after the model's
 * dependency query. None outside a staged run, or for a table one of whose changed
 * partitions this run did not write (nothing to compare with): those keep the whole partitions.
 * Adds each table it makes to `made`, before making it.
 */
async function narrowChanges(
  ctx: GoldContext,
  deps: GoldDeps,
  changes: SilverChanges,
  made: string[],
): Promise<void> {
  const view = ctx.store;
  if (!deps.reads || !(view instanceof StagedStore)) return;
  for (const [table, read] of Object.entries(deps.reads)) {
    const dts = changes.changed[table] ?? [];
    if (dts.length === 0) continue;
    // noted first: a statement that fails after creating the table still leaves it to drop
    made.push(table);
    if (!(await changedRowsTable(ctx, view, table, dts, read, { name: `chg_${table}`, compare: 'columns' })))
      made.pop();
  }
}

/**
 * A temp table `chgrows_<table>` (or `name`): the rows of a Silver table's partitions of `dts`
 * that differ between this run's staged version and the published one, both sides: new versions,
 * and those they replace or that went; with the key, the Bronze line and version they come from,
 * and the columns `read`. Compared by key, Bronze line and version, or (`compare: 'columns'`) by
 * key and `read` only, then with just those columns. False when a partition of `dts` was not
 * written in this run (nothing to compare it with).
 */
async function changedRowsTable(
  ctx: GoldContext,
  view: StagedStore,
  table: string,
  dts: readonly string[],
  read: readonly string[],
  opts: { name?: string; compare?: 'version' | 'columns' } = {},
): Promise<boolean> {
  const byColumns = opts.compare === 'columns';
  const keys = dts.map((dt) => layout.silverPartition(table, dt));
  if (keys.some((k) => view.physicalKey(k) === k)) return false;
  const published: string[] = [];
  for (const k of keys) if (await view.base.head(k)) published.push(k);
  const publishedStager = createStager(view.base, join(ctx.workDir, 'stage-published'));
  await ctx.stager.stage(keys);
  await publishedStager.stage(published);
  const key = SILVER_CONTRACTS[table as TableName]?.primaryKey ?? ['id'];
  const wanted = new Set([...key, ...(byColumns ? [] : ['_bronze_key', '_version_ts']), ...read]);
  const cols = silverColumns(table).filter((c) => wanted.has(c.name));
  const staged = parquetColumns(
    keys.map((k) => ctx.stager.localPath(k)),
    cols,
  );
  const before = parquetColumns(
    published.map((k) => publishedStager.localPath(k)),
    cols,
  );
  const same = [
    ...key.map((k) => `a.${sqlIdent(k)} = b.${sqlIdent(k)}`),
    ...(byColumns ? read : ['_bronze_key', '_version_ts']).map(
      (c) => `a.${sqlIdent(c)} is not distinct from b.${sqlIdent(c)}`,
    ),
  ].join(' and ');
  await ctx.session.conn.run(
    `create or replace temp table ${opts.name ?? `chgrows_${table}`} as
     with s as (${staged}), p as (${before})
     select a.* from s a anti join p b on ${same}
     union all
     select a.* from p a anti join s b on ${same}`,
  );
  return true;
}

/** Builds one model (whole, or the dts of its scope) and writes its changed partitions. */
async function buildModel(
  ctx: GoldContext,
  contract: GoldContract,
  template: string,
  inputs: {
    changes: SilverChanges | undefined;
    listed: ReadonlyMap<string, readonly ObjectInfo[]>;
    /** Whether a later model reads this one (then it must hold every dt). */
    readLater: boolean;
    /**
     * Whether one reads it whole (the view of its rows computed and kept), not only its rows
     * computed (`fresh_<model>`) or its keys (`keys_gold_<model>`): the kept partitions are then
     * staged (on S3 downloaded) for it.
     */
    readWhole: boolean;
    keyViews: KeyViews;
  },
): Promise<GoldModelResult> {
  const { changes, listed, readLater, readWhole, keyViews } = inputs;
  const started = performance.now();
  const model = contract.name;
  const previous = ctx.fullRefresh ? undefined : await loadGoldState(ctx.store, model);
  const goldObjects = (await ctx.store.list(layout.goldModelPrefix(model))).filter((o) => dtOfKey(o.key));
  const existing = new Set(goldObjects.map((o) => dtOfKey(o.key)!));
  const scope = await modelScope(ctx, contract, { changes, previous, goldObjects, keyViews });
  const dated = scope ? await datedViews(ctx, contract.name, listed, scope) : {};
  const touched = await touchedScope(ctx, contract, changes, previous, existing, keyViews);
  // the whole-table reads of columns the key index keeps (`keys_silver_<table>`)
  await keyViews.ensure(template);
  const sql = renderGoldModel(template, ctx.until, dated, scope, touched?.relation);
  const filter = scope ? ` where dt::VARCHAR in (select unnest(${sqlStringList(scope)}))` : '';
  // touched keys only: the others' rows are the previous snapshot's, as of today
  const others = touched
    ? ` union all by name select * replace (DATE ${sqlString(utcDate(ctx.until))} as dt)
        from ${touched.previous} p anti join ${touched.relation} t on t.${touched.key} = p.${touched.key}`
    : '';
  await ctx.session.conn.run(
    `create or replace temp table ${model} as ${scope?.length === 0 ? `${sql} limit 0` : `select * from (${sql})${filter}${others}`}`,
  );
  if (touched) await ctx.session.conn.run(`drop table if exists ${touched.relation}`);
  const rows = await ctx.session.rows<{ dt: string; n: number; fp: string; max_ts: number | null }>(
    `select dt::VARCHAR as dt, count(*)::INTEGER as n, bit_xor(hash(t))::VARCHAR as fp,
            epoch(max(${contract.businessTsColumn})::TIMESTAMPTZ)::INTEGER as max_ts
     from ${model} as t group by dt order by dt`,
  );
  const fresh: GoldState['partitions'] = {};
  for (const r of rows) fresh[r.dt] = { rows: r.n, fingerprint: r.fp, maxBusinessTs: r.max_ts };
  const forced = (ctx.rebuild?.[model] ?? []).filter((dt) => fresh[dt]);
  const changed = [
    ...new Set([...changedPartitions(fresh, previous?.partitions, existing), ...forced]),
  ].sort();
  const keys = changed.length > 0 ? await writePartitions(ctx, contract, changed, rows) : [];
  // Computed dts: all of them, or the scope's (the others stay as they are).
  const computed = scope ? new Set(scope) : undefined;
  const kept: GoldState['partitions'] = {};
  for (const [dt, p] of Object.entries(previous?.partitions ?? {}))
    if (computed ? !computed.has(dt) : contract.snapshot) kept[dt] = p;
  const partitions: GoldState['partitions'] = { ...kept, ...fresh };
  // Fact models: a computed partition without rows any more is removed. Snapshots keep history.
  if (!contract.snapshot) {
    for (const dt of existing)
      if (!fresh[dt] && (!computed || computed.has(dt)))
        await ctx.store.delete(layout.goldPartition(model, dt));
  }
  await saveGoldState(ctx.store, {
    version: 1,
    model,
    runId: ctx.runId,
    updatedAt: new Date().toISOString(),
    partitions,
  });
  // A later model reads this one whole: the dts not computed come from its Gold, through a view
  // (the later model reads only the columns it needs of them).
  if (scope && readLater) {
    await ctx.session.conn.run(`alter table ${model} rename to fresh_${model}`);
    if (readWhole) {
      await goldView(ctx, contract, `kept_${model}`, Object.keys(kept));
      await ctx.session.conn.run(
        `create or replace temp view ${model} as
           select * from fresh_${model} union all by name select * from kept_${model}`,
      );
    }
    keyViews.built(
      contract,
      `fresh_${model}`,
      goldObjects.filter((o) => kept[dtOfKey(o.key)!] !== undefined),
    );
  } else if (readLater) keyViews.built(contract, model, []);
  // No later model reads it: its rows go now, not at the session's end (fct_payments' 1.1m rows
  // were held while fct_balance_transactions was built and written: the 1m transform's peak)
  if (!readLater) await ctx.session.conn.run(`drop table if exists ${model}`);
  const total = Object.values(scope ? partitions : fresh).reduce((a, p) => a + p.rows, 0);
  ctx.logger.info(
    {
      step: 'transform',
      model: `gold.${model}`,
      partitions: keys.length,
      rows: total,
      computed: scope?.length ?? 'all',
      ...(touched ? { touched: touched.count } : {}),
    },
    'gold built',
  );
  return { partitions: keys.length, rows: total, seconds: (performance.now() - started) / 1000, keys };
}

/** Writes the `changed` dts of the model's temp table; returns their keys. */
async function writePartitions(
  ctx: GoldContext,
  contract: GoldContract,
  changed: readonly string[],
  rows: readonly { dt: string; n: number }[],
): Promise<string[]> {
  const model = contract.name;
  const written = await copyPartitioned({
    session: ctx.session,
    store: ctx.store,
    query: `select * from ${model} where dt::VARCHAR in (select unnest(${sqlStringList(changed)}))`,
    // dt first: rows then reach the partitioned writer one partition after another, so each is one
    // file (by key alone, every partition was split among the writer's 16 open files and
    // rewritten: 376 small statements, 2-4 s, for fct_balance_transactions at 100k)
    orderBy: ['dt', ...contract.primaryKey].join(', '),
    outDir: join(ctx.workDir, 'out', 'partitions'),
    keyOf: (dt) => layout.goldPartition(model, dt),
    sortInQuery: sortsInQuery(
      rows.filter((r) => changed.includes(r.dt)).reduce((a, r) => a + r.n, 0) * GOLD_ROW_BYTES,
      ctx.session.memoryBytes,
    ),
  });
  return written.keys;
}
