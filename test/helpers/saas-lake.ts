import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ColumnDef } from '../../src/contracts/contract.js';
import { GOLD_SILVER_INPUTS, type GoldModelName } from '../../src/contracts/gold.js';
import { SILVER_CONTRACTS } from '../../src/contracts/silver.js';
import { type DuckSession, openDuckSession } from '../../src/duckdb/session.js';
import { sqlString, sqlStringList } from '../../src/duckdb/sql-template.js';
import { createStager } from '../../src/duckdb/stager.js';
import { silentLogger } from '../../src/obs/logger.js';
import { layout, utcDate } from '../../src/storage/layout.js';
import { LocalObjectStore } from '../../src/storage/local-store.js';
import { buildGold } from '../../src/transform/gold-build.js';
import { notePendingChanges } from '../../src/transform/gold-deps.js';
import type { RawBalanceTransaction, RawInvoice, RawPayout, RawPrice } from './mrr-oracle.js';

/**
 * A lake of hand-written Silver for the SaaS Gold models: raw Stripe objects (the oracle's input)
 * mapped to the Silver columns (SPEC section 7.1) the way the Silver models type them, written as
 * Parquet partitions through the store; Gold built from it by the real `buildGold`.
 */

type SilverRow = Record<string, unknown> & { dt: string };

/** Unix seconds of an ISO time (`2024-01-15`, `2024-01-15T10:00:00Z`). */
export const at = (iso: string): number => Date.parse(iso.length === 10 ? `${iso}T00:00:00Z` : iso) / 1000;

/** The columns a Silver table has in this build: its contract, else the columns Gold reads of it. */
function silverColumns(table: string): readonly ColumnDef[] {
  const contract = (SILVER_CONTRACTS as Record<string, { columns: readonly ColumnDef[] } | undefined>)[table];
  if (contract) return contract.columns;
  const pinned = (GOLD_SILVER_INPUTS as Record<string, readonly ColumnDef[]>)[table];
  if (!pinned) throw new Error(`no columns known for Silver table ${table}`);
  return pinned;
}

function literal(v: unknown, type: string): string {
  if (v === undefined || v === null) return `NULL::${type}`;
  if (type === 'TIMESTAMPTZ') return `to_timestamp(${Number(v)})`;
  if (type === 'DATE') return `DATE ${sqlString(String(v))}`;
  if (type === 'JSON') return `${sqlString(JSON.stringify(v))}::JSON`;
  if (type === 'VARCHAR') return sqlString(String(v));
  return `${String(v)}::${type}`;
}

const idOf = (v: unknown): string | undefined =>
  v == null ? undefined : typeof v === 'string' ? v : (v as { id: string }).id;

/** Silver `invoice_line_items` rows of raw invoices (dt = the invoice's created date). */
export function lineItemRows(invoices: readonly (RawInvoice & { created: number })[]): SilverRow[] {
  return invoices.flatMap((inv) =>
    inv.lines.data.map((l) => ({
      id: l.id,
      invoice_id: inv.id,
      customer_id: idOf(inv.customer),
      subscription_id: idOf(l.subscription) ?? idOf(inv.subscription),
      price_id: idOf(l.price),
      line_type: l.type,
      is_proration: l.proration ?? false,
      amount: l.amount,
      discount_amount: (l.discount_amounts ?? []).reduce((a, d) => a + d.amount, 0),
      currency: l.currency,
      period_start_ts: l.period.start,
      period_end_ts: l.period.end,
      invoice_status: inv.status,
      created_ts: inv.created,
      is_deleted: false,
      dt: utcDate(inv.created),
    })),
  );
}

/** Silver `prices` rows of raw prices. */
export function priceRows(prices: readonly (RawPrice & { created: number })[]): SilverRow[] {
  return prices.map((p) => ({
    id: p.id,
    type: p.recurring ? 'recurring' : 'one_time',
    recurring_interval: p.recurring?.interval,
    recurring_interval_count: p.recurring?.interval_count,
    created_ts: p.created,
    is_deleted: false,
    dt: utcDate(p.created),
  }));
}

/** Silver `payouts`, `payout_balance_transactions` and `balance_transactions` rows. */
export function payoutRows(
  payouts: readonly (RawPayout & {
    created: number;
    transactions: (RawBalanceTransaction & { created: number })[];
  })[],
): Record<'payouts' | 'payout_balance_transactions' | 'balance_transactions', SilverRow[]> {
  return {
    payouts: payouts.map((p) => ({
      id: p.id,
      amount: p.amount,
      currency: p.currency,
      status: p.status,
      automatic: p.automatic,
      arrival_date_ts: p.arrival_date,
      balance_transaction_id: idOf(p.balance_transaction),
      created_ts: p.created,
      is_deleted: false,
      dt: utcDate(p.created),
    })),
    payout_balance_transactions: payouts.flatMap((p) =>
      p.transactions.map((bt) => ({
        payout_id: p.id,
        balance_transaction_id: bt.id,
        dt: utcDate(p.created),
      })),
    ),
    balance_transactions: payouts.flatMap((p) =>
      p.transactions.map((bt) => ({
        id: bt.id,
        amount: bt.amount,
        fee: bt.fee,
        net: bt.net,
        currency: p.currency,
        type: bt.type,
        reporting_category: bt.reporting_category,
        status: 'available',
        created_ts: bt.created,
        is_deleted: false,
        dt: utcDate(bt.created),
      })),
    ),
  };
}

/** A local lake in a temp directory with one DuckDB session for writing fixtures and reading Gold. */
export class SaasLake {
  private constructor(
    readonly dir: string,
    readonly store: LocalObjectStore,
    readonly db: DuckSession,
  ) {}

  static async open(): Promise<SaasLake> {
    const dir = await mkdtemp(join(tmpdir(), 'pp-saas-gold-'));
    const store = new LocalObjectStore(join(dir, 'lake'));
    const db = await openDuckSession({ workDir: join(dir, 'duck'), pathBase: join(dir, 'lake') });
    return new SaasLake(dir, store, db);
  }

  async close(): Promise<void> {
    this.db.close();
    await rm(this.dir, { recursive: true, force: true });
  }

  /**
   * Replaces a Silver table with these rows, one Parquet object per dt, and notes the dts written
   * and removed for Gold as the Silver build does (`notePendingChanges`): Gold's declared
   * dependencies then see the change.
   */
  async writeSilver(table: string, rows: readonly SilverRow[]): Promise<void> {
    const before = new Set<string>();
    for (const o of await this.store.list(layout.silverEntityPrefix(table))) {
      before.add(o.key.match(/dt=([^/]+)/)![1]!);
      await this.store.delete(o.key);
    }
    const cols = silverColumns(table);
    const byDt = new Map<string, SilverRow[]>();
    for (const r of rows) byDt.set(r.dt, [...(byDt.get(r.dt) ?? []), r]);
    for (const [dt, part] of byDt) {
      const select = part
        .map((r) => `select ${cols.map((c) => `${literal(r[c.name], c.type)} as "${c.name}"`).join(', ')}`)
        .join(' union all ');
      const tmp = join(this.dir, `${Math.random().toString(36).slice(2)}.parquet`);
      await this.db.conn.run(`copy (${select}) to ${sqlString(tmp)} (format parquet)`);
      await this.store.putFile(layout.silverPartition(table, dt), tmp, { move: true });
    }
    const written = [...byDt.keys()];
    await notePendingChanges(
      this.store,
      table,
      written,
      [...before].filter((dt) => !byDt.has(dt)),
    );
  }

  /** Runs the real Gold build over the lake's Silver at `asOf`; per model the partitions it wrote. */
  async buildGold(asOf: number, runId = 'r1'): Promise<Record<GoldModelName, string[]>> {
    const work = await mkdtemp(join(this.dir, 'gold-'));
    const session = await openDuckSession({ workDir: work, pathBase: this.store.localRoot });
    try {
      const out = await buildGold({
        session,
        store: this.store,
        stager: createStager(this.store, join(work, 'stage')),
        workDir: work,
        logger: silentLogger(),
        runId,
        fullRefresh: false,
        until: asOf,
      });
      return Object.fromEntries(
        Object.entries(out).map(([m, r]) => [m, r.keys.map((k) => k.match(/dt=([^/]+)/)![1]!)]),
      ) as Record<GoldModelName, string[]>;
    } finally {
      session.close();
    }
  }

  /** Alters a Gold partition behind the pipeline's back: `sql` updates its rows in a table `t`. */
  rewriteGold(model: GoldModelName, dt: string, sql: string): Promise<void> {
    return this.rewrite(layout.goldPartition(model, dt), sql);
  }

  /** Alters a Silver partition behind the pipeline's back (Gold not told): as `rewriteGold`. */
  rewriteSilver(table: string, dt: string, sql: string): Promise<void> {
    return this.rewrite(layout.silverPartition(table, dt), sql);
  }

  private async rewrite(key: string, sql: string): Promise<void> {
    const path = join(this.store.localRoot, key);
    await this.db.conn.run(
      `create or replace temp table t as select * from read_parquet(${sqlString(path)}, hive_partitioning = false)`,
    );
    await this.db.conn.run(sql);
    const tmp = join(this.dir, `${Math.random().toString(36).slice(2)}.parquet`);
    await this.db.conn.run(`copy t to ${sqlString(tmp)} (format parquet)`);
    await this.store.putFile(key, tmp, { move: true });
  }

  /** The published rows of a Gold model (DECIMALs and BIGINTs as numbers, dates as strings). */
  async gold<T = Record<string, unknown>>(model: GoldModelName, orderBy: string): Promise<T[]> {
    const keys = (await this.store.list(layout.goldModelPrefix(model))).map((o) =>
      join(this.store.localRoot, o.key),
    );
    if (keys.length === 0) return [];
    const rows = await this.db.rows<Record<string, unknown>>(
      `select * exclude (dt) from read_parquet(${sqlStringList(keys)}, hive_partitioning = false) order by ${orderBy}`,
    );
    return rows.map((r) =>
      Object.fromEntries(
        Object.entries(r).map(([k, v]) => [
          k,
          typeof v === 'string' && /^-?\d+(\.\d+)?$/.test(v) && !k.endsWith('_id') ? Number(v) : v,
        ]),
      ),
    ) as T[];
  }
}
