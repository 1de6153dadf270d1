import { mkdtemp, rm, utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseSettings } from '../../src/config/settings.js';
import { GOLD_CONTRACTS } from '../../src/contracts/gold.js';
import { SILVER_CONTRACTS, SILVER_TABLES } from '../../src/contracts/silver.js';
import { type DuckSession, openDuckSession } from '../../src/duckdb/session.js';
import { sqlString, sqlStringList } from '../../src/duckdb/sql-template.js';
import type { TableName } from '../../src/entities/entity.js';
import { entity, isEntityName } from '../../src/entities/lookups.js';
import { silentLogger } from '../../src/obs/logger.js';
import { MAX_CACHE_FILES } from '../../src/quality/bronze-id-cache.js';
import { renderQualityReport, runQuality } from '../../src/quality/index.js';
import type { CheckResult, QualityReport } from '../../src/quality/types.js';
import { layout, utcDate } from '../../src/storage/layout.js';
import { LocalObjectStore } from '../../src/storage/local-store.js';
import { renderGoldModel } from '../../src/transform/gold-build.js';
import { readModelSql } from '../../src/transform/silver-build.js';

// A tiny, consistent lake written by hand: Bronze JSONL, Silver Parquet under the contracts, Gold
// computed from that Silver by the real Gold SQL. Good data passes every check; each test breaks
// one thing and expects the right check to fail naming the broken rows.

const DAY1 = Date.UTC(2024, 2, 1) / 1000;
const DAY2 = DAY1 + 86_400;
const NOW = DAY2 + 20 * 3600;
const RUN = 'r1';

type Row = Record<string, unknown> & { id: string; created: number };
type Dataset = Record<TableName, Row[]> & {
  bronzeOnly: Partial<Record<TableName, Row[]>>;
  silverOnly: Partial<Record<TableName, Row[]>>;
};

function goodDataset(): Dataset {
  const at = (day: number, h: number) => day + h * 3600;
  const ev = (id: string, type: string, created: number, objId: string, objType: string): Row => ({
    id,
    created,
    type,
    data_object_id: objId,
    data_object_type: objType,
  });
  return {
    customers: [
      { id: 'cus_1', created: at(DAY1, 1), email: 'a@x.test', currency: 'usd' },
      { id: 'cus_2', created: at(DAY2, 1), email: 'b@x.test', currency: 'eur' },
      { id: 'cus_3', created: at(DAY1, 2), is_deleted: true },
    ],
    payment_intents: [
      {
        id: 'pi_1',
        created: at(DAY1, 3),
        customer_id: 'cus_1',
        amount: 1000,
        currency: 'usd',
        status: 'succeeded',
      },
      {
        id: 'pi_2',
        created: at(DAY2, 3),
        customer_id: 'cus_2',
        amount: 2500,
        currency: 'eur',
        status: 'succeeded',
      },
      {
        id: 'pi_3',
        created: at(DAY2, 4),
        customer_id: 'cus_1',
        amount: 500,
        currency: 'usd',
        status: 'requires_payment_method',
      },
    ],
    charges: [
      {
        id: 'ch_1',
        created: at(DAY1, 3),
        customer_id: 'cus_1',
        payment_intent_id: 'pi_1',
        balance_transaction_id: 'txn_1',
        amount: 1000,
        amount_refunded: 300,
        currency: 'usd',
        status: 'succeeded',
        refunded: false,
        disputed: false,
      },
      {
        id: 'ch_2',
        created: at(DAY2, 3),
        customer_id: 'cus_2',
        payment_intent_id: 'pi_2',
        balance_transaction_id: 'txn_2',
        amount: 2500,
        amount_refunded: 0,
        currency: 'eur',
        status: 'succeeded',
        refunded: false,
        disputed: true,
      },
      {
        id: 'ch_3',
        created: at(DAY2, 4),
        customer_id: 'cus_1',
        payment_intent_id: 'pi_3',
        amount: 500,
        amount_refunded: 0,
        currency: 'usd',
        status: 'failed',
        refunded: false,
        disputed: false,
      },
    ],
    refunds: [
      {
        id: 're_1',
        created: at(DAY2, 5),
        charge_id: 'ch_1',
        balance_transaction_id: 'txn_3',
        amount: 300,
        currency: 'usd',
        status: 'succeeded',
      },
    ],
    disputes: [
      {
        id: 'dp_1',
        created: at(DAY2, 6),
        charge_id: 'ch_2',
        amount: 2500,
        currency: 'eur',
        status: 'needs_response',
      },
    ],
    balance_transactions: [
      {
        id: 'txn_1',
        created: at(DAY1, 3),
        source_id: 'ch_1',
        amount: 1000,
        fee: 59,
        net: 941,
        currency: 'usd',
        type: 'charge',
      },
      {
        id: 'txn_2',
        created: at(DAY2, 3),
        source_id: 'ch_2',
        amount: 2500,
        fee: 103,
        net: 2397,
        currency: 'eur',
        type: 'charge',
      },
      {
        id: 'txn_3',
        created: at(DAY2, 5),
        source_id: 're_1',
        amount: -300,
        fee: 0,
        net: -300,
        currency: 'usd',
        type: 'refund',
      },
      {
        id: 'txn_5',
        created: at(DAY2, 5),
        source_id: 'po_1',
        amount: -941,
        fee: 0,
        net: -941,
        currency: 'usd',
        type: 'payout',
      },
      {
        id: 'txn_4',
        created: at(DAY2, 6),
        source_id: 'dp_1',
        amount: -2500,
        fee: 1500,
        net: -4000,
        currency: 'eur',
        type: 'adjustment',
      },
    ],
    subscriptions: [
      { id: 'sub_1', created: at(DAY1, 5), customer_id: 'cus_2', status: 'active', currency: 'eur' },
    ],
    invoices: [
      {
        id: 'in_1',
        created: at(DAY2, 2),
        customer_id: 'cus_2',
        subscription_id: 'sub_1',
        payment_intent_id: 'pi_2',
        status: 'paid',
        currency: 'eur',
        amount_due: 2500,
        amount_paid: 2500,
        amount_remaining: 0,
        total: 2500,
      },
    ],
    products: [
      { id: 'prod_1', created: at(DAY1, 0), name: 'Pro', active: true, default_price_id: 'price_1' },
    ],
    prices: [
      {
        id: 'price_1',
        created: at(DAY1, 0),
        product_id: 'prod_1',
        currency: 'usd',
        unit_amount: 1900,
        type: 'recurring',
        recurring_interval: 'month',
        recurring_interval_count: 1,
        active: true,
      },
    ],
    coupons: [{ id: 'CO1', created: at(DAY1, 0), percent_off: 20, duration: 'once', valid: true }],
    payouts: [
      {
        id: 'po_1',
        created: at(DAY2, 5),
        amount: 941,
        currency: 'usd',
        status: 'in_transit',
        automatic: true,
        balance_transaction_id: 'txn_5',
      },
    ],
    events: [
      ev('evt_1', 'charge.succeeded', at(DAY1, 3), 'ch_1', 'charge'),
      ev('evt_2', 'charge.succeeded', at(DAY2, 3), 'ch_2', 'charge'),
      ev('evt_3', 'charge.refunded', at(DAY2, 5), 'ch_1', 'charge'),
    ],
    webhook_events: [
      ev('evt_1', 'charge.succeeded', at(DAY1, 3), 'ch_1', 'charge'),
      ev('evt_2', 'charge.succeeded', at(DAY2, 3), 'ch_2', 'charge'),
      ev('evt_3', 'charge.refunded', at(DAY2, 5), 'ch_1', 'charge'),
    ],
    bronzeOnly: {},
    silverOnly: {},
  };
}

const bronzeKeyOf = (table: TableName, row: Row) =>
  table === 'webhook_events'
    ? `bronze/source=stripe/entity=webhook_events/dt=${utcDate(row.created)}/${row.id}.json`
    : layout.bronzePart(table, utcDate(row.created), RUN, 0);

/** The SQL literal of a value under a contract type (NULL typed). */
function literal(v: unknown, type: string): string {
  if (v === null || v === undefined) return `NULL::${type}`;
  switch (type) {
    case 'VARCHAR':
      return sqlString(String(v));
    case 'TIMESTAMPTZ':
      return `to_timestamp(${Number(v)})`;
    case 'DATE':
      return `DATE ${sqlString(String(v))}`;
    case 'JSON':
      return `${sqlString(JSON.stringify(v))}::JSON`;
    default:
      return `CAST(${String(v)} AS ${type})`;
  }
}

function silverValues(table: TableName, row: Row): Record<string, unknown> {
  return {
    created_ts: row.created,
    dt: utcDate(row.created),
    livemode: false,
    is_deleted: false,
    _version_ts: row.created,
    _source: 'api',
    _run_id: RUN,
    _ingested_at: row.created,
    _bronze_key: bronzeKeyOf(table, row),
    ...row,
  };
}

function bronzeLine(table: TableName, row: Row): string {
  const data =
    table === 'events' || table === 'webhook_events'
      ? {
          id: row.id,
          object: 'event',
          type: row.type,
          created: row.created,
          data: { object: { id: row.data_object_id, object: row.data_object_type } },
        }
      : { id: row.id, object: isEntityName(table) ? entity(table).objectName : table, created: row.created };
  const source = table === 'webhook_events' ? 'webhook' : 'api';
  return `${JSON.stringify({ data, meta: { entity: table, run_id: RUN, ingested_at: new Date(row.created * 1000).toISOString(), source, version_ts: row.created } })}\n`;
}

class Lake {
  constructor(
    readonly store: LocalObjectStore,
    readonly db: DuckSession,
    readonly work: string,
  ) {}

  /** Writes one Parquet object from a SELECT, through the store. */
  async putParquet(key: string, select: string): Promise<void> {
    const tmp = join(this.work, `${Math.random().toString(36).slice(2)}.parquet`);
    await this.db.conn.run(`copy (${select}) to ${sqlString(tmp)} (format parquet)`);
    await this.store.putFile(key, tmp);
  }

  silverSelect(table: TableName, rows: readonly Row[]): string {
    const cols = SILVER_CONTRACTS[table].columns;
    return rows
      .map((r) => {
        const v = silverValues(table, r);
        return `select ${cols.map((c) => `${literal(v[c.name], c.type)} as "${c.name}"`).join(', ')}`;
      })
      .join(' union all ');
  }

  async write(ds: Dataset): Promise<void> {
    for (const table of SILVER_TABLES) {
      const bronzeRows = [...ds[table], ...(ds.bronzeOnly[table] ?? [])];
      const byKey = new Map<string, string>();
      for (const r of bronzeRows)
        byKey.set(bronzeKeyOf(table, r), (byKey.get(bronzeKeyOf(table, r)) ?? '') + bronzeLine(table, r));
      for (const [key, body] of byKey) await this.store.put(key, body);
      const silverRows = [...ds[table], ...(ds.silverOnly[table] ?? [])];
      const byDt = new Map<string, Row[]>();
      for (const r of silverRows) byDt.set(utcDate(r.created), [...(byDt.get(utcDate(r.created)) ?? []), r]);
      for (const [dt, rows] of byDt)
        await this.putParquet(layout.silverPartition(table, dt), this.silverSelect(table, rows));
    }
    await this.buildGold();
  }

  /** Gold from the Silver just written, by the transform's own Gold SQL. */
  async buildGold(): Promise<void> {
    for (const table of SILVER_TABLES) {
      const keys = (await this.store.list(layout.silverEntityPrefix(table))).map((o) =>
        join(this.store.root, o.key),
      );
      const cols = SILVER_CONTRACTS[table].columns;
      const body = keys.length
        ? `select * from read_parquet(${sqlStringList(keys)}, hive_partitioning = false)`
        : `select ${cols.map((c) => `NULL::${c.type} as "${c.name}"`).join(', ')} limit 0`;
      await this.db.conn.run(`create or replace view silver_${table} as ${body}`);
    }
    for (const g of GOLD_CONTRACTS) {
      await this.db.conn.run(
        `create or replace temp table ${g.name} as ${renderGoldModel(await readModelSql('gold', g.name), NOW)}`,
      );
      const dts = await this.db.rows<{ dt: string }>(
        `select distinct dt::VARCHAR as dt from ${g.name} order by 1`,
      );
      for (const { dt } of dts) {
        await this.putParquet(
          layout.goldPartition(g.name, dt),
          `select * from ${g.name} where dt = DATE ${sqlString(dt)}`,
        );
      }
    }
  }

  /** Rewrites one Parquet object with a SELECT over its current content (`t`). */
  async rewrite(key: string, select: string): Promise<void> {
    const path = join(this.store.root, key);
    await this.db.conn.run(
      `create or replace temp table t as select * from read_parquet(${sqlString(path)}, hive_partitioning = false)`,
    );
    await this.putParquet(key, select);
  }
}

let work: string;
let lake: Lake;

beforeEach(async () => {
  work = await mkdtemp(join(tmpdir(), 'pp-quality-test-'));
  const db = await openDuckSession({ workDir: join(work, 'duck'), pathBase: join(work, 'lake') });
  lake = new Lake(new LocalObjectStore(join(work, 'lake')), db, work);
});

afterEach(async () => {
  lake.db.close();
  await rm(work, { recursive: true, force: true });
});

async function quality(
  env: Record<string, string> = {},
  now = NOW,
  scope: 'changed' | 'all' = 'changed',
): Promise<QualityReport> {
  return runQuality({
    store: lake.store,
    settings: parseSettings(env),
    logger: silentLogger(),
    runId: 'q1',
    until: now,
    scope,
  });
}

function check(report: QualityReport, name: string): CheckResult {
  const c = report.checks.find((x) => x.name === name);
  if (!c) throw new Error(`no check ${name}; have ${report.checks.map((x) => x.name).join(', ')}`);
  return c;
}

const failedNames = (r: QualityReport) => r.checks.filter((c) => !c.passed).map((c) => c.name);

describe('runQuality on a good lake', () => {
  it('passes every check, with the spec names', async () => {
    await lake.write(goodDataset());
    const report = await quality();
    expect(failedNames(report), renderQualityReport(report)).toEqual([]);
    expect(report.passed).toBe(true);
    const names = report.checks.map((c) => c.name);
    for (const t of SILVER_TABLES) {
      expect(names).toContain(`schema.silver.${t}`);
      expect(names).toContain(`reconcile.bronze_silver.${t}`);
    }
    for (const g of GOLD_CONTRACTS) {
      expect(names).toContain(`schema.gold.${g.name}`);
      expect(names).toContain(`freshness.${g.name}`);
    }
    expect(names).toEqual(
      expect.arrayContaining([
        'ref.charges.customer_id',
        'ref.balance_transactions.source_id',
        'reconcile.silver_gold.daily_overview_sales',
        'reconcile.silver_gold.fct_payments',
        'reconcile.silver_gold.dim_customers',
        'reconcile.webhooks_events',
      ]),
    );
    expect(check(report, 'reconcile.bronze_silver.charges').details).toMatchObject({
      bronze_distinct_ids: 3,
      silver_rows_checked: 3,
    });
    expect(check(report, 'reconcile.silver_gold.daily_overview_sales').details.totals).toEqual({
      sales_amount: { silver: 3500, gold: 3500 },
      sales_count: { silver: 2, gold: 2 },
    });
    expect(renderQualityReport(report)).toContain('quality passed');
  });
});

describe('runQuality on broken data names the broken rows', () => {
  it('an orphan charge fails ref.charges.customer_id', async () => {
    const ds = goodDataset();
    ds.charges.push({
      ...ds.charges[0]!,
      id: 'ch_orphan',
      customer_id: 'cus_404',
      balance_transaction_id: null,
    });
    await lake.write(ds);
    const report = await quality();
    expect(report.passed).toBe(false);
    expect(failedNames(report)).toContain('ref.charges.customer_id');
    expect(check(report, 'ref.charges.customer_id').details.orphans).toEqual({
      count: 1,
      examples: [{ id: 'ch_orphan', customer_id: 'cus_404', dt: utcDate(DAY1) }],
    });
    expect(renderQualityReport(report)).toContain('cus_404');
  });

  it('a polymorphic reference with a dangling or foreign id fails ref.balance_transactions.source_id', async () => {
    const ds = goodDataset();
    ds.balance_transactions.push(
      {
        id: 'txn_9',
        created: DAY2,
        source_id: 're_404',
        amount: 1,
        fee: 0,
        net: 1,
        currency: 'usd',
        type: 'refund',
      },
      {
        id: 'txn_10',
        created: DAY2,
        // an existing object, of a table no balance transaction can come from
        source_id: 'cus_1',
        amount: 1,
        fee: 0,
        net: 1,
        currency: 'usd',
        type: 'adjustment',
      },
    );
    await lake.write(ds);
    const c = check(await quality(), 'ref.balance_transactions.source_id');
    expect(c.passed).toBe(false);
    const orphans = c.details.orphans as { count: number; examples: Record<string, unknown>[] };
    expect(orphans.count).toBe(2);
    expect(orphans.examples).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ id: 'txn_9', source_id: 're_404' }),
        expect.objectContaining({
          id: 'txn_10',
          source_id: 'cus_1',
          reason: expect.stringContaining('none of'),
        }),
      ]),
    );
  });

  it('a duplicated id fails schema.silver.charges with the id and its partitions', async () => {
    const ds = goodDataset();
    ds.silverOnly.charges = [{ ...ds.charges[1]! }];
    await lake.write(ds);
    const report = await quality();
    const c = check(report, 'schema.silver.charges');
    expect(c.passed).toBe(false);
    expect(c.details.duplicated_keys).toEqual({
      count: 1,
      examples: [{ key: 'ch_2', copies: 2, partitions: [utcDate(DAY2)] }],
    });
    expect(check(report, 'reconcile.bronze_silver.charges').details.duplicated_in_silver).toMatchObject({
      count: 1,
    });
  });

  it('a Gold total off by one cent fails reconcile.silver_gold.daily_overview_sales with day, currency and amounts', async () => {
    await lake.write(goodDataset());
    const key = layout.goldPartition('daily_overview', utcDate(DAY1));
    await lake.rewrite(
      key,
      `select * replace (case when currency = 'usd' then sales_amount + 1 else sales_amount end as sales_amount) from t`,
    );
    const report = await quality();
    expect(report.passed).toBe(false);
    expect(failedNames(report)).toEqual(['reconcile.silver_gold.daily_overview_sales']);
    expect(check(report, 'reconcile.silver_gold.daily_overview_sales').details.mismatches).toEqual({
      count: 1,
      examples: [
        {
          date_day: utcDate(DAY1),
          currency: 'usd',
          silver: { sales_amount: 1000, sales_count: 1 },
          gold: { sales_amount: 1001, sales_count: 1 },
        },
      ],
    });
  });

  it('a charge missing from fct_payments fails reconcile.silver_gold.fct_payments naming it', async () => {
    await lake.write(goodDataset());
    await lake.rewrite(
      layout.goldPartition('fct_payments', utcDate(DAY2)),
      `select * from t where charge_id <> 'ch_3'`,
    );
    const c = check(await quality(), 'reconcile.silver_gold.fct_payments');
    expect(c.passed).toBe(false);
    expect(c.details.missing_in_gold).toMatchObject({
      count: 1,
      examples: [{ charge_id: 'ch_3', gold: null }],
    });
  });

  it('a dim_customers total that disagrees with Silver fails reconcile.silver_gold.dim_customers', async () => {
    await lake.write(goodDataset());
    await lake.rewrite(
      layout.goldPartition('dim_customers', utcDate(NOW)),
      `select * replace (case when customer_id = 'cus_2' then 0 else total_sales_amount end as total_sales_amount) from t`,
    );
    const c = check(await quality(), 'reconcile.silver_gold.dim_customers');
    expect(c.passed).toBe(false);
    expect(c.details.mismatches).toMatchObject({
      count: 1,
      examples: [
        { customer_id: 'cus_2', silver: { total_sales_amount: 2500 }, gold: { total_sales_amount: 0 } },
      ],
    });
  });

  it('a missing column and a wrong type fail schema.silver.refunds naming the column and partition', async () => {
    await lake.write(goodDataset());
    await lake.rewrite(
      layout.silverPartition('refunds', utcDate(DAY2)),
      `select * exclude (reason) replace (amount::VARCHAR as amount) from t`,
    );
    const c = check(await quality(), 'schema.silver.refunds');
    expect(c.passed).toBe(false);
    expect(c.details.column_mismatches).toEqual([
      {
        missing: ['reason'],
        wrong_type: [{ column: 'amount', expected: 'BIGINT', actual: 'VARCHAR' }],
        partitions: { count: 1, examples: [utcDate(DAY2)] },
      },
    ]);
  });

  it('an extra Gold column fails schema.gold.<model>', async () => {
    await lake.write(goodDataset());
    await lake.rewrite(layout.goldPartition('fct_invoices', utcDate(DAY2)), `select *, 1 as surprise from t`);
    const c = check(await quality(), 'schema.gold.fct_invoices');
    expect(c.passed).toBe(false);
    expect(c.details.column_mismatches).toEqual([
      { extra: ['surprise'], partitions: { count: 1, examples: [utcDate(DAY2)] } },
    ]);
  });

  it('stale data warns by default and fails with FRESHNESS_SEVERITY=error', async () => {
    await lake.write(goodDataset());
    const later = NOW + 3 * 86_400;
    const warned = await quality({}, later);
    const f = check(warned, 'freshness.fct_payments');
    expect(f).toMatchObject({ passed: false, severity: 'warn' });
    expect(f.details).toMatchObject({
      newest_business_ts: new Date((DAY2 + 4 * 3600) * 1000).toISOString(),
      max_hours: 26,
    });
    expect(warned.passed).toBe(true);
    const failed = await quality({ FRESHNESS_SEVERITY: 'error', FRESHNESS_MAX_HOURS: '90' }, later);
    expect(check(failed, 'freshness.daily_overview')).toMatchObject({ passed: false, severity: 'error' });
    expect(check(failed, 'freshness.fct_payments').passed).toBe(true);
    expect(failed.passed).toBe(false);
  });

  it('a Bronze id missing from Silver fails reconcile.bronze_silver.<entity> with the id and its Bronze key', async () => {
    const ds = goodDataset();
    ds.bronzeOnly.customers = [{ id: 'cus_lost', created: DAY2 + 100 }];
    ds.silverOnly.refunds = [
      {
        id: 're_ghost',
        created: DAY1 + 100,
        charge_id: 'ch_1',
        amount: 0,
        currency: 'usd',
        status: 'failed',
      },
    ];
    await lake.write(ds);
    const report = await quality();
    const c = check(report, 'reconcile.bronze_silver.customers');
    expect(c.passed).toBe(false);
    expect(c.details.missing_from_silver).toEqual({
      count: 1,
      examples: [{ id: 'cus_lost', bronze_key: layout.bronzePart('customers', utcDate(DAY2), RUN, 0) }],
    });
    expect(check(report, 'reconcile.bronze_silver.refunds').details.not_in_bronze).toEqual({
      count: 1,
      examples: [{ id: 're_ghost', dt: utcDate(DAY1) }],
    });
  });

  it('an object delivered only by webhook must reach its entity Silver', async () => {
    const ds = goodDataset();
    ds.bronzeOnly.webhook_events = [
      {
        id: 'evt_9',
        created: DAY2 + 7200,
        type: 'charge.succeeded',
        data_object_id: 'ch_web',
        data_object_type: 'charge',
      },
    ];
    await lake.write(ds);
    const report = await quality();
    const c = check(report, 'reconcile.bronze_silver.charges');
    expect(c.details.missing_from_silver).toEqual({
      count: 1,
      examples: [
        {
          id: 'ch_web',
          bronze_key: `bronze/source=stripe/entity=webhook_events/dt=${utcDate(DAY2)}/evt_9.json`,
        },
      ],
    });
    expect(check(report, 'reconcile.bronze_silver.webhook_events').details.missing_from_silver).toMatchObject(
      {
        count: 1,
        examples: [{ id: 'evt_9' }],
      },
    );
  });

  it('webhooks and API events that disagree give a warning, not a failure', async () => {
    const ds = goodDataset();
    ds.events.push({
      id: 'evt_4',
      created: DAY2 + 4 * 3600,
      type: 'charge.succeeded',
      data_object_id: 'ch_3',
      data_object_type: 'charge',
    });
    // same object, another type: the delivery's object still reaches Silver, so only this warns
    ds.webhook_events[1] = { ...ds.webhook_events[1]!, type: 'charge.updated' };
    await lake.write(ds);
    const report = await quality();
    const c = check(report, 'reconcile.webhooks_events');
    expect(c).toMatchObject({ passed: false, severity: 'warn' });
    expect(c.details.not_delivered_by_webhook).toMatchObject({
      count: 1,
      examples: [{ id: 'evt_4', type: 'charge.succeeded' }],
    });
    expect(c.details.disagree).toMatchObject({
      count: 1,
      examples: [{ id: 'evt_2', api: { type: 'charge.succeeded' }, webhook: { type: 'charge.updated' } }],
    });
    expect(failedNames(report)).toEqual(['reconcile.webhooks_events']);
    expect(report.passed).toBe(true);
  });
});

describe('Bronze -> Silver scope', () => {
  it("'changed' reads only partitions written since the last passing quality run; 'all' reads everything", async () => {
    const ds = goodDataset();
    ds.bronzeOnly.charges = [{ id: 'ch_old_lost', created: DAY1 + 500 }];
    await lake.write(ds);
    // every file is old: a day before the previous passing run started
    const old = new Date(Date.now() - 86_400_000);
    const files = await lake.store.list('');
    for (const o of files) await utimes(join(lake.store.root, o.key), old, old);
    await lake.store.put(
      layout.manifest('q0'),
      JSON.stringify({
        run_id: 'q0',
        status: 'succeeded',
        started_at: new Date(Date.now() - 3_600_000).toISOString(),
        quality: { passed: true, checks: [] },
      }),
    );
    const changed = check(await quality(), 'reconcile.bronze_silver.charges');
    expect(changed.passed).toBe(true);
    expect(changed.details).toMatchObject({ scope: 'changed', partitions_checked: [], bronze_files_read: 0 });

    const all = check(await quality({}, NOW, 'all'), 'reconcile.bronze_silver.charges');
    expect(all.passed).toBe(false);
    expect(all.details.missing_from_silver).toMatchObject({ examples: [{ id: 'ch_old_lost' }] });

    // a rebuilt Silver partition brings its day (and the Bronze its rows name) back into scope
    const key = layout.silverPartition('charges', utcDate(DAY1));
    await lake.rewrite(key, 'select * from t');
    const again = check(await quality(), 'reconcile.bronze_silver.charges');
    expect(again.details).toMatchObject({ partitions_checked: [utcDate(DAY1)] });
    expect(again.passed).toBe(false);
    expect(again.details.missing_from_silver).toMatchObject({ examples: [{ id: 'ch_old_lost' }] });
  });
});

describe('Bronze id cache', () => {
  it('takes the ids of Bronze read before from the cache, and still finds what Silver lost', async () => {
    await lake.write(goodDataset());
    const first = check(await quality(), 'reconcile.bronze_silver.charges');
    expect(first.passed).toBe(true);
    const filesRead = first.details.bronze_files_read as number;
    expect(filesRead).toBeGreaterThan(0);
    expect(first.details.bronze_files_from_id_cache).toBe(0);
    expect((await lake.store.list('_state/quality/bronze_ids/charges/')).map((o) => o.key)).toEqual([
      '_state/quality/bronze_ids/charges/run_q1.parquet',
    ]);

    const second = check(await quality(), 'reconcile.bronze_silver.charges');
    expect(second.passed).toBe(true);
    expect(second.details).toMatchObject({ bronze_files_read: 0, bronze_files_from_id_cache: filesRead });

    // Silver loses ch_1: the cached Bronze ids still name it
    const key = layout.silverPartition('charges', utcDate(DAY1));
    await lake.rewrite(key, `select * from t where id <> 'ch_1'`);
    const lost = check(await quality(), 'reconcile.bronze_silver.charges');
    expect(lost.passed).toBe(false);
    expect(lost.details.bronze_files_read).toBe(0);
    expect(lost.details.missing_from_silver).toMatchObject({ examples: [{ id: 'ch_1' }] });

    // scope 'all' reads every Bronze line again
    const all = check(await quality({}, NOW, 'all'), 'reconcile.bronze_silver.charges');
    expect(all.details).toMatchObject({ bronze_files_read: filesRead, bronze_files_from_id_cache: 0 });
    expect(all.passed).toBe(false);
  });

  it('merges its files past MAX_CACHE_FILES, and a merged cache still holds every id', async () => {
    await lake.write(goodDataset());
    await quality();
    const prefix = '_state/quality/bronze_ids/charges/';
    const first = await lake.store.get(`${prefix}run_q1.parquet`);
    for (let i = 0; i < MAX_CACHE_FILES; i++) await lake.store.put(`${prefix}run_old${i}.parquet`, first!);
    // a new Bronze object (a later version of ch_1) must be read and cached
    await lake.store.put(
      layout.bronzePart('charges', utcDate(DAY1), 'r2', 0),
      bronzeLine('charges', { id: 'ch_1', created: DAY1 + 3 * 3600 }),
    );
    const report = await runQuality({
      store: lake.store,
      settings: parseSettings({}),
      logger: silentLogger(),
      runId: 'q2',
      until: NOW,
    });
    const c = check(report, 'reconcile.bronze_silver.charges');
    expect(c.passed).toBe(true);
    expect(c.details).toMatchObject({ bronze_files_read: 1 });
    expect((await lake.store.list(prefix)).map((o) => o.key)).toEqual([`${prefix}run_q2.parquet`]);
    const again = check(await quality(), 'reconcile.bronze_silver.charges');
    expect(again.details).toMatchObject({ bronze_files_read: 0, bronze_distinct_ids: 3 });
    expect(again.passed).toBe(true);
  });
});
