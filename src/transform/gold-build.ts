import { join } from 'node:path';
import type { ColumnDef } from '../contracts/contract.js';
import {
  GOLD_CONTRACTS,
  GOLD_SILVER_INPUTS,
  type GoldModelName,
  type GoldSilverInput,
  goldContract,
} from '../contracts/gold.js';
import { SILVER_CONTRACTS, SILVER_TABLES } from '../contracts/silver.js';
import type { TableName } from '../entities/entity.js';
import type { Logger } from '../obs/logger.js';
import { dtOfKey, layout, utcDate } from '../storage/layout.js';
import type { ObjectStore } from '../storage/object-store.js';
import type { DuckSession } from './duckdb-session.js';
import { changedPartitions, type GoldState, loadGoldState, saveGoldState } from './gold-state.js';
import { copyPartitioned, sortsInQuery } from './partitioned-copy.js';
import { silverView } from './references.js';
import { readModelSql } from './silver-build.js';
import { renderSql, sqlString, sqlStringList } from './sql-template.js';
import type { Stager } from './stager.js';

export interface GoldContext {
  readonly session: DuckSession;
  readonly store: ObjectStore;
  /** A stager of its own: Silver keys were rewritten during this run. */
  readonly stager: Stager;
  readonly workDir: string;
  readonly logger: Logger;
  readonly runId: string;
  readonly fullRefresh: boolean;
  /** Unix seconds; the snapshot models' dt. */
  readonly asOf: number;
  /** Per model, dts written even when their rows did not change (damaged, or asked for). */
  readonly rebuild?: Readonly<Partial<Record<string, readonly string[]>>>;
}

/** A generous guess of a Gold row's size in memory (typed columns, a few short strings). */
const GOLD_ROW_BYTES = 512;

/**
 * Creates a view `silver_<table>` over every Silver partition (typed empty when none), and one
 * over each Silver table a Gold model reads that this build has no contract for yet, by the
 * columns Gold reads of it (`GOLD_SILVER_INPUTS`).
 */
export async function createSilverViews(
  session: DuckSession,
  store: ObjectStore,
  stager: Stager,
  tables: readonly TableName[] = SILVER_TABLES,
): Promise<void> {
  const views: [string, readonly ColumnDef[]][] = [
    ...tables.map((t): [string, readonly ColumnDef[]] => [t, SILVER_CONTRACTS[t].columns]),
    ...uncontractedGoldInputs().map((t): [string, readonly ColumnDef[]] => [t, GOLD_SILVER_INPUTS[t]]),
  ];
  for (const [table, cols] of views) {
    const keys = (await store.list(layout.silverEntityPrefix(table)))
      .map((o) => o.key)
      .filter((k) => k.endsWith('/data.parquet'));
    await stager.stage(keys);
    await session.conn.run(
      `create or replace view ${silverView(table)} as ${silverRelation(
        keys.map((k) => stager.localPath(k)),
        cols,
      )}`,
    );
  }
}

/** Silver tables a Gold model reads that have no Silver contract in this build (not produced yet). */
export function uncontractedGoldInputs(): GoldSilverInput[] {
  return (Object.keys(GOLD_SILVER_INPUTS) as GoldSilverInput[]).filter((t) => !(t in SILVER_CONTRACTS));
}

/** `cols` of the Parquet files at `paths`, or an empty relation of them when there are none. */
export function silverRelation(paths: readonly string[], cols: readonly ColumnDef[]): string {
  return paths.length > 0
    ? `select ${cols.map((c) => `"${c.name}"`).join(', ')} from read_parquet(${sqlStringList(
        paths,
      )}, hive_partitioning = false)`
    : `select ${cols.map((c) => `NULL::${c.type} as "${c.name}"`).join(', ')} limit 0`;
}

/**
 * Renders a Gold model with the run's as-of time (unix seconds): `{{as_of_date}}` is its UTC
 * date, `{{as_of_ts}}` the instant itself (a month's MRR is measured there), and
 * `{{as_of_month_number}}` its UTC month as year * 12 + month - 1 (literals, so DuckDB folds them
 * instead of joining a one-row CTE to every row).
 */
export function renderGoldModel(template: string, asOf: number): string {
  const vars: Record<string, string> = {};
  const at = new Date(asOf * 1000);
  if (template.includes('{{as_of_date}}')) vars.as_of_date = `DATE ${sqlString(utcDate(asOf))}`;
  if (template.includes('{{as_of_ts}}')) vars.as_of_ts = `to_timestamp(${Math.floor(asOf)})`;
  if (template.includes('{{as_of_month_number}}')) {
    vars.as_of_month_number = String(at.getUTCFullYear() * 12 + at.getUTCMonth());
  }
  return renderSql(template, vars);
}

/**
 * Computes every Gold model from all Silver in one session (each materialised as a temp table
 * named after the model, so later models may read earlier ones) and writes only the partitions
 * whose fingerprint (row count + XOR of row hashes) changed since the state recorded them.
 */
export async function buildGold(
  ctx: GoldContext,
): Promise<Record<GoldModelName, { partitions: number; rows: number; seconds: number; keys: string[] }>> {
  await createSilverViews(ctx.session, ctx.store, ctx.stager);
  const out = {} as Record<
    GoldModelName,
    { partitions: number; rows: number; seconds: number; keys: string[] }
  >;
  for (const contract of GOLD_CONTRACTS) {
    const started = performance.now();
    const model = contract.name;
    const sql = renderGoldModel(await readModelSql('gold', model), ctx.asOf);
    await ctx.session.conn.run(`create or replace temp table ${model} as ${sql}`);
    const rows = await ctx.session.rows<{ dt: string; n: number; fp: string; max_ts: number | null }>(
      `select dt::VARCHAR as dt, count(*)::INTEGER as n, bit_xor(hash(t))::VARCHAR as fp,
              epoch(max(${contract.businessTsColumn})::TIMESTAMPTZ)::INTEGER as max_ts
       from ${model} as t group by dt order by dt`,
    );
    const fresh: GoldState['partitions'] = {};
    for (const r of rows) fresh[r.dt] = { rows: r.n, fingerprint: r.fp, maxBusinessTs: r.max_ts };
    const previous = ctx.fullRefresh ? undefined : await loadGoldState(ctx.store, model);
    const existing = new Set(
      (await ctx.store.list(layout.goldModelPrefix(model)))
        .map((o) => dtOfKey(o.key))
        .filter((d): d is string => !!d),
    );
    const forced = (ctx.rebuild?.[model] ?? []).filter((dt) => fresh[dt]);
    const changed = [
      ...new Set([...changedPartitions(fresh, previous?.partitions, existing), ...forced]),
    ].sort();
    let keys: string[] = [];
    if (changed.length > 0) {
      const written = await copyPartitioned({
        session: ctx.session,
        store: ctx.store,
        query: `select * from ${model} where dt::VARCHAR in (select unnest(${sqlStringList(changed)}))`,
        orderBy: contract.primaryKey.join(', '),
        outDir: join(ctx.workDir, 'out', 'gold', model),
        keyOf: (dt) => layout.goldPartition(model, dt),
        sortInQuery: sortsInQuery(
          rows.filter((r) => changed.includes(r.dt)).reduce((a, r) => a + r.n, 0) * GOLD_ROW_BYTES,
          ctx.session.memoryBytes,
        ),
      });
      keys = written.keys;
    }
    // Fact models: a partition without rows any more is removed. Snapshots keep their history.
    const partitions: GoldState['partitions'] = contract.snapshot
      ? { ...previous?.partitions, ...fresh }
      : fresh;
    if (!contract.snapshot) {
      for (const dt of existing) if (!fresh[dt]) await ctx.store.delete(layout.goldPartition(model, dt));
    }
    await saveGoldState(ctx.store, {
      version: 1,
      model,
      runId: ctx.runId,
      updatedAt: new Date().toISOString(),
      partitions,
    });
    const total = rows.reduce((a, r) => a + r.n, 0);
    out[model] = {
      partitions: keys.length,
      rows: total,
      seconds: (performance.now() - started) / 1000,
      keys,
    };
    ctx.logger.info(
      { step: 'transform', model: `gold.${model}`, partitions: keys.length, rows: total },
      'gold built',
    );
  }
  return out;
}

/** What the publisher needs of a Gold model: its current keys, row count and newest business time. */
export interface GoldModelSummary {
  readonly model: GoldModelName;
  readonly keys: string[];
  readonly rowCount: number;
  /** Unix seconds. */
  readonly maxBusinessTs: number | null;
}

/**
 * Summarises a Gold model from its transform state (no data read). For a snapshot model only the
 * latest dt counts (the current snapshot).
 */
export async function goldModelSummary(store: ObjectStore, model: GoldModelName): Promise<GoldModelSummary> {
  const state = await loadGoldState(store, model);
  const dts = Object.keys(state?.partitions ?? {}).sort();
  const current = goldContract(model).snapshot ? dts.slice(-1) : dts;
  let rowCount = 0;
  let maxTs: number | null = null;
  for (const dt of current) {
    const p = state!.partitions[dt]!;
    rowCount += p.rows;
    if (p.maxBusinessTs !== null && (maxTs === null || p.maxBusinessTs > maxTs)) maxTs = p.maxBusinessTs;
  }
  return {
    model,
    keys: current.map((dt) => layout.goldPartition(model, dt)),
    rowCount,
    maxBusinessTs: maxTs,
  };
}
