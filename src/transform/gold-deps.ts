import pLimit from 'p-limit';
import type { GoldModelName } from '../contracts/gold.js';
import type { DuckSession } from '../duckdb/session.js';
import { readModelSql } from '../duckdb/silver-sql.js';
import type { ObjectStore } from '../storage/object-store.js';

/**
 * How a Gold model's dt partitions depend on Silver partitions (SPEC 14, issue #21 item 1), so an
 * incremental run recomputes only the affected ones. A model without a declaration is computed
 * whole, as are `fct_mrr` / `mrr_movements` (a line covers months, movements shift every later
 * month); the snapshot `dim_customers` goes by the customers touched (`TOUCHED_KEYS`).
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
  /**
   * The columns the model reads of some of its `byKey` tables (besides the key), when that is
   * all it reads of them: a changed partition's row then counts only if its key or one of these
   * differs from the published version. A daily run rewrites every partition an update touched,
   * and taking all their rows as changed made fct_balance_transactions recompute 42 days at 1m
   * charges for the 6 whose rows changed (a refunded charge keeps its customer).
   */
  readonly reads?: Readonly<Record<string, readonly string[]>>;
}

export const GOLD_DEPS: Readonly<Partial<Record<GoldModelName, GoldDeps>>> = {
  fct_payments: { sameDt: ['charges'], byKey: ['balance_transactions', 'disputes', 'invoices'] },
  fct_balance_transactions: {
    sameDt: ['balance_transactions'],
    byKey: ['charges', 'refunds', 'disputes', 'payouts'],
    reads: { charges: ['customer_id'], refunds: ['charge_id'], disputes: ['charge_id'], payouts: [] },
  },
  fct_invoices: { sameDt: ['invoices'], byKey: [] },
  // dt = arrival date, which no Silver table is partitioned by: every dependency goes by key
  fct_payouts: { sameDt: [], byKey: ['payouts', 'payout_balance_transactions', 'balance_transactions'] },
  daily_overview: {
    sameDt: ['charges', 'refunds', 'disputes', 'balance_transactions', 'customers'],
    byKey: [],
  },
};

/**
 * A snapshot model recomputed for the keys a change touched only (issue #21 item 1: "a customer's
 * all-time rows for dim_customers, which then updates only the customers touched"); the others
 * keep the previous snapshot's row. `sql/gold/deps/<model>.sql` finds the keys from `chgrows_<t>`
 * of the `silver` tables (the rows that differ from the published Silver) and `fresh_<m>` of the
 * `gold` models (the rows recomputed this run). The previous snapshot must share the as-of month
 * (`this_month_sales_amount`).
 */
export interface TouchedKeys {
  readonly key: string;
  /**
   * Per Silver table, the columns the deps SQL reads of its `chgrows_<t>` (besides the primary
   * key): only they are read of the changed partitions, not the wide rows (at 1m charges a daily
   * run compared 110,000 whole charge rows, 1.2 s, to find their customers).
   */
  readonly silver: Readonly<Record<string, readonly string[]>>;
  readonly gold: readonly GoldModelName[];
}

export const TOUCHED_KEYS: Readonly<Partial<Record<GoldModelName, TouchedKeys>>> = {
  dim_customers: {
    key: 'customer_id',
    silver: { customers: ['id'], charges: ['customer_id'], refunds: ['charge_id'] },
    gold: ['fct_balance_transactions'],
  },
};

/** What changed in Silver since the last complete Gold build: per table, dts written and removed. */
export interface SilverChanges {
  readonly changed: Readonly<Record<string, readonly string[]>>;
  readonly removed: Readonly<Record<string, readonly string[]>>;
}

/**
 * The Silver partitions written or removed since the last complete Gold build:
 * `_state/transform/gold/_pending.json`. The Silver build adds to it before it records its state
 * (so a crash between leaves the Bronze unconsumed and the next run adds it again); Gold empties
 * it after every model is written. It lives under `_state/transform/`, so a run's staging holds
 * it with the Silver and Gold it describes. No file (a lake from before it existed, or a full
 * refresh under way): Gold computes every model whole, then starts one.
 */
export const goldPendingKey = '_state/transform/gold/_pending.json';

interface PendingFile extends SilverChanges {
  readonly version: 1;
}

export async function loadPendingChanges(store: ObjectStore): Promise<SilverChanges | undefined> {
  const body = await store.get(goldPendingKey);
  if (!body) return undefined;
  const parsed = JSON.parse(Buffer.from(body).toString('utf8')) as PendingFile;
  return parsed.version === 1 ? parsed : undefined;
}

/** Adds a Silver table's written and removed dts (only to a started record: see goldPendingKey). */
export async function notePendingChanges(
  store: ObjectStore,
  table: string,
  written: readonly string[],
  removed: readonly string[],
): Promise<void> {
  if (written.length === 0 && removed.length === 0) return;
  // one file for every table, and tables are built side by side: one read-modify-write at a time
  await pendingTurn(async () => {
    const pending = await loadPendingChanges(store);
    if (!pending) return;
    const merge = (a: readonly string[] | undefined, b: readonly string[]) =>
      [...new Set([...(a ?? []), ...b])].sort();
    await savePending(store, {
      version: 1,
      changed: { ...pending.changed, [table]: merge(pending.changed[table], written) },
      removed: { ...pending.removed, [table]: merge(pending.removed[table], removed) },
    });
  });
}

const pendingTurn = pLimit(1);

/** After a complete Gold build: nothing pending. */
export function clearPendingChanges(store: ObjectStore): Promise<void> {
  return savePending(store, { version: 1, changed: {}, removed: {} });
}

async function savePending(store: ObjectStore, file: PendingFile): Promise<void> {
  await store.put(goldPendingKey, `${JSON.stringify(file)}\n`);
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
