import { mkdtemp, rm, utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { renderPartIds } from '../../src/bronze/part-ids.js';
import { parseSettings } from '../../src/config/settings.js';
import { GOLD_CONTRACTS } from '../../src/contracts/gold.js';
import { SILVER_CONTRACTS, SILVER_TABLES } from '../../src/contracts/silver.js';
import { openDuckSession } from '../../src/duckdb/session.js';
import { sqlString } from '../../src/duckdb/sql-template.js';
import { silentLogger } from '../../src/obs/logger.js';
import { MAX_CACHE_FILES } from '../../src/quality/bronze-id-cache.js';
import { renderQualityReport } from '../../src/quality/index.js';
import { openQualityContext } from '../../src/quality/quality-context.js';
import {
  RECONCILIATIONS,
  type Reconciliation,
  runReconciliation,
} from '../../src/quality/reconcile-silver-gold.js';
import type { CheckResult, QualityReport } from '../../src/quality/types.js';
import { indexColumns } from '../../src/state/key-index.js';
import { layout, utcDate } from '../../src/storage/layout.js';
import { LocalObjectStore } from '../../src/storage/local-store.js';
import { bronzeLine, DAY1, DAY2, goodDataset, Lake, NOW, type Row, RUN } from '../fixtures/quality-lake.js';
import { checkNamed, markCheckedBefore, qualityOf } from '../helpers/quality.js';

// The hand-written lake of test/fixtures/quality-lake.ts: good data passes every check; each test
// breaks one thing and expects the right check to fail naming the broken rows.

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
  return qualityOf(lake.store, now, { env, scope });
}

const check = checkNamed;

/** The named check, which must have failed. */
function failedCheck(report: QualityReport, name: string): CheckResult {
  const c = check(report, name);
  expect(c.passed, `${name} passed`).toBe(false);
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
    const c = failedCheck(await quality(), 'ref.balance_transactions.source_id');
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
    const c = failedCheck(report, 'schema.silver.charges');
    expect(c.details.duplicated_keys).toEqual({
      count: 1,
      examples: [{ key: 'ch_2', copies: 2, partitions: [utcDate(DAY2)] }],
    });
    expect(check(report, 'reconcile.bronze_silver.charges').details.duplicated_in_silver).toMatchObject({
      count: 1,
    });
  });

  it('a NULL id fails schema.silver.charges with its partition, whichever check reads the keys first', async () => {
    const ds = goodDataset();
    ds.silverOnly.charges = [{ ...ds.charges[1]!, id: null as unknown as string }];
    await lake.write(ds);
    const report = await quality({}, NOW, 'all');
    expect(failedCheck(report, 'schema.silver.charges').details).toMatchObject({
      keys_checked: 'all',
      null_keys: { count: 1, partitions: [utcDate(DAY2)] },
      duplicated_keys: { count: 0 },
    });
    expect(failedCheck(report, 'reconcile.bronze_silver.charges').details.not_in_bronze).toMatchObject({
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
    const c = failedCheck(await quality(), 'reconcile.silver_gold.fct_payments');
    expect(c.details.missing_in_gold).toMatchObject({
      count: 1,
      examples: [{ charge_id: 'ch_3', gold: null }],
    });
  });

  it('a row-level reconciliation over more keys than fit memory runs in key buckets, to the same result', async () => {
    await lake.write(goodDataset());
    await lake.rewrite(
      layout.goldPartition('fct_payments', utcDate(DAY2)),
      `select * replace (case when charge_id = 'ch_2' then amount + 1 else amount end as amount) from t where charge_id <> 'ch_3'`,
    );
    const r = RECONCILIATIONS.find((x) => x.name === 'reconcile.silver_gold.fct_payments')!;
    const ctx = await openQualityContext({
      store: lake.store,
      settings: parseSettings({}),
      logger: silentLogger(),
      runId: 'q-buckets',
      until: NOW,
      scope: 'all',
    });
    try {
      const whole = await runReconciliation(ctx, r);
      // a memory limit that fits one key per bucket: every key in a pass of its own
      const bucketed = await runReconciliation({ ...ctx, db: { ...ctx.db, memoryBytes: 1000 } }, r);
      expect(whole.passed).toBe(false);
      expect(whole.details.missing_in_gold).toMatchObject({ count: 1, examples: [{ charge_id: 'ch_3' }] });
      expect(whole.details.mismatches).toMatchObject({ count: 1, examples: [{ charge_id: 'ch_2' }] });
      expect(bucketed).toEqual(whole);
    } finally {
      await ctx.close();
    }
  });

  it('row fingerprints pass a good lake with the details the key-by-key comparison gives, and leave every difference to it', async () => {
    await lake.write(goodDataset());
    const ctx = await openQualityContext({
      store: lake.store,
      settings: parseSettings({}),
      logger: silentLogger(),
      runId: 'q-fingerprints',
      until: NOW,
      scope: 'all',
    });
    const as = (c: CheckResult, compared: string) => ({ ...c, details: { ...c.details, compared } });
    try {
      const rowLevel = RECONCILIATIONS.filter((r) => !r.absentIsZero);
      expect(rowLevel.length).toBeGreaterThan(0);
      for (const r of rowLevel) {
        const fast = await runReconciliation(ctx, r);
        const slow = await runReconciliation(ctx, r, false);
        expect(fast.details.compared, r.name).toBe('row fingerprints');
        expect(slow.passed, r.name).toBe(true);
        expect(as(fast, '-'), r.name).toEqual(as(slow, '-'));
      }
      // the same tuples on both sides, but a key twice in Gold: duplicated, whatever the hashes say
      type Tuples = readonly (readonly [string, string])[];
      // temp tables: DuckDB 1.5 failed to bind the comparison's own columns over a VALUES list
      let n = 0;
      const table = async (rows: Tuples) => {
        const t = `q_fp_${n++}`;
        await ctx.db.conn.run(
          `create temp table ${t} as ${rows.map(([k, v]) => `select '${k}' as k, ${v} as v`).join(' union all ')}`,
        );
        return `select k, v from ${t}`;
      };
      const literal = async (silver: Tuples, gold: Tuples): Promise<Reconciliation> => ({
        name: 'reconcile.test',
        keys: ['k'],
        measures: ['v'],
        silver: await table(silver),
        gold: await table(gold),
        absentIsZero: false,
      });
      const twice = await runReconciliation(
        ctx,
        await literal(
          [
            ['a', '1'],
            ['a', '1'],
          ],
          [
            ['a', '1'],
            ['a', '1'],
          ],
        ),
      );
      expect(twice.passed).toBe(false);
      expect(twice.details.duplicated_in_gold).toMatchObject({ count: 1, examples: [{ k: 'a' }] });
      // the same values and totals, on other keys
      const swapped = await runReconciliation(
        ctx,
        await literal(
          [
            ['a', '1'],
            ['b', '2'],
          ],
          [
            ['a', '2'],
            ['b', '1'],
          ],
        ),
      );
      expect(swapped.passed).toBe(false);
      expect(swapped.details.mismatches).toMatchObject({ count: 2 });
      // an integer and a decimal of one value agree
      const typed = await runReconciliation(
        ctx,
        await literal([['a', '1::BIGINT']], [['a', '1.00::DECIMAL(18, 2)']]),
      );
      expect(typed.details.compared).toBe('row fingerprints');
    } finally {
      await ctx.close();
    }
  });

  it('a dim_customers total that disagrees with Silver fails reconcile.silver_gold.dim_customers', async () => {
    await lake.write(goodDataset());
    await lake.rewrite(
      layout.goldPartition('dim_customers', utcDate(NOW)),
      `select * replace (case when customer_id = 'cus_2' then 0 else total_sales_amount end as total_sales_amount) from t`,
    );
    const c = failedCheck(await quality(), 'reconcile.silver_gold.dim_customers');
    expect(c.details.mismatches).toMatchObject({
      count: 1,
      examples: [
        { customer_id: 'cus_2', silver: { total_sales_amount: 2500 }, gold: { total_sales_amount: 0 } },
      ],
    });
  });

  it("dim_customers: the model and the check both count a customer without a currency in its first charge's", async () => {
    const ds = goodDataset();
    const charge = (id: string, hour: number, currency: string, amount: number) => ({
      id,
      created: DAY1 + hour * 3600,
      customer_id: 'cus_4',
      amount,
      amount_refunded: 0,
      currency,
      status: 'succeeded',
      refunded: false,
      disputed: false,
    });
    ds.customers.push({ id: 'cus_4', created: DAY1 + 3600, email: 'd@x.test' });
    // the first charge is in eur (created first; ids in the other order), then usd ones
    ds.charges.push(
      charge('ch_z4', 4, 'eur', 700),
      charge('ch_a4', 6, 'usd', 111),
      charge('ch_b4', 7, 'usd', 222),
    );
    await lake.write(ds);
    const good = check(await quality(), 'reconcile.silver_gold.dim_customers');
    expect(good.passed, JSON.stringify(good.details)).toBe(true);
    // Gold counting cus_4's usd charges instead: both sides must have taken eur
    await lake.rewrite(
      layout.goldPartition('dim_customers', utcDate(NOW)),
      `select * replace (case when customer_id = 'cus_4' then 333 else total_sales_amount end as total_sales_amount,
                         case when customer_id = 'cus_4' then 2 else total_sales_count end as total_sales_count) from t`,
    );
    const c = failedCheck(await quality(), 'reconcile.silver_gold.dim_customers');
    expect(c.details.mismatches).toMatchObject({
      count: 1,
      examples: [
        {
          customer_id: 'cus_4',
          silver: { total_sales_amount: 700, total_sales_count: 1 },
          gold: { total_sales_amount: 333, total_sales_count: 2 },
        },
      ],
    });
  });

  it('a missing column and a wrong type fail schema.silver.refunds naming the column and partition', async () => {
    await lake.write(goodDataset());
    await lake.rewrite(
      layout.silverPartition('refunds', utcDate(DAY2)),
      `select * exclude (reason) replace (amount::VARCHAR as amount) from t`,
    );
    const c = failedCheck(await quality(), 'schema.silver.refunds');
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
    const c = failedCheck(await quality(), 'schema.gold.fct_invoices');
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

  it('freshness reads the newest partition, and every partition when that one has no business time', async () => {
    await lake.write(goodDataset());
    const newest = check(await quality(), 'freshness.fct_payments');
    expect(newest.details).toMatchObject({
      read: `the newest partition (dt=${utcDate(DAY2)})`,
      newest_business_ts: new Date((DAY2 + 4 * 3600) * 1000).toISOString(),
    });
    await lake.rewrite(
      layout.goldPartition('fct_payments', utcDate(DAY2)),
      `select * replace (NULL::TIMESTAMPTZ as created_ts) from t`,
    );
    const whole = check(await quality(), 'freshness.fct_payments');
    expect(whole.details.read).toBe('every partition');
    // the older partition's newest charge: not the newest day's, and not NULL
    expect(whole.details.newest_business_ts).not.toBeNull();
    expect(Date.parse(whole.details.newest_business_ts as string) / 1000).toBeLessThan(DAY2);
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
    const c = failedCheck(report, 'reconcile.bronze_silver.customers');
    expect(c.details.missing_from_silver).toEqual({
      count: 1,
      examples: [{ id: 'cus_lost', bronze_key: layout.bronzePart('customers', utcDate(DAY2), RUN, 0) }],
    });
    expect(check(report, 'reconcile.bronze_silver.refunds').details.not_in_bronze).toEqual({
      count: 1,
      examples: [{ id: 're_ghost', dt: utcDate(DAY1) }],
    });
  });

  it('child tables: Silver rows must be the children of the latest parent version (reconcile.bronze_silver.subscription_items)', async () => {
    const ds = goodDataset();
    const t1 = DAY1 + 6 * 3600;
    const t2 = DAY2 + 6 * 3600;
    const item = (id: string) => ({
      id,
      object: 'subscription_item',
      created: t1,
      quantity: 1,
      subscription: 'sub_1',
    });
    // two versions of sub_1: si_a and si_b, then only si_b (si_a was removed)
    const version = (items: string[], at: number) =>
      `${JSON.stringify({
        data: {
          id: 'sub_1',
          object: 'subscription',
          created: DAY1 + 5 * 3600,
          customer: 'cus_2',
          items: { object: 'list', data: items.map(item), has_more: false },
        },
        meta: {
          entity: 'subscriptions',
          run_id: RUN,
          ingested_at: new Date(at * 1000).toISOString(),
          source: 'events',
          version_ts: at,
        },
      })}\n`;
    const itemRow = (id: string, deleted: boolean): Row => ({
      id,
      created: t1,
      subscription_id: 'sub_1',
      customer_id: 'cus_2',
      price_id: 'price_1',
      quantity: 1,
      is_deleted: deleted,
    });
    ds.subscription_items = [itemRow('si_a', false), itemRow('si_b', false), itemRow('si_ghost', false)];
    await lake.write(ds);
    await lake.store.put(
      layout.bronzePart('subscriptions', utcDate(t2), 'r2', 0),
      version(['si_a', 'si_b'], t1) + version(['si_b'], t2),
    );
    const c = failedCheck(await quality(), 'reconcile.bronze_silver.subscription_items');
    expect(c.details).toMatchObject({
      expected_children: 2,
      silver_rows: 3,
      missing_from_silver: { count: 0, examples: [] },
      not_in_latest_parent: { count: 1, examples: [{ key: 'si_ghost', dt: utcDate(t1) }] },
      wrong_is_deleted: { count: 1, examples: [{ key: 'si_a', is_deleted: false, in_latest_parent: false }] },
    });
    // the right keys, one row each, but si_a not marked deleted: wrong all the same
    ds.subscription_items = [itemRow('si_a', false), itemRow('si_b', false)];
    await rm(join(lake.store.root, 'silver'), { recursive: true, force: true });
    await lake.write(ds);
    expect(failedCheck(await quality(), 'reconcile.bronze_silver.subscription_items').details).toMatchObject({
      missing_from_silver: { count: 0 },
      not_in_latest_parent: { count: 0 },
      wrong_is_deleted: { count: 1, examples: [{ key: 'si_a', is_deleted: false, in_latest_parent: false }] },
    });
    // the right rows: si_a kept as deleted, si_b live
    ds.subscription_items = [itemRow('si_a', true), itemRow('si_b', false)];
    await rm(join(lake.store.root, 'silver'), { recursive: true, force: true });
    await lake.write(ds);
    expect(check(await quality(), 'reconcile.bronze_silver.subscription_items')).toMatchObject({
      passed: true,
      details: { expected_children: 2, silver_rows: 2 },
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

  it("webhooks vs events: 'changed' compares the days written since the last passing run, 'all' every day", async () => {
    await lake.write(goodDataset());
    await markCheckedBefore(lake.store);
    // an old day's delivery now disagrees with the API, and its file looks old
    await lake.rewrite(
      layout.silverPartition('webhook_events', utcDate(DAY1)),
      `select * replace ('charge.updated' as type) from t`,
    );
    await markCheckedBefore(lake.store);
    const changed = check(await quality(), 'reconcile.webhooks_events');
    expect(changed).toMatchObject({ passed: true, details: { partitions_checked: [], compared: 0 } });
    expect(changed.details).toMatchObject({ api_events: 3, webhook_events: 3 });

    const all = check(await quality({}, NOW, 'all'), 'reconcile.webhooks_events');
    expect(all.passed).toBe(false);
    expect(all.details).toMatchObject({ partitions_checked: 'all', compared: 3 });
    expect(all.details.disagree).toMatchObject({ count: 1, examples: [{ id: 'evt_1' }] });

    // a day written since (its partition rewritten as it was) comes back into scope with its rows
    await lake.rewrite(layout.silverPartition('events', utcDate(DAY1)), 'select * from t');
    const again = check(await quality(), 'reconcile.webhooks_events');
    expect(again.details).toMatchObject({ partitions_checked: [utcDate(DAY1)], compared: 1 });
    expect(again.details.disagree).toMatchObject({ count: 1, examples: [{ id: 'evt_1' }] });
  });
});

describe('Bronze -> Silver scope', () => {
  /** Every file a day old, and a run whose quality passed an hour ago: nothing changed since. */
  const checkedBefore = () => markCheckedBefore(lake.store);

  it("'changed' reads only partitions written since the last passing quality run; 'all' reads everything", async () => {
    const ds = goodDataset();
    ds.bronzeOnly.charges = [{ id: 'ch_old_lost', created: DAY1 + 500 }];
    await lake.write(ds);
    await checkedBefore();
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

  it("'changed' probes references of the partitions written since; a defect planted in an older one is found by scope all", async () => {
    await lake.write(goodDataset());
    // a charge of an old partition now names a customer nobody knows, and the file looks old
    await lake.rewrite(
      layout.silverPartition('charges', utcDate(DAY1)),
      `select * replace (case when id = 'ch_1' then 'cus_planted' else customer_id end as customer_id) from t`,
    );
    await checkedBefore();
    const changed = await quality();
    expect(changed.scope).toBe('changed');
    expect(check(changed, 'ref.charges.customer_id')).toMatchObject({
      passed: true,
      details: { partitions_checked: [], checked: 0 },
    });
    const all = await quality({}, NOW, 'all');
    expect(all.scope).toBe('all');
    expect(check(all, 'ref.charges.customer_id')).toMatchObject({
      passed: false,
      details: {
        partitions_checked: 'all',
        orphans: { examples: [{ id: 'ch_1', customer_id: 'cus_planted' }] },
      },
    });
    // a partition written since is probed again
    await lake.rewrite(layout.silverPartition('charges', utcDate(DAY1)), 'select * from t');
    const rewritten = check(await quality(), 'ref.charges.customer_id');
    expect(rewritten.passed).toBe(false);
    expect(rewritten.details.partitions_checked).toEqual([utcDate(DAY1)]);
    // repaired and written again: probed, and its reference resolves
    await lake.rewrite(
      layout.silverPartition('charges', utcDate(DAY1)),
      `select * replace (case when id = 'ch_1' then 'cus_1' else customer_id end as customer_id) from t`,
    );
    expect(check(await quality(), 'ref.charges.customer_id')).toMatchObject({
      passed: true,
      details: { partitions_checked: [utcDate(DAY1)], checked: 1 },
    });
  });

  it("'changed' checks the keys of the partitions written since against every partition; 'all' every key", async () => {
    await lake.write(goodDataset());
    // DAY1's charge now has DAY2's charge's id, and the file looks old
    const day1 = layout.silverPartition('charges', utcDate(DAY1));
    await lake.rewrite(day1, `select * replace (case when id = 'ch_1' then 'ch_2' else id end as id) from t`);
    await checkedBefore();
    const name = 'schema.silver.charges';
    expect(check(await quality(), name)).toMatchObject({
      passed: true,
      details: { keys_checked: 'changed partitions', duplicated_keys: { count: 0 } },
    });
    expect(check(await quality({}, NOW, 'all'), name)).toMatchObject({
      passed: false,
      details: { keys_checked: 'all', duplicated_keys: { count: 1 } },
    });
    // written since: its key is checked against the unchanged DAY2 as well
    await lake.rewrite(day1, 'select * from t');
    expect(check(await quality(), name)).toMatchObject({
      passed: false,
      details: {
        keys_checked: 'changed partitions',
        duplicated_keys: {
          count: 1,
          examples: [{ key: 'ch_2', copies: 2, partitions: [utcDate(DAY1), utcDate(DAY2)] }],
        },
      },
    });
  });

  it("'changed' compares Silver and Gold by day on the days either side wrote since; 'all' on every day", async () => {
    await lake.write(goodDataset());
    const goldKey = layout.goldPartition('daily_overview', utcDate(DAY1));
    const offByOne = `select * replace (case when currency = 'usd' then sales_amount + 1 else sales_amount end as sales_amount) from t`;
    await lake.rewrite(goldKey, offByOne);
    await checkedBefore();
    const name = 'reconcile.silver_gold.daily_overview_sales';
    // the planted total sits in a day no run has written since: only the full scope sees it
    expect(check(await quality(), name)).toMatchObject({ passed: true, details: { partitions_checked: [] } });
    const all = check(await quality({}, NOW, 'all'), name);
    expect(all).toMatchObject({ passed: false, details: { partitions_checked: 'all' } });
    expect(all.details.mismatches).toMatchObject({ count: 1, examples: [{ date_day: utcDate(DAY1) }] });
    // Gold written since: its day is compared, and only it
    await lake.rewrite(goldKey, 'select * from t');
    const gold = check(await quality(), name);
    expect(gold).toMatchObject({ passed: false, details: { partitions_checked: [utcDate(DAY1)] } });
    expect(gold.details.mismatches).toMatchObject({ count: 1, examples: [{ date_day: utcDate(DAY1) }] });
    // Silver written since brings its day in as well
    await lake.rewrite(layout.silverPartition('charges', utcDate(DAY2)), 'select * from t');
    expect(check(await quality(), name).details.partitions_checked).toEqual([utcDate(DAY1), utcDate(DAY2)]);
    // a row-level model compared by day: fct_invoices on the days written since
    expect(check(await quality(), 'reconcile.silver_gold.fct_invoices').details.partitions_checked).toEqual(
      [],
    );
  });

  it("'changed' compares fct_payments on the days of the charges whose balance transaction changed", async () => {
    const ds = goodDataset();
    // ch_1 (DAY1) is paid by a transaction dated DAY2
    ds.balance_transactions = ds.balance_transactions!.map((t) =>
      t.id === 'txn_1' ? { ...t, created: DAY2 + 3 * 3600 } : t,
    );
    await lake.write(ds);
    await checkedBefore();
    const name = 'reconcile.silver_gold.fct_payments';
    expect(check(await quality(), name)).toMatchObject({ passed: true, details: { partitions_checked: [] } });
    // txn_1's fee changes in Silver only: its partition is DAY2, the Gold row it feeds is DAY1's
    await lake.rewrite(
      layout.silverPartition('balance_transactions', utcDate(DAY2)),
      `select * replace (case when id = 'txn_1' then fee + 1 else fee end as fee) from t`,
    );
    const r = check(await quality(), name);
    expect(r).toMatchObject({
      passed: false,
      details: { partitions_checked: [utcDate(DAY1), utcDate(DAY2)] },
    });
    expect(r.details.mismatches).toMatchObject({ count: 1, examples: [{ charge_id: 'ch_1' }] });
  });

  /**
   * A child row its parents never listed, in a partition checked before: the changed scope reads
   * none of it (`scopeDetail` empty) and passes, the full scope names it.
   */
  async function plantedFoundByScopeAllOnly(name: string, key: string, scopeDetail: string): Promise<void> {
    expect(check(await quality(), name)).toMatchObject({
      passed: true,
      details: { scope: 'changed', [scopeDetail]: [], silver_rows: 0 },
    });
    const all = check(await quality({}, NOW, 'all'), name);
    expect(all).toMatchObject({ passed: false, details: { scope: 'all', [scopeDetail]: 'all' } });
    expect(all.details.not_in_latest_parent).toMatchObject({ examples: [{ key }] });
  }

  it("'changed' compares a child dated by its parent on the days written since; 'all' on every day", async () => {
    const ds = goodDataset();
    // a line in_1's Bronze never listed, in an old partition
    ds.invoice_line_items = [{ id: 'il_planted', created: DAY2 + 2 * 3600, invoice_id: 'in_1', amount: 100 }];
    await lake.write(ds);
    // an invoice of another day, checked before: the changed day below is not every day (when it
    // is, the check is the whole one)
    await lake.store.put(
      layout.bronzePart('invoices', utcDate(DAY1 + 3600), 'r0', 0),
      bronzeLine('invoices', { id: 'in_0', created: DAY1 + 3600 }),
    );
    await checkedBefore();
    const name = 'reconcile.bronze_silver.invoice_line_items';
    await plantedFoundByScopeAllOnly(name, 'il_planted', 'partitions_checked');
    // new Bronze of in_1's day brings that day back into scope
    await lake.store.put(
      layout.bronzePart('invoices', utcDate(DAY2 + 2 * 3600), 'r2', 0),
      bronzeLine('invoices', { id: 'in_1', created: DAY2 + 2 * 3600 }),
    );
    const again = check(await quality(), name);
    expect(again).toMatchObject({
      passed: false,
      details: { partitions_checked: [utcDate(DAY2 + 2 * 3600)] },
    });
    // new Bronze of the other day too: every day changed, so the whole check (still failing)
    await lake.store.put(
      layout.bronzePart('invoices', utcDate(DAY1 + 3600), 'r3', 0),
      bronzeLine('invoices', { id: 'in_0', created: DAY1 + 3600 }),
    );
    expect(check(await quality(), name)).toMatchObject({
      passed: false,
      details: { scope: 'all', partitions_checked: 'all' },
    });
  });

  it("'changed' compares subscription items (dated by themselves) for the parents changed since; 'all' for every parent", async () => {
    const ds = goodDataset();
    // an item sub_1 (created DAY1) never listed, in the partition of its own created day, DAY2
    const created = DAY2 + 2 * 3600;
    ds.subscription_items = [
      {
        id: 'si_planted',
        created,
        subscription_id: 'sub_1',
        customer_id: 'cus_2',
        price_id: 'price_1',
        quantity: 1,
      },
    ];
    await lake.write(ds);
    await checkedBefore();
    const name = 'reconcile.bronze_silver.subscription_items';
    await plantedFoundByScopeAllOnly(name, 'si_planted', 'parent_days_checked');
    // the item's partition written since brings its parent's created day into scope
    await lake.rewrite(layout.silverPartition('subscription_items', utcDate(created)), 'select * from t');
    const again = check(await quality(), name);
    expect(again).toMatchObject({ passed: false, details: { parent_days_checked: [utcDate(DAY1)] } });
    expect(again.details.not_in_latest_parent).toMatchObject({ examples: [{ key: 'si_planted' }] });
  });
});

describe('Bronze id sidecars', () => {
  it('give the ids of the part of their size; one of another size or short of ids is not trusted', async () => {
    await lake.write(goodDataset());
    const part = layout.bronzePart('charges', utcDate(DAY1), RUN, 0);
    const size = (await lake.store.head(part))!.size;
    const text = Buffer.from((await lake.store.get(part))!).toString('utf8');
    const ids = text
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as { data: { id: string } }).data.id);
    const charges = async () => check(await quality({}, NOW, 'all'), 'reconcile.bronze_silver.charges');
    const parsed = await charges();
    expect(parsed.details).toMatchObject({ bronze_files_from_sidecars: 0 });

    await lake.store.put(layout.bronzeIds(part), renderPartIds(size, ids));
    const vouched = await charges();
    expect(vouched.passed).toBe(true);
    expect(vouched.details).toMatchObject({
      bronze_files_from_sidecars: 1,
      bronze_files_read: (parsed.details.bronze_files_read as number) - 1,
    });

    // the ids come from the sidecar: one that names a ghost (same count) makes the check fail
    const ghost = [...ids.slice(0, -1), 'ch_ghost'];
    await lake.store.put(layout.bronzeIds(part), renderPartIds(size, ghost));
    const lied = await charges();
    expect(lied.passed).toBe(false);
    expect(lied.details.missing_from_silver).toMatchObject({ examples: [{ id: 'ch_ghost' }] });

    // not of the part's size, or fewer ids than its header says: the part is parsed again
    for (const body of [
      renderPartIds(size + 1, ghost),
      renderPartIds(size, ghost).replace(/\{"id":"ch_ghost"\}\n$/, ''),
    ]) {
      await lake.store.put(layout.bronzeIds(part), body);
      const distrusted = await charges();
      expect(distrusted.passed).toBe(true);
      expect(distrusted.details).toMatchObject({ bronze_files_from_sidecars: 0 });
    }
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
    const report = await qualityOf(lake.store, NOW, { runId: 'q2' });
    const c = check(report, 'reconcile.bronze_silver.charges');
    expect(c.passed).toBe(true);
    expect(c.details).toMatchObject({ bronze_files_read: 1 });
    expect((await lake.store.list(prefix)).map((o) => o.key)).toEqual([`${prefix}run_q2.parquet`]);
    const again = check(await quality(), 'reconcile.bronze_silver.charges');
    expect(again.details).toMatchObject({ bronze_files_read: 0, bronze_distinct_ids: 3 });
    expect(again.passed).toBe(true);
  });
});

describe('key index (changed scope)', () => {
  const checkedBefore = () => markCheckedBefore(lake.store);
  const charges = (dt: number) => layout.silverPartition('charges', utcDate(dt));
  const name = 'schema.silver.charges';
  const readIndex = async () =>
    JSON.parse(Buffer.from((await lake.store.get(layout.qualityKeyIndex()))!).toString('utf8')) as {
      tables: Record<string, { key: string[]; files: { name: string; parts: Record<string, string> }[] }>;
    };
  /** An object's mtime moved back a day past what it was: unchanged for the scope, another fingerprint. */
  const backdate = async (key: string, hours: number) => {
    const t = new Date(Date.now() - hours * 3_600_000);
    await utimes(join(lake.store.root, key), t, t);
  };

  it('a passing run writes it; the next looks the changed keys up in it, and a partition whose object changed since is read from its file', async () => {
    await lake.write(goodDataset());
    await checkedBefore();
    expect((await quality()).passed).toBe(true);
    const index = await readIndex();
    expect(index.tables['silver.charges']?.key).toEqual(['id']);
    expect(Object.keys(index.tables['silver.charges']!.files.at(-1)!.parts).sort()).toEqual([
      utcDate(DAY1),
      utcDate(DAY2),
    ]);

    // DAY1 written since, with DAY2's charge id: DAY2's keys come from the index, and hold it
    await lake.rewrite(
      charges(DAY1),
      `select * replace (case when id = 'ch_1' then 'ch_2' else id end as id) from t`,
    );
    expect(check(await quality(), name)).toMatchObject({
      passed: false,
      details: {
        keys_checked: 'changed partitions',
        partitions_from_key_index: 1,
        duplicated_keys: {
          count: 1,
          examples: [{ key: 'ch_2', partitions: [utcDate(DAY1), utcDate(DAY2)] }],
        },
      },
    });

    // DAY2 replaced by an object that looks old (unchanged for the scope) but is not the one the
    // index read: its keys come from its file, which no longer holds ch_2
    await lake.rewrite(
      charges(DAY2),
      `select * replace (case when id = 'ch_2' then 'ch_9' else id end as id) from t`,
    );
    await backdate(charges(DAY2), 30);
    expect(check(await quality(), name)).toMatchObject({
      passed: true,
      details: { partitions_from_key_index: 0, duplicated_keys: { count: 0 } },
    });
  });

  it('a partition read again stays retired in the older file: its old keys are not read a third time', async () => {
    await lake.write(goodDataset());
    await checkedBefore();
    expect((await quality()).passed).toBe(true);
    const first = (await readIndex()).tables['silver.charges']!.files.at(-1)!.name;
    // DAY1 rewritten as it was: read from its file, the first file keeps DAY2 and retires DAY1
    await lake.rewrite(charges(DAY1), 'select * from t');
    expect(check(await quality(), name)).toMatchObject({
      passed: true,
      details: { partitions_from_key_index: 1 },
    });
    const files = (await readIndex()).tables['silver.charges']!.files;
    expect(files.find((f) => f.name === first)?.parts).toEqual({
      [utcDate(DAY1)]: null,
      [utcDate(DAY2)]: expect.any(String),
    });
    // and again: DAY2 from the first file without its DAY1 rows, DAY1 from its file
    await lake.rewrite(charges(DAY1), 'select * from t');
    expect(check(await quality(), name)).toMatchObject({
      passed: true,
      details: { partitions_from_key_index: 1, duplicated_keys: { count: 0 } },
    });
  });

  it('on a store read by download (S3), a changed scope downloads the changed partitions, not every view', async () => {
    await lake.write(goodDataset());
    await checkedBefore();
    expect((await quality()).passed).toBe(true);
    await lake.rewrite(charges(DAY1), 'select * from t');
    /** The lake as S3 looks to the checks: no local root, every read a download (recorded). */
    const downloading = (downloads: string[]) =>
      new Proxy(lake.store, {
        get(target, prop) {
          if (prop === 'localRoot') return undefined;
          if (prop === 'getToFile')
            return (key: string, path: string) => {
              downloads.push(key);
              return target.getToFile(key, path);
            };
          const value = Reflect.get(target, prop, target) as unknown;
          return typeof value === 'function' ? value.bind(target) : value;
        },
      });
    const silverFiles = (keys: readonly string[]) =>
      keys.filter((k) => k.startsWith('silver/') && k.endsWith('/data.parquet'));
    const all = silverFiles((await lake.store.list('silver/')).map((o) => o.key));
    const changed: string[] = [];
    const report = await qualityOf(downloading(changed), NOW);
    expect(failedNames(report)).toEqual([]);
    // the changed partition, and at most one verified file a table (its columns stand for the
    // others'); webhook_events is read whole for the event types an endpoint receives
    const read = silverFiles(changed);
    expect(read).toContain(charges(DAY1));
    const tables = new Set(read.map((k) => k.split('/')[2]));
    const unchanged = read.filter((k) => k !== charges(DAY1) && !k.includes('entity=webhook_events'));
    expect(unchanged.length).toBeLessThanOrEqual(tables.size);
    expect(read.length).toBeLessThan(all.length);
    // scope all reads every file
    const everything: string[] = [];
    expect(failedNames(await qualityOf(downloading(everything), NOW, { scope: 'all' }))).toEqual([]);
    expect(new Set(silverFiles(everything))).toEqual(new Set(all));
  });

  it('an index file that cannot be read is not used: the keys come from the files', async () => {
    await lake.write(goodDataset());
    await checkedBefore();
    expect((await quality()).passed).toBe(true);
    const file = (await readIndex()).tables['silver.charges']!.files.at(-1)!;
    await lake.store.put(`_state/quality/keys/silver.charges/${file.name}.parquet`, 'not parquet');
    await lake.rewrite(
      charges(DAY1),
      `select * replace (case when id = 'ch_1' then 'ch_2' else id end as id) from t`,
    );
    // customers written since too: their unchanged day's keys come from their own index file
    await lake.rewrite(layout.silverPartition('customers', utcDate(DAY1)), 'select * from t');
    const report = await quality();
    expect(check(report, name)).toMatchObject({
      passed: false,
      details: { partitions_from_key_index: 0, duplicated_keys: { count: 1 } },
    });
    // the tables' index files are read in one statement: the unreadable one costs only its own
    expect(check(report, 'schema.silver.customers').details).toMatchObject({ partitions_from_key_index: 1 });
  });

  it('comparisons over a whole table read the columns the index keeps: a changed partition from its file, the rest from the index', async () => {
    const dim = 'reconcile.silver_gold.dim_customers';
    await lake.write(goodDataset());
    await checkedBefore();
    expect((await quality()).passed).toBe(true);
    const indexFile = async () =>
      `_state/quality/keys/silver.charges/${(await readIndex()).tables['silver.charges']!.files.at(-1)!.name}.parquet`;
    const columns = await lake.db.rows<{ name: string }>(
      `select name from parquet_schema('${join(lake.store.root, await indexFile())}') where num_children is null`,
    );
    expect(columns.map((c) => c.name)).toEqual([
      ...indexColumns('silver.charges', SILVER_CONTRACTS.charges),
      'dt',
    ]);

    // DAY1's ch_1 sold 1000 more in Silver, not in Gold: its partition is read from its file
    await lake.rewrite(
      charges(DAY1),
      `select * replace (case when id = 'ch_1' then amount + 1000 else amount end as amount) from t`,
    );
    expect(check(await quality(), dim)).toMatchObject({
      passed: false,
      details: {
        mismatches: {
          count: 1,
          examples: [
            {
              customer_id: 'cus_1',
              silver: { total_sales_amount: 2000 },
              gold: { total_sales_amount: 1000 },
            },
          ],
        },
      },
    });
    await lake.rewrite(
      charges(DAY1),
      `select * replace (case when id = 'ch_1' then 1000 else amount end as amount) from t`,
    );
    expect((await quality()).passed).toBe(true);

    // DAY2 is unchanged, so its values come from the index (proven by an index that lies about
    // ch_2); scope 'all' reads every partition from its file and passes
    const lying = (await readIndex()).tables['silver.charges']!.files.find((f) => f.parts[utcDate(DAY2)]);
    await lake.rewrite(
      `_state/quality/keys/silver.charges/${lying!.name}.parquet`,
      `select * replace (case when id = 'ch_2' then 9999 else amount end as amount) from t`,
    );
    expect(check(await quality(), dim)).toMatchObject({
      passed: false,
      details: { mismatches: { examples: [{ customer_id: 'cus_2', silver: { total_sales_amount: 9999 } }] } },
    });
    expect(check(await quality({}, NOW, 'all'), dim).passed).toBe(true);
  });

  it('an index file of an older release (the key and dt alone) is not used: the next passing run writes one with the columns', async () => {
    await lake.write(goodDataset());
    await checkedBefore();
    expect((await quality()).passed).toBe(true);
    const file = (await readIndex()).tables['silver.charges']!.files.at(-1)!;
    await lake.rewrite(`_state/quality/keys/silver.charges/${file.name}.parquet`, 'select id, dt from t');
    await lake.rewrite(charges(DAY1), 'select * from t');
    expect(check(await quality(), name)).toMatchObject({
      passed: true,
      details: { partitions_from_key_index: 0 },
    });
    await lake.rewrite(charges(DAY1), 'select * from t');
    expect(check(await quality(), name)).toMatchObject({
      passed: true,
      details: { partitions_from_key_index: 1 },
    });
  });

  it('the references of changed rows resolve against the index: a target that is gone from its file is an orphan', async () => {
    await lake.write(goodDataset());
    await checkedBefore();
    expect((await quality()).passed).toBe(true);
    // DAY1's customers lose cus_1 (the object looks old, another fingerprint), and a charge is written since
    const customers = layout.silverPartition('customers', utcDate(DAY1));
    await lake.rewrite(customers, `select * from t where id <> 'cus_1'`);
    await backdate(customers, 30);
    await lake.rewrite(charges(DAY1), 'select * from t');
    const report = await quality();
    const ref = check(report, 'ref.charges.customer_id');
    expect(ref.passed).toBe(false);
    expect(ref.details.orphans).toMatchObject({ examples: [{ id: 'ch_1', customer_id: 'cus_1' }] });
    // the charges' other keys, counted in the same statement, keep their own counts
    const charged = await lake.db.rows<{ bt: number; pi: number }>(
      `select count(balance_transaction_id)::INTEGER as bt, count(payment_intent_id)::INTEGER as pi
       from read_parquet(${sqlString(join(lake.store.root, charges(DAY1)))})`,
    );
    expect(check(report, 'ref.charges.balance_transaction_id')).toMatchObject({
      passed: true,
      details: { partitions_checked: [utcDate(DAY1)], checked: charged[0]!.bt },
    });
    expect(check(report, 'ref.charges.payment_intent_id').details.checked).toBe(charged[0]!.pi);
  });
});
