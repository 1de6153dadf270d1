import type { GoldModelName } from '../contracts/gold.js';
import type { DuckSession } from '../duckdb/session.js';
import { readModelSql } from '../duckdb/silver-sql.js';
import { dtOfKey } from '../storage/layout.js';
import type { ObjectInfo, ObjectStore } from '../storage/object-store.js';

/**
 * How a Gold model's dt partitions depend on Silver partitions (SPEC 14, issue #21 item 1), so an
 * incremental run recomputes only the affected ones. A model without a declaration is computed
 * whole, as are: the snapshot `dim_customers` (its recompute of the touched customers only is not
 * built yet), `fct_mrr` / `mrr_movements` (a line covers months, movements shift every later
 * month), and `fct_payouts` (its rows exist only once any payout link exists: a lake-wide test).
 */
export interface GoldDeps {
  /** Silver tables whose changed dts are the model's affected dts (the same business date). */
  readonly sameDt: readonly string[];
  /**
   * Silver tables whose changed rows affect other dts, found by `sql/gold/deps/<model>.sql` over
   * `chg_<table>` (the rows of the table's changed partitions). A partition of one of them that
   * disappeared hides the rows it held: the model is then computed whole.
   */
  readonly byKey: readonly string[];
}

export const GOLD_DEPS: Readonly<Partial<Record<GoldModelName, GoldDeps>>> = {
  fct_payments: { sameDt: ['charges'], byKey: ['balance_transactions', 'disputes', 'invoices'] },
  fct_balance_transactions: {
    sameDt: ['balance_transactions'],
    byKey: ['charges', 'refunds', 'disputes', 'payouts'],
  },
  fct_invoices: { sameDt: ['invoices'], byKey: [] },
  daily_overview: {
    sameDt: ['charges', 'refunds', 'disputes', 'balance_transactions', 'customers'],
    byKey: [],
  },
};

/** Per Silver table, per dt: the signature of the partition's object (size and ETag or mtime). */
export type SilverSnapshot = Record<string, Record<string, string>>;

/** The Silver objects the last complete Gold build read: `_state/transform/gold/_silver.json`. */
export const goldInputsKey = '_state/transform/gold/_silver.json';

/** A Silver partition object's signature: any rewrite changes it (local: mtime; S3: ETag). */
export function snapshotOf(table: string, objects: readonly ObjectInfo[], into: SilverSnapshot): void {
  const dts: Record<string, string> = {};
  for (const o of objects) {
    const dt = dtOfKey(o.key);
    if (dt) dts[dt] = `${o.size}:${o.etag ?? o.modifiedMs}`;
  }
  into[table] = dts;
}

export async function loadSilverSnapshot(store: ObjectStore): Promise<SilverSnapshot | undefined> {
  const body = await store.get(goldInputsKey);
  if (!body) return undefined;
  const parsed = JSON.parse(Buffer.from(body).toString('utf8')) as {
    version: number;
    tables: SilverSnapshot;
  };
  return parsed.version === 1 ? parsed.tables : undefined;
}

export async function saveSilverSnapshot(store: ObjectStore, tables: SilverSnapshot): Promise<void> {
  await store.put(goldInputsKey, `${JSON.stringify({ version: 1, tables })}\n`);
}

/** What changed in Silver since a snapshot: per table, the dts rewritten or new, and those gone. */
export interface SilverChanges {
  readonly changed: Readonly<Record<string, readonly string[]>>;
  readonly removed: Readonly<Record<string, readonly string[]>>;
}

export function diffSilver(previous: SilverSnapshot, current: SilverSnapshot): SilverChanges {
  const changed: Record<string, string[]> = {};
  const removed: Record<string, string[]> = {};
  for (const table of new Set([...Object.keys(previous), ...Object.keys(current)])) {
    const was = previous[table] ?? {};
    const now = current[table] ?? {};
    changed[table] = Object.keys(now)
      .filter((dt) => was[dt] !== now[dt])
      .sort();
    removed[table] = Object.keys(was)
      .filter((dt) => !(dt in now))
      .sort();
  }
  return { changed, removed };
}

/**
 * The dts of a model a Silver change affects, or undefined when they cannot be told (the model is
 * then computed whole). Needs the views `chg_<table>` of its `byKey` tables, and
 * `prev_<model>` when its dependency query reads the model's current Gold.
 */
export async function affectedDts(
  session: DuckSession,
  model: GoldModelName,
  deps: GoldDeps,
  changes: SilverChanges,
): Promise<string[] | undefined> {
  if (deps.byKey.some((t) => (changes.removed[t] ?? []).length > 0)) return undefined;
  const out = new Set<string>();
  for (const t of deps.sameDt) {
    for (const dt of changes.changed[t] ?? []) out.add(dt);
    for (const dt of changes.removed[t] ?? []) out.add(dt);
  }
  if (deps.byKey.some((t) => (changes.changed[t] ?? []).length > 0)) {
    const rows = await session.rows<{ dt: string | null }>(
      `select distinct dt::VARCHAR as dt from (${await depsSql(model)})`,
    );
    if (rows.some((r) => r.dt === null)) return undefined;
    for (const r of rows) out.add(r.dt!);
  }
  return [...out].sort();
}

export function depsSql(model: GoldModelName): Promise<string> {
  return readModelSql('gold', `deps/${model}`);
}
