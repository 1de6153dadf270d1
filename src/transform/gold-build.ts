import { join } from 'node:path';
import type { ColumnDef } from '../contracts/contract.js';
import {
  GOLD_CONTRACTS,
  GOLD_SILVER_INPUTS,
  type GoldModelName,
  uncontractedGoldInputs,
} from '../contracts/gold.js';
import { SILVER_CONTRACTS, SILVER_TABLES } from '../contracts/silver.js';
import { silverView } from '../duckdb/foreign-keys.js';
import { copyPartitioned, sortsInQuery } from '../duckdb/partitioned-copy.js';
import type { DuckSession } from '../duckdb/session.js';
import { readModelSql } from '../duckdb/silver-sql.js';
import { parquetColumns, renderSql, sqlString, sqlStringList } from '../duckdb/sql-template.js';
import type { Stager } from '../duckdb/stager.js';
import type { TableName } from '../entities/entity.js';
import { changedPartitions, type GoldState, loadGoldState, saveGoldState } from '../state/gold-state.js';
import { dtOfKey, layout, utcDate } from '../storage/layout.js';
import type { ObjectStore } from '../storage/object-store.js';
import type { BuildContext } from './silver-build.js';

/**
 * A Silver build's context plus the run's end time. Its stager is one of its own: Silver keys were
 * rewritten during this run.
 */
export interface GoldContext extends BuildContext {
  /** The run's end time, Unix seconds: the snapshot models' dt and `{{as_of_date}}`. */
  readonly until: number;
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
      `create or replace view ${silverView(table)} as ${parquetColumns(
        keys.map((k) => stager.localPath(k)),
        cols,
      )}`,
    );
  }
}

/**
 * Renders a Gold model with the run's as-of time (`until`, unix seconds): `{{as_of_date}}` is its UTC
 * date, `{{as_of_ts}}` the instant itself (a month's MRR is measured there), and
 * `{{as_of_month_number}}` its UTC month as year * 12 + month - 1 (literals, so DuckDB folds them
 * instead of joining a one-row CTE to every row).
 */
export function renderGoldModel(template: string, until: number): string {
  const vars: Record<string, string> = {};
  const at = new Date(until * 1000);
  if (template.includes('{{as_of_date}}')) vars.as_of_date = `DATE ${sqlString(utcDate(until))}`;
  if (template.includes('{{as_of_ts}}')) vars.as_of_ts = `to_timestamp(${Math.floor(until)})`;
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
    const sql = renderGoldModel(await readModelSql('gold', model), ctx.until);
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
        // dt first: rows then reach the partitioned writer one partition after another, so each
        // is one file (by key alone, every partition was split among the writer's 16 open files
        // and rewritten: 376 small statements, 2-4 s, for fct_balance_transactions at 100k)
        orderBy: ['dt', ...contract.primaryKey].join(', '),
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
