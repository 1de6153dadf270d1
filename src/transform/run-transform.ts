import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Settings } from '../config/settings.js';
import { GOLD_MODELS } from '../contracts/gold.js';
import { SILVER_TABLES } from '../contracts/silver.js';
import { danglingReferences } from '../duckdb/foreign-keys.js';
import { pooledSession } from '../duckdb/pooled-session.js';
import { type DuckSession, openDuckSession, PARQUET_EXPANSION } from '../duckdb/session.js';
import { bronzeEntityOf, listBronzeObjects } from '../duckdb/silver-sql.js';
import { createStager } from '../duckdb/stager.js';
import type { EntityName, TableName } from '../entities/entity.js';
import type { Logger } from '../obs/logger.js';
import { failpoint } from '../state/failpoint.js';
import { goldModelSummary } from '../state/gold-state.js';
import { parseBronzeKey, parsePartitionKey } from '../storage/layout.js';
import type { ObjectInfo, ObjectStore } from '../storage/object-store.js';
import { makeScratchDir } from '../storage/scratch-dir.js';
import { buildGold, openSilverViews, silverPartitionRows } from './gold-build.js';
import { probeTargetViews } from './probe-targets.js';
import { buildSilverTable, pendingBronze } from './silver-build.js';

export interface TransformOptions {
  store: ObjectStore;
  settings: Settings;
  logger: Logger;
  runId: string;
  /** Rebuild every partition regardless of state; `'gold'`: every Gold partition, Silver as usual. */
  fullRefresh?: boolean | 'gold';
  /** The run's end time, Unix seconds: the as-of time of snapshot models. */
  until: number;
  /** Local scratch directory (staging, DuckDB temp, Parquet out); default: a new temp dir, removed after. */
  workDir?: string;
  /**
   * Build Gold too (default). `'unless-dangling'`: only when the Silver just written references
   * nothing Silver lacks (run-all: else the references pass fetches it first, then Gold is built
   * once; in the same session when nothing dangles, so a daily run opens DuckDB once).
   */
  gold?: boolean | 'unless-dangling';
  /** Build the pending Silver partitions (default); false: Gold only, over the Silver there is. */
  silver?: boolean;
  /**
   * Only these Silver tables (default: all). The references pass builds those whose Bronze it
   * wrote (`tablesReading`): the others have nothing new, and each would still list its Bronze.
   */
  silverTables?: readonly TableName[];
  /**
   * Probe what the Silver just written references but Silver lacks (default true; the report's
   * `dangling`). run-all's last build, after the references pass, has no use for it.
   */
  probe?: boolean;
  /**
   * Silver partition keys this run already wrote in an earlier build (the tables typed while
   * extraction went on): the probe covers them too.
   */
  silverWritten?: readonly string[];
  /** DuckDB memory limit (default: the `DUCKDB_MEMORY_LIMIT` setting). */
  memoryLimit?: string;
  /** Bronze bytes per run of days a table is first built from at once (default: by memory limit). */
  dayChunkBytes?: number;
  /**
   * Partitions rebuilt from Bronze even if no new Bronze touches them (self-healing, or
   * `transform --rebuild`): Silver dts per table, Gold dts per model (written even when equal).
   */
  rebuild?: RebuildPlan;
  /** Called as each model is built (terminal progress). */
  onModel?: (p: { model: string; done: number; total: number; partitions: number }) => void;
}

/** Dts to rebuild, per Silver table and per Gold model. */
export interface RebuildPlan {
  readonly silver: Readonly<Partial<Record<string, readonly string[]>>>;
  readonly gold: Readonly<Partial<Record<string, readonly string[]>>>;
}

/** Per model (`silver.<table>`, `gold.<model>`): partitions written, rows in them, seconds. */
export interface TransformReport {
  models: Record<string, { partitions: number; rows: number; seconds: number }>;
  silverKeys: string[];
  goldKeys: string[];
  /** Objects Silver rows reference but Silver lacks (API entities only, deduplicated). */
  dangling: { table: EntityName; id: string }[];
  /** Whether Gold was built (`gold: 'unless-dangling'` builds it only when nothing dangles). */
  goldBuilt: boolean;
}

/**
 * Bronze -> Silver (pending partitions only, per state) -> Gold (changed partitions only) in one
 * DuckDB instance. Safe to re-run at any point: state is written after the Parquet it describes.
 *
 * @example
 * const report = await runTransform({ store, settings, logger, runId });
 * // report.models['silver.charges'] -> { partitions: 3, rows: 1200, seconds: 0.4 }
 */
export async function runTransform(opts: TransformOptions): Promise<TransformReport> {
  const ownWorkDir = !opts.workDir;
  const workDir = opts.workDir ?? (await makeScratchDir('transform'));
  const stager = createStager(opts.store, join(workDir, 'stage-bronze'));
  const session = await openDuckSession({
    workDir,
    pathBase: stager.base,
    memoryLimit: opts.memoryLimit ?? opts.settings.DUCKDB_MEMORY_LIMIT,
    threads: opts.settings.DUCKDB_THREADS,
  });
  // The caller binds the step (transform, or the references pass) to the logger it hands in.
  const logger = opts.logger;
  const fullRefresh = opts.fullRefresh === true;
  const report: TransformReport = {
    models: {},
    silverKeys: [],
    goldKeys: [],
    dangling: [],
    goldBuilt: false,
  };
  try {
    const ctx = {
      session,
      store: opts.store,
      stager,
      workDir,
      logger,
      runId: opts.runId,
      fullRefresh,
      dayChunkBytes: opts.dayChunkBytes,
    };
    const webhookObjs = await listBronzeObjects(opts.store, 'webhook_events');
    const webhookKeys = webhookObjs.map((o) => o.key);
    const silverTables =
      opts.silver === false
        ? []
        : SILVER_TABLES.filter((t) => !opts.silverTables || opts.silverTables.includes(t));
    const goldOpt = opts.gold ?? true;
    // progress counts Silver tables and Gold models apart (a bar each)
    let silverDone = 0;
    // Small merges (a daily run at 100k charges) are strings of statements that wait on file opens
    // and planning more than on the CPU: two tables at a time. Big ones (a daily run at 1m) use
    // both cores each and are sized by the whole memory limit: one at a time. So is any first
    // build (a first load, a full refresh): two side by side, each typing whole days of JSON, ran
    // out of DuckDB's memory limit in a test's first load.
    const pending = fullRefresh
      ? [{ bytes: Number.POSITIVE_INFINITY, first: true }]
      : await Promise.all(silverTables.map((t) => pendingBronze(opts.store, t, webhookObjs)));
    const pendingBytes = pending.reduce((a, p) => a + p.bytes, 0);
    const atOnce =
      pendingBytes <= SIDE_BY_SIDE_BYTES && !pending.some((p) => p.first) ? SILVER_CONCURRENCY : 1;
    logger.debug(
      { step: 'transform', pending_bronze_bytes: pendingBytes, tables_at_once: atOnce },
      `Silver: ${atOnce} tables at a time`,
    );
    const pool = await pooledSession(session, atOnce, { keepBase: true });
    const results = new Map<TableName, Awaited<ReturnType<typeof buildSilverTable>>>();
    let failed = false;
    try {
      // every table settles before the pool closes (a failure does not cut another table's write
      // short); after one, the tables not yet started are not
      const settled = await Promise.allSettled(
        heaviestFirst(silverTables).map((table) =>
          pool.withConnection(async () => {
            if (failed) return;
            try {
              const r = await buildSilverTable(
                { ...ctx, session: pool },
                table,
                webhookKeys,
                opts.rebuild?.silver[table] ?? [],
              );
              results.set(table, r);
              failpoint('transform.silver_table');
              opts.onModel?.({
                model: `silver.${table}`,
                done: ++silverDone,
                total: silverTables.length,
                partitions: r.partitions,
              });
            } catch (err) {
              failed = true;
              throw err;
            }
          }),
        ),
      );
      const error = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
      if (error) throw error.reason;
    } finally {
      pool.close();
    }
    // in the tables' order, whichever finished first
    for (const table of silverTables) {
      const r = results.get(table)!;
      report.models[`silver.${table}`] = { partitions: r.partitions, rows: r.rows, seconds: r.seconds };
      report.silverKeys.push(...r.keys);
    }
    // Silver objects changed during this run: stage them afresh, apart from the Bronze.
    const silverStager = createStager(opts.store, join(workDir, 'stage-silver'));
    // Silver listed once for the probe and Gold, its views made as they are first read.
    let silver: { listed: Map<string, ObjectInfo[]>; session: DuckSession } | undefined;
    const views = async () => {
      if (!silver) {
        silver = await openSilverViews(session, opts.store, silverStager);
        // the probe and Gold read across Silver
        await session.fitAllocator(silverBytes(silver.listed));
      }
      return silver;
    };
    // What the Silver just written references but Silver lacks (for the references pass), while
    // the Silver views are open. A Gold-only build wrote no Silver.
    const probe = async () => {
      const written = [...(opts.silverWritten ?? []), ...report.silverKeys];
      if (written.length === 0 || opts.probe === false) return;
      const { listed, session: viewing } = await views();
      report.dangling = await danglingReferences(
        viewing,
        writtenDts(written),
        (table, dts) => silverPartitionRows(listed, silverStager, table, dts),
        await probeTargetViews(viewing, opts.store, silverStager, listed),
      );
    };
    if (goldOpt === 'unless-dangling') await probe();
    if (goldOpt === true || (goldOpt === 'unless-dangling' && report.dangling.length === 0)) {
      const { listed, session: viewing } = await views();
      const gold = await buildGold({
        ...ctx,
        session: viewing,
        fullRefresh: opts.fullRefresh !== undefined && opts.fullRefresh !== false,
        stager: silverStager,
        until: opts.until,
        listed,
        ...(opts.rebuild ? { rebuild: opts.rebuild.gold } : {}),
      });
      report.goldBuilt = true;
      let goldDone = 0;
      for (const [model, r] of Object.entries(gold)) {
        report.models[`gold.${model}`] = { partitions: r.partitions, rows: r.rows, seconds: r.seconds };
        report.goldKeys.push(...r.keys);
        opts.onModel?.({
          model: `gold.${model}`,
          done: ++goldDone,
          total: GOLD_MODELS.length,
          partitions: r.partitions,
        });
      }
    }
    if (goldOpt !== 'unless-dangling') await probe();
    return report;
  } finally {
    session.close();
    if (ownWorkDir) await rm(workDir, { recursive: true, force: true });
  }
}

/** Silver tables a small build builds at once. */
const SILVER_CONCURRENCY = 2;

/**
 * New Bronze up to which Silver tables are merged side by side: a 100k daily run reads 32 MiB and
 * its Silver took 2.5 s side by side against 2.9 s one at a time; a 1m daily run reads 312 MiB
 * and took 10.8-16.7 s side by side against 13.0-13.6 s, with more CPU.
 */
const SIDE_BY_SIDE_BYTES = 64 * 1024 * 1024;

/**
 * The order Silver tables start in, side by side: events first. Every change of every object is
 * an event, so a daily run's events Bronze is its largest (57,672 rows, 3-4 s at 1m, against at
 * most 2 s for any other table); started last, it ran alone after the others were done.
 */
export function heaviestFirst(tables: readonly TableName[]): TableName[] {
  return [...tables.filter((t) => t === 'events'), ...tables.filter((t) => t !== 'events')];
}

/** What Silver's listed Parquet may take in memory, for `DuckSession.fitAllocator`. */
export function silverBytes(listed: ReadonlyMap<string, readonly ObjectInfo[]>): number {
  let bytes = 0;
  for (const objects of listed.values()) for (const o of objects) bytes += o.size;
  return PARQUET_EXPANSION * bytes;
}

/** Dts per Silver table, of written Silver partition keys. */
export function writtenDts(silverKeys: readonly string[]): Map<TableName, string[]> {
  const out = new Map<TableName, string[]>();
  for (const key of silverKeys) {
    const p = parsePartitionKey(key);
    if (p?.layer !== 'silver') continue;
    const table = p.table as TableName;
    const dts = out.get(table) ?? [];
    dts.push(p.dt);
    out.set(table, dts);
  }
  return out;
}

/** For the publisher: per Gold model its current keys, row count and newest business time. */
export async function goldPublishInputs(
  store: ObjectStore,
): Promise<{ model: string; keys: string[]; row_count: number; max_business_ts: number | null }[]> {
  const out = [];
  for (const model of GOLD_MODELS) {
    const s = await goldModelSummary(store, model);
    out.push({ model, keys: s.keys, row_count: s.rowCount, max_business_ts: s.maxBusinessTs });
  }
  return out;
}

/** The Silver tables that read any of these Bronze keys (their entity's, or a parent's, pages). */
export function tablesReading(bronzeKeys: readonly string[]): TableName[] {
  const entities = new Set(bronzeKeys.map((k) => parseBronzeKey(k)?.entity).filter((e) => e !== undefined));
  return SILVER_TABLES.filter((t) => entities.has(t) || entities.has(bronzeEntityOf(t)));
}
