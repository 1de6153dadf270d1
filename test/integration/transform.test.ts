import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseSettings } from '../../src/config/settings.js';
import { silentLogger } from '../../src/obs/logger.js';
import { layout } from '../../src/storage/layout.js';
import { LocalObjectStore } from '../../src/storage/local-store.js';
import { BronzeParseError } from '../../src/transform/errors.js';
import { runTransform } from '../../src/transform/run-transform.js';
import { silverStateKey } from '../../src/transform/silver-state.js';
import {
  at,
  makeBalanceTransaction,
  makeCharge,
  makeCustomer,
  makeDispute,
  makeRefund,
  meta,
  writeBronze,
  writeObjects,
  writeWebhook,
} from '../fixtures/bronze/factories.js';

const R1 = '20240110T000000Z-aaaaaa';
const R2 = '20240111T000000Z-bbbbbb';
const settings = parseSettings({});
let root: string;
let store: LocalObjectStore;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'transform-it-'));
  store = new LocalObjectStore(root);
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

const run = (runId = 'r-test', extra: { fullRefresh?: boolean; until?: number } = {}) =>
  runTransform({ store, settings, logger: silentLogger(), runId, until: at('2024-01-20'), ...extra });

async function query<T = Record<string, unknown>>(sql: string): Promise<T[]> {
  const inst = await DuckDBInstance.create(':memory:');
  const conn = await inst.connect();
  await conn.run("set TimeZone = 'UTC'");
  const rows = (await conn.runAndReadAll(sql)).getRowObjectsJson() as T[];
  conn.closeSync();
  inst.closeSync();
  return rows;
}
const silver = (table: string, where = 'true') =>
  query(
    `select * from read_parquet('${root}/silver/source=stripe/entity=${table}/*/data.parquet', hive_partitioning=false) where ${where} order by id`,
  );
/** Some columns (SQL expressions) of a Silver table's rows, by id, as arrays. */
const silverTable = async (table: string, columns: readonly string[]) =>
  (
    await query(
      `select ${columns.join(', ')} from read_parquet('${root}/silver/source=stripe/entity=${table}/*/data.parquet', hive_partitioning=false) order by id`,
    )
  ).map((r) => Object.values(r));
const gold = (model: string) =>
  query(
    `select * exclude (dt), dt::VARCHAR as dt from read_parquet('${root}/gold/model=${model}/*/data.parquet', hive_partitioning=false)`,
  );

describe('Silver', () => {
  it('types real Stripe example objects (fixtures3.json)', async () => {
    const fx = JSON.parse(
      readFileSync(new URL('../fixtures/stripe/fixtures3.json', import.meta.url), 'utf8'),
    ).resources;
    const dt = '2009-02-13'; // created 1234567890
    for (const [entity, obj] of [
      ['charges', fx.charge],
      ['customers', fx.customer],
      ['payment_intents', fx.payment_intent],
      ['refunds', fx.refund],
      ['invoices', fx.invoice],
      ['subscriptions', fx.subscription],
      ['balance_transactions', fx.balance_transaction],
      ['disputes', fx.dispute],
      ['events', fx.event],
    ] as const) {
      await writeBronze(store, entity, dt, R1, [{ data: obj, meta: meta(entity, { run_id: R1 }) }]);
    }
    await run();
    // the first row of each Silver table, by the fields typing must get right
    const expected: Record<string, Record<string, unknown>> = {
      charges: {
        id: 'ch_1PgafuB7WZ01zgkWXYmPNZs8',
        amount: '100',
        amount_captured: '0',
        currency: 'usd',
        status: 'succeeded',
        paid: true,
        captured: false,
        balance_transaction_id: 'txn_1PgaxNB7WZ01zgkWEV3TLf40',
        customer_id: null,
        payment_method_type: 'card',
        card_brand: 'visa',
        outcome_type: 'type',
        created_ts: '2009-02-13 23:31:30+00',
        dt,
        livemode: false,
        is_deleted: false,
        _source: 'api',
        _run_id: R1,
      },
      customers: { id: 'cus_QXg1o8vcGmoR32', balance: '0', is_delinquent: false, currency: 'usd' },
      invoices: {
        customer_id: 'cus_QXg1o8vcGmoR32',
        subscription_id: 'subscription', // parent.subscription_details.subscription of the example
        amount_due: '1000',
        amount_remaining: '1000',
        line_item_count: '1',
        paid_at_ts: null,
        status: 'draft',
      },
      subscriptions: {
        status: 'active',
        cancel_at_period_end: true,
        canceled_at_ts: '2009-02-13 23:31:30+00',
      },
      balance_transactions: {
        source_id: 'ch_1PgafuB7WZ01zgkWXYmPNZs8',
        fee: '0',
        net: '100',
        available_on_ts: '2009-02-13 23:31:30+00',
      },
      disputes: {
        charge_id: 'ch_1PgafuB7WZ01zgkWXYmPNZs8',
        status: 'warning_needs_response',
        reason: 'general',
      },
      refunds: { charge_id: 'ch_1PgafuB7WZ01zgkWXYmPNZs8', amount: '100', status: 'succeeded' },
      events: {
        type: 'plan.created',
        data_object_id: 'price_1PgafmB7WZ01zgkW6dKueIc5',
        data_object_type: 'plan',
      },
    };
    for (const [table, row] of Object.entries(expected)) {
      const [first] = await silver(table);
      expect(first, table).toMatchObject(row);
    }
  });

  it('keeps the latest version: version time, then api > events > webhook, then the later run', async () => {
    const a = makeCharge({ status: 'pending' });
    const b = makeCharge();
    const v = at('2024-01-10');
    await writeBronze(store, 'charges', '2024-01-01', R1, [
      { data: { ...a, status: 'succeeded' }, meta: meta('charges', { version_ts: v + 5, source: 'events' }) },
      { data: a, meta: meta('charges', { version_ts: v, source: 'api' }) },
      { data: { ...b, status: 'failed' }, meta: meta('charges', { version_ts: v, source: 'events' }) },
      { data: { ...b, status: 'from-api' }, meta: meta('charges', { version_ts: v, source: 'api' }) },
    ]);
    await writeBronze(store, 'charges', '2024-01-01', R2, [
      {
        data: { ...b, status: 'later-run-api' },
        meta: meta('charges', { version_ts: v, source: 'api', run_id: R2 }),
      },
    ]);
    await run();
    const rows = await silver('charges');
    expect(rows).toHaveLength(2);
    expect(rows.find((r) => r.id === a.id)).toMatchObject({ status: 'succeeded', _source: 'events' });
    expect(rows.find((r) => r.id === b.id)).toMatchObject({ status: 'later-run-api', _run_id: R2 });
  });

  it('ignores unknown fields and gives NULL for missing ones', async () => {
    const { amount: _drop, ...noAmount } = makeCharge();
    await writeBronze(store, 'charges', '2024-01-01', R1, [
      { data: { ...noAmount, brand_new_field: { x: [1] } }, meta: meta('charges') },
    ]);
    await run();
    const [row] = await silver('charges');
    expect(row).toMatchObject({ amount: null, status: 'succeeded' });
  });

  it('fails on a line that is not JSON, naming key and line', async () => {
    const key = layout.bronzePart('charges', '2024-01-01', R1, 0);
    await store.put(
      key,
      `${JSON.stringify({ data: makeCharge(), meta: meta('charges') })}\n{"data": {oops\n`,
    );
    const err = await run().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BronzeParseError);
    expect(err).toMatchObject({ key, line: 2 });
    expect(await store.list('silver/')).toEqual([]);
  });

  it('fails on a field of the wrong JSON type, naming key and line', async () => {
    const key = await writeBronze(store, 'charges', '2024-01-01', R1, [
      { data: makeCharge(), meta: meta('charges') },
      { data: makeCharge(), meta: meta('charges') },
      { data: makeCharge({ amount: { value: 5 } }), meta: meta('charges') },
    ]);
    const err = (await run().catch((e: unknown) => e)) as BronzeParseError;
    expect(err).toBeInstanceOf(BronzeParseError);
    expect(err.key).toBe(key);
    expect(err.line).toBe(3);
    expect(err.message).toMatch(/data\.amount/);
  });

  it('routes webhook-delivered objects into their entity and keeps webhook_events by event date', async () => {
    const c = makeCharge({ status: 'pending' });
    await writeBronze(store, 'charges', '2024-01-01', R1, [
      { data: c, meta: meta('charges', { version_ts: at('2024-01-02') }) },
    ]);
    await writeWebhook(store, '2024-01-05', {
      id: 'evt_1',
      type: 'charge.succeeded',
      created: at('2024-01-04'),
      data: { object: { ...c, status: 'succeeded' } },
    });
    const cus = makeCustomer();
    await writeWebhook(store, '2024-01-05', {
      id: 'evt_2',
      type: 'customer.created',
      created: at('2024-01-01'),
      data: { object: cus },
    });
    await writeWebhook(store, '2024-01-06', {
      id: 'evt_3',
      type: 'customer.deleted',
      created: at('2024-01-06'),
      data: { object: { id: cus.id, object: 'customer', deleted: true } },
    });
    await run();
    expect(await silver('charges')).toMatchObject([{ id: c.id, status: 'succeeded', _source: 'webhook' }]);
    expect(await silver('customers')).toMatchObject([
      { id: cus.id, is_deleted: true, email: null, dt: '2024-01-01' },
    ]);
    const events = await silver('webhook_events');
    expect(events.map((e) => [e.id, e.dt])).toEqual([
      ['evt_1', '2024-01-04'],
      ['evt_2', '2024-01-01'],
      ['evt_3', '2024-01-06'],
    ]);
  });

  it('places a tombstone without `created` that arrives alone in its object partition', async () => {
    const cus = makeCustomer({ created: at('2024-01-02') });
    await writeObjects(store, 'customers', '2024-01-02', R1, [cus]);
    await run('r1');
    // a later run: the tombstone lands in Bronze under another date
    await writeBronze(store, 'customers', '2024-01-09', R2, [
      {
        data: { id: cus.id, object: 'customer', deleted: true },
        meta: meta('customers', {
          run_id: R2,
          source: 'events',
          version_ts: at('2024-01-11'),
          deleted: true,
        }),
      },
    ]);
    const report = await run('r2');
    expect(report.models['silver.customers']).toMatchObject({ partitions: 1, rows: 1 });
    expect(await silver('customers')).toMatchObject([
      { id: cus.id, is_deleted: true, dt: '2024-01-02', created_ts: '2024-01-02 01:00:00+00', email: null },
    ]);
    expect(await store.list('silver/source=stripe/entity=customers/dt=2024-01-09')).toEqual([]);
    // and a later rebuild of that partition keeps it there
    await writeBronze(store, 'customers', '2024-01-02', '20240112T000000Z-cccccc', [
      { data: makeCustomer({ created: at('2024-01-02') }), meta: meta('customers') },
    ]);
    await run('r3');
    expect((await silver('customers')).find((r) => r.id === cus.id)).toMatchObject({
      is_deleted: true,
      dt: '2024-01-02',
    });
  });
});

describe('incremental', () => {
  async function seed() {
    for (const dt of ['2024-01-01', '2024-01-02', '2024-01-03']) {
      await writeBronze(store, 'charges', dt, R1, [
        { data: makeCharge({ created: at(dt) }), meta: meta('charges') },
        { data: makeCharge({ created: at(dt), status: 'failed' }), meta: meta('charges') },
      ]);
    }
  }
  const bytes = async () => {
    const out: Record<string, string> = {};
    for (const o of [...(await store.list('silver/')), ...(await store.list('gold/'))]) {
      out[o.key] = Buffer.from((await store.get(o.key))!).toString('base64');
    }
    return out;
  };

  it('rebuilds nothing without new Bronze and leaves Parquet identical', async () => {
    await seed();
    const first = await run('r1');
    expect(first.models['silver.charges']).toMatchObject({ partitions: 3, rows: 6 });
    const before = await bytes();
    const second = await run('r2');
    expect(second.silverKeys).toEqual([]);
    expect(second.goldKeys).toEqual([]);
    expect(await bytes()).toEqual(before);
  });

  it('rebuilds only the partition with new Bronze', async () => {
    await seed();
    await run('r1');
    await writeBronze(store, 'charges', '2024-01-02', R2, [
      { data: makeCharge({ created: at('2024-01-02') }), meta: meta('charges', { run_id: R2 }) },
    ]);
    const r = await run('r2');
    expect(r.silverKeys).toEqual([layout.silverPartition('charges', '2024-01-02')]);
    expect(r.models['silver.charges']).toMatchObject({ partitions: 1, rows: 3 });
    expect(r.goldKeys.filter((k) => k.includes('fct_payments'))).toEqual([
      layout.goldPartition('fct_payments', '2024-01-02'),
    ]);
    expect(await silver('charges')).toHaveLength(7);
  });

  it('heals a crash between the Parquet write and the state write', async () => {
    await seed();
    await run('r1');
    const stateBefore = await store.get(silverStateKey('charges'));
    const c = makeCharge({ created: at('2024-01-03') });
    await writeBronze(store, 'charges', '2024-01-03', R2, [
      { data: c, meta: meta('charges', { run_id: R2 }) },
    ]);
    await run('r2');
    // simulate the crash: Parquet written, state not
    await store.put(silverStateKey('charges'), stateBefore!);
    const healed = await run('r3');
    expect(healed.models['silver.charges']).toMatchObject({ partitions: 1, rows: 3 });
    expect(await silver('charges')).toHaveLength(7);
    expect((await run('r4')).silverKeys).toEqual([]);
  });

  it('merges new versions into current Silver: the rows a full refresh gives, winners by the same order', async () => {
    const v = at('2024-01-10');
    const a = makeCharge({ status: 'pending', created: at('2024-01-01') });
    const b = makeCharge({ status: 'succeeded', created: at('2024-01-01') });
    const d = makeCharge({ status: 'succeeded', created: at('2024-01-02') });
    const c = makeCustomer({ created: at('2024-01-01') });
    await writeBronze(store, 'charges', '2024-01-01', R1, [
      { data: a, meta: meta('charges', { version_ts: v, source: 'api', run_id: R1 }) },
      { data: b, meta: meta('charges', { version_ts: v, source: 'api', run_id: R1 }) },
    ]);
    await writeBronze(store, 'charges', '2024-01-02', R1, [
      { data: d, meta: meta('charges', { version_ts: v, source: 'api', run_id: R1 }) },
    ]);
    await writeBronze(store, 'customers', '2024-01-01', R1, [
      { data: c, meta: meta('customers', { version_ts: v, source: 'api', run_id: R1 }) },
    ]);
    await run('r1');
    const e = makeCharge({ created: at('2024-01-03') });
    await writeBronze(store, 'charges', '2024-01-01', R2, [
      // newer: wins
      {
        data: { ...a, status: 'succeeded' },
        meta: meta('charges', { version_ts: v + 10, source: 'events', run_id: R2 }),
      },
      // older: the current row stays
      {
        data: { ...b, status: 'stale' },
        meta: meta('charges', { version_ts: v - 10, source: 'events', run_id: R2 }),
      },
    ]);
    await writeBronze(store, 'charges', '2024-01-02', R2, [
      // same version time from events: the current api row stays
      {
        data: { ...d, status: 'from-events' },
        meta: meta('charges', { version_ts: v, source: 'events', run_id: R2 }),
      },
    ]);
    await writeBronze(store, 'charges', '2024-01-03', R2, [
      { data: e, meta: meta('charges', { run_id: R2 }) },
    ]);
    // a tombstone without `created`: placed in its customer's partition
    await writeBronze(store, 'customers', '2024-01-10', R2, [
      {
        data: { id: c.id, object: 'customer', deleted: true },
        meta: meta('customers', { version_ts: v + 5, source: 'events', run_id: R2, deleted: true }),
      },
    ]);
    const r2 = await run('r2');
    expect(r2.models['silver.charges']).toMatchObject({ partitions: 3, rows: 4 });
    const charges = await silver('charges');
    const customers = await silver('customers');
    expect(charges.map((r) => [r.id, r.status, r._source])).toEqual(
      [
        [a.id, 'succeeded', 'events'],
        [b.id, 'succeeded', 'api'],
        [d.id, 'succeeded', 'api'],
        [e.id, e.status, 'api'],
      ].sort((x, y) => String(x[0]).localeCompare(String(y[0]))),
    );
    expect(customers).toHaveLength(1);
    expect(customers[0]).toMatchObject({ id: c.id, is_deleted: true, dt: '2024-01-01' });
    await run('r3', { fullRefresh: true });
    expect(await silver('charges')).toEqual(charges);
    expect(await silver('customers')).toEqual(customers);
  });

  it('an incremental merge picks the winner a full refresh picks, even with a reused run id', async () => {
    // Two versions of one charge at the same version time, source and run (the run id reused),
    // in two Bronze objects built apart: the merge sees one as a current Silver row, the full
    // dedup sees both at once. Both must rank by the shared order (_version_order.sql).
    const v = at('2024-01-10');
    const x = makeCharge({ status: 'pending', created: at('2024-01-01') });
    const version = (status: string, eventId: string) => ({
      data: { ...x, status },
      meta: meta('charges', { version_ts: v, source: 'events', run_id: R1, event_id: eventId }),
    });
    await writeBronze(store, 'charges', '2024-01-01', R1, [version('first', 'evt_b')], 0);
    await run(R1);
    await writeBronze(store, 'charges', '2024-01-01', R1, [version('second', 'evt_a')], 1);
    await run(R1);
    const merged = await silver('charges');
    expect(merged.map((r) => [r.id, r.status])).toEqual([[x.id, 'second']]);
    await run(R1, { fullRefresh: true });
    expect(await silver('charges')).toEqual(merged);
  });

  it('a child dated by its parent rebuilds only the days of the parents that changed', async () => {
    const invoice = (id: string, day: string, lines: string[], extra: Record<string, unknown> = {}) => ({
      id,
      object: 'invoice',
      created: at(day) + 3600,
      customer: 'cus_child_1',
      status: 'open',
      livemode: false,
      lines: {
        object: 'list',
        has_more: false,
        data: lines.map((l) => ({
          id: l,
          object: 'line_item',
          amount: 100,
          currency: 'usd',
          type: 'subscription',
        })),
      },
      ...extra,
    });
    const version = (data: Record<string, unknown>, run_id: string, v: number, over = {}) => ({
      data,
      meta: meta('invoices', { run_id, version_ts: v, ...over }),
    });
    await writeBronze(store, 'invoices', '2024-01-01', R1, [
      version(invoice('in_a', '2024-01-01', ['il_1', 'il_2']), R1, at('2024-01-10')),
    ]);
    // in_c, of in_b's day, does not change: its line stays in the day in_b's change rewrites
    await writeBronze(store, 'invoices', '2024-01-02', R1, [
      version(invoice('in_b', '2024-01-02', ['il_3']), R1, at('2024-01-10')),
      version(invoice('in_c', '2024-01-02', ['il_5']), R1, at('2024-01-10')),
    ]);
    await run(R1);
    const lines = async () => (await silver('invoice_line_items')).map((r) => [r.id, r.invoice_id, r.dt]);
    expect(await lines()).toEqual([
      ['il_1', 'in_a', '2024-01-01'],
      ['il_2', 'in_a', '2024-01-01'],
      ['il_3', 'in_b', '2024-01-02'],
      ['il_5', 'in_c', '2024-01-02'],
    ]);
    // a later version of in_b drops il_3 and lists il_4: only in_b's day is rewritten
    await writeBronze(store, 'invoices', '2024-01-02', R2, [
      version(invoice('in_b', '2024-01-02', ['il_4'], { status: 'paid' }), R2, at('2024-01-11')),
    ]);
    const r2 = await run(R2);
    expect(r2.models['silver.invoice_line_items']).toMatchObject({ partitions: 1, rows: 2 });
    const after = await silver('invoice_line_items');
    expect(after.map((r) => [r.id, r.invoice_id, r.invoice_status])).toEqual([
      ['il_1', 'in_a', 'open'],
      ['il_2', 'in_a', 'open'],
      ['il_4', 'in_b', 'paid'],
      ['il_5', 'in_c', 'open'],
    ]);
    await run('r3', { fullRefresh: true });
    expect(await silver('invoice_line_items')).toEqual(after);
    // a bare tombstone (no `created`: its day unknown) rebuilds the whole table: in_a's day is
    // written again, and in_b's lines, which the tombstone no longer lists, go
    await writeBronze(store, 'invoices', '2024-01-12', 'r4', [
      version({ id: 'in_b', object: 'invoice', deleted: true }, 'r4', at('2024-01-12'), {
        source: 'events',
        deleted: true,
      }),
    ]);
    const r4 = await run('r4');
    expect(r4.silverKeys).toContain(layout.silverPartition('invoice_line_items', '2024-01-01'));
    expect(await lines()).toEqual([
      ['il_1', 'in_a', '2024-01-01'],
      ['il_2', 'in_a', '2024-01-01'],
      ['il_5', 'in_c', '2024-01-02'],
    ]);
    const tombstoned = await silver('invoice_line_items');
    await run('r5', { fullRefresh: true });
    expect(await silver('invoice_line_items')).toEqual(tombstoned);
  });

  it('--full-refresh rebuilds everything to the same rows', async () => {
    await seed();
    await run('r1');
    const rows = await silver('charges');
    const r = await run('r2', { fullRefresh: true });
    expect(r.models['silver.charges']).toMatchObject({ partitions: 3 });
    expect(await silver('charges')).toEqual(rows);
  });
});

describe('Gold', () => {
  it('daily_overview equals a computation from the same inputs, to the cent', async () => {
    const cus = [
      makeCustomer({ currency: 'usd' }),
      makeCustomer({ currency: 'eur', created: at('2024-01-02') }),
    ];
    await writeObjects(store, 'customers', '2024-01-01', R1, [cus[0]!]);
    await writeObjects(store, 'customers', '2024-01-02', R1, [cus[1]!]);
    const charges = [
      makeCharge({ customer: cus[0]!.id, amount: 1234 }),
      makeCharge({ customer: cus[0]!.id, amount: 999, status: 'failed' }),
      makeCharge({ customer: cus[0]!.id, amount: 501 }),
      makeCharge({ customer: cus[1]!.id, amount: 700, currency: 'eur' }),
      makeCharge({ customer: cus[1]!.id, amount: 300, currency: 'eur', created: at('2024-01-02') }),
    ];
    const refunds = [makeRefund({ charge: charges[0]!.id, amount: 234, created: at('2024-01-02') })];
    await writeObjects(store, 'refunds', '2024-01-02', R1, refunds);
    const disputes = [makeDispute({ charge: charges[2]!.id, amount: 501 })];
    await writeObjects(store, 'disputes', '2024-01-01', R1, disputes);
    const bts = charges
      .filter((c) => c.status === 'succeeded')
      .map((c) => {
        const fee = Math.round(Number(c.amount) * 0.029) + 30;
        const bt = makeBalanceTransaction({
          source: c.id,
          amount: c.amount,
          fee,
          net: Number(c.amount) - fee,
          currency: c.currency,
          created: c.created,
        });
        c.balance_transaction = bt.id;
        return bt;
      });
    // a payout moves money to the bank: in the day's net (SPEC 8) and in payouts_amount
    const payout = makeBalanceTransaction({
      source: 'po_1',
      amount: -1000,
      fee: 0,
      net: -1000,
      currency: 'usd',
      type: 'payout',
      created: at('2024-01-02'),
    });
    for (const dt of ['2024-01-01', '2024-01-02']) {
      const day = [...bts, payout].filter((b) =>
        new Date(Number(b.created) * 1000).toISOString().startsWith(dt),
      );
      await writeObjects(store, 'balance_transactions', dt, R1, day);
    }
    await writeObjects(store, 'charges', '2024-01-01', R1, charges.slice(0, 4));
    await writeObjects(store, 'charges', '2024-01-02', R1, [charges[4]!]);
    await run();

    const expected = new Map<string, Record<string, number | string>>();
    const row = (ts: number, currency: string) => {
      const day = new Date(ts * 1000).toISOString().slice(0, 10);
      const k = `${day}|${currency}`;
      if (!expected.has(k)) {
        expected.set(k, {
          date_day: day,
          currency,
          sales_amount: 0,
          sales_count: 0,
          refunds_amount: 0,
          refunds_count: 0,
          disputes_amount: 0,
          disputes_count: 0,
          failed_charges_amount: 0,
          failed_charges_count: 0,
          fees_amount: 0,
          net_amount: 0,
          payouts_amount: 0,
          new_customers: 0,
          paying_customers: 0,
        });
      }
      return expected.get(k)! as Record<string, number>;
    };
    const payers = new Map<string, Set<string>>();
    for (const c of charges) {
      const r = row(Number(c.created), String(c.currency));
      if (c.status === 'succeeded') {
        r.sales_amount! += Number(c.amount);
        r.sales_count! += 1;
        const k = `${new Date(Number(c.created) * 1000).toISOString().slice(0, 10)}|${c.currency}`;
        payers.set(k, (payers.get(k) ?? new Set()).add(String(c.customer)));
        r.paying_customers = payers.get(k)!.size;
      } else {
        r.failed_charges_amount! += Number(c.amount);
        r.failed_charges_count! += 1;
      }
    }
    for (const x of refunds)
      Object.assign(row(x.created, x.currency), {
        refunds_amount: row(x.created, x.currency).refunds_amount! + x.amount,
        refunds_count: row(x.created, x.currency).refunds_count! + 1,
      });
    for (const x of disputes)
      Object.assign(row(x.created, x.currency), {
        disputes_amount: row(x.created, x.currency).disputes_amount! + x.amount,
        disputes_count: row(x.created, x.currency).disputes_count! + 1,
      });
    for (const b of [...bts, payout]) {
      const r = row(Number(b.created), String(b.currency));
      r.fees_amount! += Number(b.fee);
      r.net_amount! += Number(b.net);
      if (String(b.type).startsWith('payout')) r.payouts_amount! += Number(b.net);
    }
    for (const c of cus) row(Number(c.created), String(c.currency)).new_customers! += 1;

    const actual = (await gold('daily_overview'))
      .map(({ dt, ...r }) => {
        expect(dt).toBe(r.date_day);
        return Object.fromEntries(
          Object.entries(r).map(([k, v]) => [k, k === 'date_day' || k === 'currency' ? v : Number(v)]),
        );
      })
      .sort((a, b) => `${a.date_day}${a.currency}`.localeCompare(`${b.date_day}${b.currency}`));
    const want = [...expected.values()].sort((a, b) =>
      `${a.date_day}${a.currency}`.localeCompare(`${b.date_day}${b.currency}`),
    );
    expect(actual).toEqual(want);

    // dim_customers: one currency per customer, other currencies counted apart
    const dims = await gold('dim_customers');
    const d0 = dims.find((d) => d.customer_id === cus[0]!.id)!;
    const usdBts = bts.filter((b) => b.currency === 'usd');
    expect(d0).toMatchObject({
      currency: 'usd',
      total_sales_amount: '1735',
      total_sales_count: '2',
      total_refunds_amount: '234',
      failed_charges_count: '1',
      other_currency_charges: '0',
      total_fees: String(usdBts.reduce((a, b) => a + Number(b.fee), 0)),
      total_net: String(usdBts.reduce((a, b) => a + Number(b.net), 0)),
      dt: '2024-01-20',
    });
    expect(dims.find((d) => d.customer_id === cus[1]!.id)).toMatchObject({
      total_sales_amount: '1000',
      currency: 'eur',
    });

    // fct_payments: fee/net from the balance transaction, dispute flags
    const pay = await gold('fct_payments');
    expect(pay).toHaveLength(5);
    expect(pay.find((p) => p.charge_id === charges[2]!.id)).toMatchObject({
      is_disputed: true,
      dispute_status: 'needs_response',
      fee: '45',
      net: '456',
    });
  });
});

describe('Silver child tables (a child follows the latest version of its parent)', () => {
  const t1 = at('2024-01-05');
  const t2 = at('2024-01-12');
  const subCreated = at('2024-01-02');
  const invCreated = at('2024-01-04');
  const item = (id: string, quantity: number, created = subCreated) => ({
    id,
    object: 'subscription_item',
    created,
    quantity,
    subscription: 'sub_A',
    current_period_start: t1,
    current_period_end: t1 + 30 * 86_400,
    price: { id: `price_${id}`, object: 'price', product: 'prod_1' },
  });
  const sub = (items: unknown[]) => ({
    id: 'sub_A',
    object: 'subscription',
    created: subCreated,
    customer: 'cus_A',
    status: 'active',
    items: { object: 'list', data: items, has_more: false },
  });
  // current API shape: links under `parent`, `pricing.price_details`
  const lineNew = {
    id: 'il_1',
    object: 'line_item',
    amount: 1900,
    currency: 'usd',
    quantity: 1,
    discount_amounts: [],
    period: { start: invCreated, end: invCreated + 30 * 86_400 },
    parent: {
      type: 'subscription_item_details',
      subscription_item_details: { subscription: 'sub_A', subscription_item: 'si_1', proration: false },
    },
    pricing: { price_details: { price: 'price_new', product: 'prod_1' } },
  };
  // an older API version's shape: `price` object, `type`, `proration`, `subscription`
  const lineOld = {
    id: 'il_2',
    object: 'line_item',
    amount: -500,
    currency: 'usd',
    quantity: 2,
    type: 'invoiceitem',
    proration: true,
    subscription: 'sub_A',
    discount_amounts: [{ amount: 100 }, { amount: 50 }],
    period: { start: invCreated, end: invCreated + 86_400 },
    price: { id: 'price_old', object: 'price', product: 'prod_2' },
  };
  const invoice = (status: string, lines: unknown[], hasMore: boolean) => ({
    id: 'in_A',
    object: 'invoice',
    created: invCreated,
    customer: 'cus_A',
    status,
    subscription: 'sub_A',
    lines: { object: 'list', data: lines, has_more: hasMore },
  });
  /** Subscription `id`, created on `day`, listing `items` (sub_A's shape otherwise). */
  const subOf = (id: string, day: string, items: unknown[], over: Record<string, unknown> = {}) => ({
    ...sub(items),
    id,
    created: at(day),
    ...over,
  });
  /** Item `id` of subscription `subId`. */
  const itemOf = (subId: string, id: string, quantity = 1, created = subCreated) => ({
    ...item(id, quantity, created),
    subscription: subId,
  });
  /** Silver subscription items: key, state and day, then `extra` columns and `_run_id`. */
  const itemRows = (...extra: string[]) =>
    silverTable('subscription_items', [
      'id',
      'subscription_id',
      'quantity::INTEGER',
      'is_deleted',
      'dt',
      ...extra,
      '_run_id',
    ]);
  const page = (
    entity: string,
    parent: { entity: string; id: string; version_ts: number; count: number },
    data: Record<string, unknown>,
  ) => ({
    data,
    meta: { ...meta(entity, { run_id: R1, version_ts: parent.version_ts }), parent },
  });

  it('subscription items (dated by themselves) are rebuilt for the subscriptions that changed only, in whichever partitions they sit', async () => {
    const v = (run_id: string, version_ts: number) =>
      meta('subscriptions', { run_id, version_ts, source: 'events' });
    // sub_D, created the same day as sub_A, does not change: its item's partition (another day)
    // is not rewritten
    await writeBronze(store, 'subscriptions', '2024-01-02', R1, [
      { data: sub([item('si_1', 1), item('si_2', 1)]), meta: v(R1, t1) },
      { data: subOf('sub_D', '2024-01-02', [itemOf('sub_D', 'si_7', 1, at('2024-01-07'))]), meta: v(R1, t1) },
    ]);
    await writeBronze(store, 'subscriptions', '2024-01-03', R1, [
      { data: subOf('sub_B', '2024-01-03', [itemOf('sub_B', 'si_3', 1, at('2024-01-03'))]), meta: v(R1, t1) },
    ]);
    await writeBronze(store, 'subscriptions', '2024-01-05', R1, [
      { data: subOf('sub_C', '2024-01-05', [itemOf('sub_C', 'si_5', 1, at('2024-01-05'))]), meta: v(R1, t1) },
    ]);
    await run(R1);
    // sub_A drops si_1 and adds si_4, created on another day: the day sub_C's item sits in
    await writeBronze(store, 'subscriptions', '2024-01-02', R2, [
      { data: sub([item('si_2', 2), item('si_4', 1, at('2024-01-05'))]), meta: v(R2, t2) },
    ]);
    const r2 = await run(R2);
    expect(r2.silverKeys.filter((k) => k.includes('entity=subscription_items/'))).toEqual([
      layout.silverPartition('subscription_items', '2024-01-02'),
      layout.silverPartition('subscription_items', '2024-01-05'),
    ]);
    const items = () => itemRows();
    const after = await items();
    expect(after).toEqual([
      ['si_1', 'sub_A', 1, true, '2024-01-02', R1],
      ['si_2', 'sub_A', 2, false, '2024-01-02', R2],
      ['si_3', 'sub_B', 1, false, '2024-01-03', R1],
      ['si_4', 'sub_A', 1, false, '2024-01-05', R2],
      ['si_5', 'sub_C', 1, false, '2024-01-05', R1],
      ['si_7', 'sub_D', 1, false, '2024-01-07', R1],
    ]);
    await run('r3', { fullRefresh: true });
    expect(await items()).toEqual(after);
  });

  it('subscription items merge from the new versions alone where those tell everything, else are rebuilt from every version; a full refresh gives the same rows', async () => {
    const lines: { msg: string; model?: string }[] = [];
    const logger = pino({ level: 'debug' }, { write: (s: string) => lines.push(JSON.parse(s)) });
    const paths = () =>
      lines
        .filter((l) => l.model === 'silver.subscription_items' && l.msg.startsWith('children '))
        .map((l) => l.msg);
    const incremental = async (runId: string) => {
      lines.length = 0;
      await runTransform({ store, settings, logger, runId, until: at('2024-01-20') });
      return paths();
    };
    const put = (runId: string, day: string, versions: [Record<string, unknown>, number][]) =>
      writeBronze(
        store,
        'subscriptions',
        day,
        runId,
        versions.map(([data, version_ts]) => ({
          data,
          meta: meta('subscriptions', { run_id: runId, version_ts, source: 'events' }),
        })),
      );
    const items = () => itemRows('_version_ts::INTEGER');
    // each incremental result, then a full refresh of the same Bronze: the same rows
    const sameAsFullRefresh = async (runId: string) => {
      const incrementalRows = await items();
      await run(`${runId}-full`, { fullRefresh: true });
      expect(await items()).toEqual(incrementalRows);
      return incrementalRows;
    };
    const [r1, r2, r3, r4, r5] = [
      '20240110T000000Z-r1',
      '20240111T000000Z-r2',
      '20240112T000000Z-r3',
      '20240113T000000Z-r4',
      '20240114T000000Z-r5',
    ];
    const t3 = t2 + 86_400;
    await put(r1, '2024-01-02', [
      [subOf('sub_A', '2024-01-02', [itemOf('sub_A', 'si_1'), itemOf('sub_A', 'si_2')]), t1],
    ]);
    await put(r1, '2024-01-03', [[subOf('sub_B', '2024-01-03', [itemOf('sub_B', 'si_3')]), t1]]);
    await put(r1, '2024-01-05', [[subOf('sub_C', '2024-01-05', [itemOf('sub_C', 'si_5')]), t1]]);
    await run(r1);

    // two new versions of sub_B in one run (si_6 added, then removed); sub_A drops si_1: merged
    await put(r2, '2024-01-02', [[subOf('sub_A', '2024-01-02', [itemOf('sub_A', 'si_2', 2)]), t2]]);
    await put(r2, '2024-01-03', [
      [subOf('sub_B', '2024-01-03', [itemOf('sub_B', 'si_3'), itemOf('sub_B', 'si_6')]), t2],
      [subOf('sub_B', '2024-01-03', [itemOf('sub_B', 'si_3', 4)]), t3],
    ]);
    // the parent built first (as two tables at a time may): its current row is its new version
    await runTransform({
      store,
      settings,
      logger,
      runId: r2,
      until: at('2024-01-20'),
      silverTables: ['subscriptions'],
      gold: false,
    });
    expect(await incremental(r2)).toEqual(["children merged from their parents' new versions"]);
    expect(await sameAsFullRefresh(r2)).toEqual([
      ['si_1', 'sub_A', 1, true, '2024-01-02', t1, r1],
      ['si_2', 'sub_A', 2, false, '2024-01-02', t2, r2],
      ['si_3', 'sub_B', 4, false, '2024-01-02', t3, r2],
      ['si_5', 'sub_C', 1, false, '2024-01-02', t1, r1],
      ['si_6', 'sub_B', 1, true, '2024-01-02', t2, r2],
    ]);

    // a late version of sub_A (older than its latest) lists si_1 again: still removed, its row
    // now from that version; si_2 keeps its row from the latest version
    await put(r3, '2024-01-02', [
      [subOf('sub_A', '2024-01-02', [itemOf('sub_A', 'si_1', 5), itemOf('sub_A', 'si_2')]), t1 + 3_600],
    ]);
    expect(await incremental(r3)).toEqual(["children merged from their parents' new versions"]);
    expect((await sameAsFullRefresh(r3)).filter((r) => r[1] === 'sub_A')).toEqual([
      ['si_1', 'sub_A', 5, true, '2024-01-02', t1 + 3_600, r3],
      ['si_2', 'sub_A', 2, false, '2024-01-02', t2, r2],
    ]);

    // sub_C's new version embeds part of its items (has_more): its children need the fetch
    await put(r4, '2024-01-05', [
      [
        subOf('sub_C', '2024-01-05', [itemOf('sub_C', 'si_5', 2)], {
          items: { object: 'list', data: [itemOf('sub_C', 'si_5', 2)], has_more: true },
        }),
        t3,
      ],
    ]);
    expect(await incremental(r4)).toEqual(['children rebuilt from every version of their parents']);
    await sameAsFullRefresh(r4);

    // sub_B deleted (a tombstone listing its items): they are is_deleted, from the new version
    await put(r5, '2024-01-03', [
      [subOf('sub_B', '2024-01-03', [itemOf('sub_B', 'si_3', 4)], { deleted: true }), t3 + 60],
    ]);
    expect(await incremental(r5)).toEqual(["children merged from their parents' new versions"]);
    expect((await sameAsFullRefresh(r5)).filter((r) => r[1] === 'sub_B')).toEqual([
      ['si_3', 'sub_B', 4, true, '2024-01-02', t3 + 60, r5],
      ['si_6', 'sub_B', 1, true, '2024-01-02', t2, r2],
    ]);
  });

  it('items removed by a later subscription version are is_deleted; lines are those of the latest invoice version, fetched pages included', async () => {
    const v1 = meta('subscriptions', { run_id: R1, version_ts: t1, source: 'events' });
    await writeBronze(store, 'subscriptions', '2024-01-02', R1, [
      { data: sub([item('si_1', 1), item('si_2', 1)]), meta: v1 },
    ]);
    // the invoice embeds one line of two (has_more); the fetch by parent brought both
    await writeBronze(store, 'invoices', '2024-01-04', R1, [
      { data: invoice('open', [lineNew], true), meta: meta('invoices', { run_id: R1, version_ts: t1 }) },
    ]);
    const fetch = { entity: 'invoices', id: 'in_A', version_ts: t1, count: 2 };
    await writeBronze(store, 'invoice_line_items', '2024-01-04', R1, [
      page('invoice_line_items', fetch, lineNew),
      page('invoice_line_items', fetch, lineOld),
    ]);
    // payouts: a complete read (2 of 2) and a later, interrupted one (1 of 3) that must not count
    await writeBronze(store, 'payouts', '2024-01-06', R1, [
      {
        data: { id: 'po_A', object: 'payout', created: at('2024-01-06'), amount: 10, status: 'paid' },
        meta: meta('payouts', { run_id: R1, version_ts: t2 }),
      },
    ]);
    const bt = (id: string) => ({ id, object: 'balance_transaction', created: at('2024-01-03') });
    const complete = { entity: 'payouts', id: 'po_A', version_ts: t1, count: 2 };
    const partial = { entity: 'payouts', id: 'po_A', version_ts: t2, count: 3 };
    await writeBronze(store, 'payout_balance_transactions', '2024-01-06', R1, [
      page('payout_balance_transactions', complete, bt('txn_1')),
      page('payout_balance_transactions', complete, bt('txn_2')),
      page('payout_balance_transactions', partial, bt('txn_9')),
    ]);
    await run(R1);

    expect(
      await silverTable('subscription_items', [
        'id',
        'quantity::INTEGER',
        'is_deleted',
        'price_id',
        'customer_id',
        'dt',
      ]),
    ).toEqual([
      ['si_1', 1, false, 'price_si_1', 'cus_A', '2024-01-02'],
      ['si_2', 1, false, 'price_si_2', 'cus_A', '2024-01-02'],
    ]);
    expect(
      await silverTable('invoice_line_items', [
        'id',
        'invoice_id',
        'subscription_id',
        'subscription_item_id',
        'price_id',
        'product_id',
        'line_type',
        'is_proration',
        'amount::INTEGER',
        'discount_amount::INTEGER',
        'invoice_status',
        'dt',
      ]),
    ).toEqual([
      [
        'il_1',
        'in_A',
        'sub_A',
        'si_1',
        'price_new',
        'prod_1',
        'subscription',
        false,
        1900,
        0,
        'open',
        '2024-01-04',
      ],
      [
        'il_2',
        'in_A',
        'sub_A',
        null,
        'price_old',
        'prod_2',
        'invoiceitem',
        true,
        -500,
        150,
        'open',
        '2024-01-04',
      ],
    ]);
    expect(
      await query(
        `select payout_id, balance_transaction_id, dt::VARCHAR as dt from read_parquet('${root}/silver/source=stripe/entity=payout_balance_transactions/*/data.parquet') order by all`,
      ),
    ).toEqual([
      { payout_id: 'po_A', balance_transaction_id: 'txn_1', dt: '2024-01-06' },
      { payout_id: 'po_A', balance_transaction_id: 'txn_2', dt: '2024-01-06' },
    ]);

    // a later run: si_1 removed and si_2's quantity changed; the invoice paid, now listing one line
    await writeBronze(store, 'subscriptions', '2024-01-02', R2, [
      {
        data: sub([item('si_2', 3)]),
        meta: meta('subscriptions', { run_id: R2, version_ts: t2, source: 'events' }),
      },
    ]);
    await writeBronze(store, 'invoices', '2024-01-04', R2, [
      { data: invoice('paid', [lineNew], false), meta: meta('invoices', { run_id: R2, version_ts: t2 }) },
    ]);
    await run(R2);
    expect(
      await silverTable('subscription_items', ['id', 'quantity::INTEGER', 'is_deleted', '_run_id']),
    ).toEqual([
      ['si_1', 1, true, R1],
      ['si_2', 3, false, R2],
    ]);
    expect(await silverTable('invoice_line_items', ['id', 'invoice_status', '_version_ts::DOUBLE'])).toEqual([
      ['il_1', 'paid', t2],
    ]);
  });
});
