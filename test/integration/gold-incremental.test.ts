import { cp, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseSettings } from '../../src/config/settings.js';
import { GOLD_CONTRACTS } from '../../src/contracts/gold.js';
import { SILVER_TABLES } from '../../src/contracts/silver.js';
import { startMockApi } from '../../src/mock/index.js';
import { silentLogger } from '../../src/obs/logger.js';
import { openRunView, promote } from '../../src/state/promote.js';
import { LocalObjectStore } from '../../src/storage/local-store.js';
import { runTransform } from '../../src/transform/run-transform.js';
import {
  at,
  makeBalanceTransaction,
  makeCharge,
  makeCustomer,
  makeDispute,
  makeRefund,
  meta,
  writeBronze,
} from '../fixtures/bronze/factories.js';
import { runCli } from '../helpers/cli.js';
import { snapshotLake } from '../helpers/crash.js';
import { readLayer } from '../helpers/lake.js';
import { advanceMockClock } from '../helpers/mock-control.js';
import {
  CHANGES_DEFAULT_DAYS,
  CHANGES_NOW,
  CHANGES_STEP,
  CHANGES_WORLD,
  censusOf,
} from '../helpers/truth-compare.js';

// SPEC 14 / issue #21 item 1: an incremental Gold build recomputes only the partitions its
// declared dependencies say changed. Whatever it skips must equal what a full refresh of the same
// Bronze computes: every Silver table and Gold model, row for row.

const settings = parseSettings({});
let root: string;
let fullRoot: string;
let store: LocalObjectStore;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'gold-incr-'));
  fullRoot = await mkdtemp(join(tmpdir(), 'gold-full-'));
  store = new LocalObjectStore(root);
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
  await rm(fullRoot, { recursive: true, force: true });
});

/**
 * A run's transform, staged and promoted as run-all does (`staged`, the default) or straight into
 * the lake; returns, per Gold model, how many dts it computed ('all' when whole; for dim_customers
 * computed for the customers touched, `<n> touched`).
 */
async function transform(
  on: LocalObjectStore,
  runId: string,
  until: number,
  opts: { fullRefresh?: boolean; staged?: boolean } = {},
): Promise<Record<string, number | string>> {
  const computed: Record<string, number | string> = {};
  const logger = pino(
    { level: 'info' },
    {
      write: (line: string) => {
        const entry = JSON.parse(line) as {
          msg: string;
          model?: string;
          computed?: number | 'all';
          touched?: number;
        };
        if (entry.msg === 'gold built' && entry.model)
          computed[entry.model] = entry.touched === undefined ? entry.computed! : `${entry.touched} touched`;
      },
    },
  );
  const fullRefresh = opts.fullRefresh ?? false;
  if (opts.staged === false) {
    await runTransform({ store: on, settings, logger, runId, until, fullRefresh });
    return computed;
  }
  const view = await openRunView(on, runId);
  await runTransform({ store: view, settings, logger, runId, until, fullRefresh });
  await promote({ view, runId, pointers: [], logger: silentLogger() });
  return computed;
}

let part = 0;
/** API objects as a Bronze part of its own, versioned by the run that fetched them. */
const put = (entity: string, dt: string, runId: string, version: number, objects: object[]) =>
  writeBronze(
    store,
    entity,
    dt,
    runId,
    objects.map((data) => ({
      data: data as Record<string, unknown>,
      meta: meta(entity, { run_id: runId, version_ts: version }),
    })),
    part++,
  );

const price = {
  id: 'price_m',
  object: 'price',
  created: at('2023-12-01'),
  currency: 'usd',
  type: 'recurring',
  recurring: { interval: 'month', interval_count: 1 },
  active: true,
};

function invoice(id: string, day: string, over: Record<string, unknown>, lines: object[] = []) {
  return {
    id,
    object: 'invoice',
    created: at(day),
    customer: 'cus_a',
    subscription: 'sub_a',
    status: 'open',
    currency: 'usd',
    amount_due: 2_000,
    amount_paid: 0,
    amount_remaining: 2_000,
    subtotal: 2_000,
    total: 2_000,
    livemode: false,
    lines: { object: 'list', has_more: false, data: lines },
    ...over,
  };
}

const subscriptionLine = (id: string, amount: number, from: string, to: string, proration = false) => ({
  id,
  object: 'line_item',
  amount,
  currency: 'usd',
  type: 'subscription',
  proration,
  subscription: 'sub_a',
  price: { id: 'price_m', recurring: { interval: 'month', interval_count: 1 } },
  period: { start: at(from), end: at(to) },
});

/** What every Silver table and Gold model holds, each as sorted JSON rows. */
async function lake(dir: string, asOf: string): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  const rows = (r: Record<string, unknown>[]) => r.map((x) => JSON.stringify(x)).sort();
  for (const t of SILVER_TABLES) out[`silver.${t}`] = rows(await readLayer(dir, 'silver', t));
  for (const c of GOLD_CONTRACTS) {
    // a snapshot model: the current snapshot (the incremental lake keeps the earlier ones too)
    const all = rows(await readLayer(dir, 'gold', c.name, '* exclude (dt), dt::VARCHAR as dt'));
    out[`gold.${c.name}`] = c.snapshot ? all.filter((r) => r.includes(`"dt":"${asOf}"`)) : all;
  }
  return out;
}

describe('incremental Gold', () => {
  it('equals a full refresh of the same Bronze after refunds, disputes, late invoices and a plan change on old days', async () => {
    const R1 = '20240107T000000Z-aaaaaa';
    const R2 = '20240112T000000Z-bbbbbb';
    const v1 = at('2024-01-07');
    const v2 = at('2024-01-12');
    // -- first load: days 2024-01-01 .. 06; each change below reaches a charge day of its own
    const cusA = makeCustomer({ id: 'cus_a', created: at('2024-01-01') });
    const cusB = makeCustomer({ id: 'cus_b', created: at('2024-01-02'), email: 'b@example.com' });
    const charge = (id: string, day: string, over: Record<string, unknown>) =>
      makeCharge({ id, created: at(day), balance_transaction: `txn_${id}`, ...over });
    const chargeBt = (id: string, day: string, amount = 1_000) =>
      makeBalanceTransaction({ id: `txn_${id}`, created: at(day), source: id, amount, net: amount - 59 });
    const ch1 = charge('ch_1', '2024-01-01', { customer: 'cus_a', payment_intent: 'pi_1' });
    const ch2 = charge('ch_2', '2024-01-02', { customer: 'cus_b', payment_intent: 'pi_2' });
    const ch3 = charge('ch_3', '2024-01-03', {
      customer: 'cus_a',
      status: 'failed',
      balance_transaction: null,
    });
    const ch4 = charge('ch_4', '2024-01-03', { customer: 'cus_b', payment_intent: 'pi_4', amount: 2_000 });
    // its balance transaction arrives only with the second run
    const ch5 = charge('ch_5', '2024-01-04', { customer: 'cus_a', payment_intent: 'pi_5' });
    // no customer yet; its refund's transaction names the customer through it
    const ch7 = charge('ch_7', '2024-01-01', { customer: null, amount_refunded: 300 });
    const re7 = makeRefund({ id: 're_7', created: at('2024-01-02'), charge: 'ch_7', amount: 300 });
    const refundBt = (id: string, day: string, amount: number) =>
      makeBalanceTransaction({
        id: `txn_${id}`,
        created: at(day),
        source: id,
        type: 'refund',
        reporting_category: 'refund',
        amount: -amount,
        fee: 0,
        net: -amount,
      });
    // the same, on a day of its own: only its charge changes (the customer of its refund's transaction)
    const ch9 = charge('ch_9', '2024-01-01', { customer: null, amount_refunded: 200 });
    const re9 = makeRefund({ id: 're_9', created: at('2024-01-03'), charge: 'ch_9', amount: 200 });
    // a refund whose transaction came first: the refund arrives with the second run
    const re10 = makeRefund({ id: 're_10', created: at('2024-01-05'), charge: 'ch_4', amount: 50 });
    // a customer nothing of the second run touches: its dim_customers row is the first snapshot's
    await put('customers', '2023-12-20', R1, v1, [makeCustomer({ id: 'cus_e', created: at('2023-12-20') })]);
    await put('charges', '2023-12-20', R1, v1, [charge('ch_15', '2023-12-20', { customer: 'cus_e' })]);
    await put('balance_transactions', '2023-12-20', R1, v1, [chargeBt('ch_15', '2023-12-20')]);
    // three more, each touched by one kind of change only: a refund (cus_f), the late transaction
    // of its charge (cus_g), its charge's status (cus_h)
    const old = (id: string, day: string, over: Record<string, unknown> = {}) =>
      charge(id, day, { customer: `cus_${id.slice(-1)}`, ...over });
    for (const [c, day] of [
      ['f', '2023-12-21'],
      ['g', '2023-12-22'],
      ['h', '2023-12-23'],
    ] as const)
      await put('customers', day, R1, v1, [makeCustomer({ id: `cus_${c}`, created: at(day) })]);
    await put('charges', '2023-12-21', R1, v1, [old('ch_f', '2023-12-21')]);
    await put('balance_transactions', '2023-12-21', R1, v1, [chargeBt('ch_f', '2023-12-21')]);
    await put('charges', '2023-12-22', R1, v1, [old('ch_g', '2023-12-22')]);
    const chH = old('ch_h', '2023-12-23', { status: 'pending', balance_transaction: null });
    await put('charges', '2023-12-23', R1, v1, [chH]);
    await put('customers', '2024-01-01', R1, v1, [cusA]);
    await put('customers', '2024-01-02', R1, v1, [cusB]);
    await put('charges', '2024-01-01', R1, v1, [ch1, ch7, ch9]);
    await put('charges', '2024-01-02', R1, v1, [ch2]);
    await put('charges', '2024-01-04', R1, v1, [ch5]);
    // nothing changes on this day
    await put('charges', '2024-01-05', R1, v1, [charge('ch_8', '2024-01-05', { customer: 'cus_a' })]);
    await put('balance_transactions', '2024-01-05', R1, v1, [
      chargeBt('ch_8', '2024-01-05'),
      refundBt('re_10', '2024-01-05', 50),
    ]);
    await put('charges', '2024-01-03', R1, v1, [ch3, ch4]);
    await put('refunds', '2024-01-02', R1, v1, [re7]);
    await put('refunds', '2024-01-03', R1, v1, [re9]);
    await put('balance_transactions', '2024-01-01', R1, v1, [
      chargeBt('ch_1', '2024-01-01'),
      chargeBt('ch_7', '2024-01-01'),
    ]);
    await put('balance_transactions', '2024-01-02', R1, v1, [
      chargeBt('ch_2', '2024-01-02'),
      refundBt('re_7', '2024-01-02', 300),
    ]);
    await put('balance_transactions', '2024-01-03', R1, v1, [refundBt('re_9', '2024-01-03', 200)]);
    await put('balance_transactions', '2024-01-03', R1, v1, [chargeBt('ch_4', '2024-01-03', 2_000)]);
    await put('prices', '2023-12-01', R1, v1, [price]);
    // linked to an invoice that, in the second run, names another payment intent
    await put('charges', '2024-01-06', R1, v1, [
      charge('ch_11', '2024-01-06', { customer: 'cus_a', payment_intent: 'pi_11' }),
    ]);
    await put('balance_transactions', '2024-01-06', R1, v1, [chargeBt('ch_11', '2024-01-06')]);
    await put('invoices', '2024-01-06', R1, v1, [invoice('in_4', '2024-01-06', { payment_intent: 'pi_11' })]);
    await put('invoices', '2024-01-01', R1, v1, [
      invoice('in_1', '2024-01-01', { status: 'paid', payment_intent: 'pi_1', amount_paid: 1_000 }, [
        subscriptionLine('il_1', 1_000, '2024-01-01', '2024-02-01'),
      ]),
    ]);
    // open until the second run, when ch_4 pays it
    await put('invoices', '2024-01-02', R1, v1, [
      invoice('in_2', '2024-01-02', { customer: 'cus_b', subscription: 'sub_b' }),
    ]);
    // payouts (fct_payouts' dt is the arrival date): po_1 arrives on the 3rd, then (second run) on
    // the 4th; po_2 links a transaction that only the second run brings; po_3 changes nothing
    const payout = (id: string, created: string, arrival: string, amount: number) => ({
      id,
      object: 'payout',
      created: at(created),
      arrival_date: at(arrival),
      amount,
      currency: 'usd',
      status: 'paid',
      automatic: true,
      livemode: false,
    });
    /** The balance transactions a payout's fetch by parent listed (a complete fetch of them all). */
    const links = (payoutId: string, day: string, runId: string, version: number, bts: object[]) =>
      writeBronze(
        store,
        'payout_balance_transactions',
        day,
        runId,
        bts.map((data) => ({
          data: data as Record<string, unknown>,
          meta: {
            ...meta('payout_balance_transactions', { run_id: runId, version_ts: version }),
            parent: { entity: 'payouts', id: payoutId, version_ts: version, count: bts.length },
          },
        })),
        part++,
      );
    const po1 = payout('po_1', '2024-01-02', '2024-01-03', 1_882);
    await put('payouts', '2024-01-02', R1, v1, [po1]);
    await links('po_1', '2024-01-02', R1, v1, [
      chargeBt('ch_1', '2024-01-01'),
      chargeBt('ch_2', '2024-01-02'),
    ]);
    await put('payouts', '2024-01-03', R1, v1, [payout('po_2', '2024-01-03', '2024-01-05', 941)]);
    await links('po_2', '2024-01-03', R1, v1, [chargeBt('ch_5', '2024-01-04')]);
    await put('payouts', '2024-01-05', R1, v1, [payout('po_3', '2024-01-05', '2024-01-06', 941)]);
    await links('po_3', '2024-01-05', R1, v1, [chargeBt('ch_11', '2024-01-06')]);
    expect(await transform(store, R1, v1)).toMatchObject({ 'gold.fct_payments': 'all' });

    // -- second run: new days 2024-01-10 .. 11, and changes to the old ones
    const re1 = makeRefund({ id: 're_1', created: at('2024-01-10'), charge: 'ch_1', amount: 400 });
    const cusC = makeCustomer({ id: 'cus_c', created: at('2024-01-10') });
    // a new customer on a day without anything else
    await put('customers', '2024-01-09', R2, v2, [makeCustomer({ id: 'cus_d', created: at('2024-01-09') })]);
    await put('customers', '2024-01-10', R2, v2, [cusC, { ...cusA, email: 'new-a@example.com' }]);
    await put('charges', '2024-01-10', R2, v2, [
      { ...ch1, amount_refunded: 400 },
      { ...ch7, customer: 'cus_b' },
      { ...ch9, customer: 'cus_b' },
      charge('ch_6', '2024-01-10', { customer: 'cus_c', payment_intent: 'pi_6' }),
    ]);
    // a failed charge on a day without anything else
    await put('charges', '2024-01-08', R2, v2, [
      charge('ch_12', '2024-01-08', { customer: 'cus_c', status: 'failed', balance_transaction: null }),
    ]);
    // a new refund; an old one canceled (its day changes through the refunds alone)
    await put('refunds', '2024-01-10', R2, v2, [re1, { ...re7, status: 'canceled' }]);
    await put('refunds', '2024-01-05', R2, v2, [re10]);
    // a dispute of an old charge: only the dispute changes
    await put('disputes', '2024-01-11', R2, v2, [
      makeDispute({ id: 'dp_1', created: at('2024-01-11'), charge: 'ch_2', amount: 1_000 }),
    ]);
    await put('balance_transactions', '2024-01-10', R2, v2, [
      makeBalanceTransaction({
        id: 'txn_re_1',
        created: at('2024-01-10'),
        source: 're_1',
        type: 'refund',
        reporting_category: 'refund',
        amount: -400,
        fee: 0,
        net: -400,
      }),
      chargeBt('ch_6', '2024-01-10'),
    ]);
    // the late transaction of an old charge, in its own (old) day
    await put('balance_transactions', '2024-01-04', R2, v2, [chargeBt('ch_5', '2024-01-04')]);
    await put('refunds', '2024-01-11', R2, v2, [
      makeRefund({ id: 're_f', created: at('2024-01-11'), charge: 'ch_f', amount: 100 }),
    ]);
    // the refund updates its charge, on the charge's own day: fct_payments computes that day, but
    // not fct_balance_transactions, which reads only a charge's customer (GOLD_DEPS `reads`)
    await put('charges', '2023-12-21', R2, v2, [old('ch_f', '2023-12-21', { amount_refunded: 100 })]);
    await put('balance_transactions', '2023-12-22', R2, v2, [chargeBt('ch_g', '2023-12-22', 1_000)]);
    await put('charges', '2023-12-23', R2, v2, [{ ...chH, status: 'failed' }]);
    // an invoice paid later by an old charge; a plan change: a dearer plan from the 10th
    await put('invoices', '2024-01-10', R2, v2, [
      invoice('in_2', '2024-01-02', {
        customer: 'cus_b',
        subscription: 'sub_b',
        status: 'paid',
        payment_intent: 'pi_4',
        amount_paid: 2_000,
        amount_remaining: 0,
      }),
      invoice('in_4', '2024-01-06', { payment_intent: 'pi_other' }),
      invoice('in_3', '2024-01-10', { status: 'paid', amount_paid: 3_500 }, [
        subscriptionLine('il_3a', 3_000, '2024-01-10', '2024-02-10'),
        subscriptionLine('il_3b', 500, '2024-01-10', '2024-02-01', true),
      ]),
    ]);
    // po_1 arrives a day later; a new payout pays ch_6
    await put('payouts', '2024-01-02', R2, v2, [{ ...po1, arrival_date: at('2024-01-04') }]);
    await put('payouts', '2024-01-10', R2, v2, [payout('po_4', '2024-01-10', '2024-01-11', 941)]);
    await links('po_4', '2024-01-10', R2, v2, [chargeBt('ch_6', '2024-01-10')]);
    const computed = await transform(store, R2, v2);
    await cp(join(root, 'bronze'), join(fullRoot, 'bronze'), { recursive: true });
    await transform(new LocalObjectStore(fullRoot), 'full', v2, { fullRefresh: true, staged: false });
    const incremental = await lake(root, '2024-01-12');
    const full = await lake(fullRoot, '2024-01-12');
    expect(full['gold.fct_payments']!.length).toBe(15);
    expect(full['gold.fct_mrr']!.length).toBeGreaterThan(0);
    // every payout, po_2 with the transaction that arrived later
    expect(
      full['gold.fct_payouts']!.map((r) => JSON.parse(r)).map((r) => [
        r.payout_id,
        r.dt,
        Number(r.transactions_count),
      ]),
    ).toEqual([
      ['po_1', '2024-01-04', 2],
      ['po_2', '2024-01-05', 1],
      ['po_3', '2024-01-06', 1],
      ['po_4', '2024-01-11', 1],
    ]);
    for (const name of Object.keys(full))
      expect({ name, rows: incremental[name] }).toEqual({ name, rows: full[name] });
    // incremental: the charge day nothing touched (2024-01-05) is not computed again
    expect(computed).toMatchObject({
      // + ch_g's day (its transaction), ch_h's and ch_f's
      'gold.fct_payments': 10,
      // not ch_f's day: its charge changed, its customer did not
      'gold.fct_balance_transactions': 7,
      'gold.fct_invoices': 3,
      'gold.daily_overview': 11,
      // cus_a (email, refund), cus_b (ch_7's and ch_9's customer now), cus_c and cus_d (new),
      // cus_f, cus_g, cus_h; not cus_e
      'gold.dim_customers': '7 touched',
      // po_1's old and new arrival days, po_2's (a transaction it links arrived), po_4's; not po_3's
      'gold.fct_payouts': 4,
    });
  });

  it('after run-all over a mock world a week later (staged runs, the references pass, Silver typed during extraction), equals a full refresh of its Bronze', async () => {
    const mock = await startMockApi({ ...CHANGES_WORLD, seed: 57, now: CHANGES_NOW, port: 0, quiet: true });
    try {
      const env = {
        API_BASE_URL: mock.url,
        API_KEY: 'sk_test_gold_incremental',
        LOCAL_DATA_DIR: root,
        DEFAULT_DAYS: String(CHANGES_DEFAULT_DAYS),
        API_RATE_LIMIT_RPS: '1000',
        LOG_LEVEL: 'warn',
        // SPEC 14 item 4: tables typed while extraction goes on, whatever the machine's load
        TRANSFORM_DURING_EXTRACT: 'always',
      };
      const until = CHANGES_NOW + CHANGES_STEP;
      const overlapped: string[][] = [];
      for (const [runId, at] of [
        ['gi-1', CHANGES_NOW],
        ['gi-2', until],
      ] as const) {
        if (at > CHANGES_NOW) await advanceMockClock(mock.url, CHANGES_STEP);
        const r = await runCli(['run-all', '--run-id', runId, '--until', String(at)], { env });
        expect(r.code, r.stderr.slice(-3000)).toBe(0);
        const manifest = JSON.parse(
          (await readFile(join(root, `_state/manifests/run_${runId}.json`), 'utf8')) as string,
        ) as { overlap?: { silver_tables: string[] } };
        overlapped.push(manifest.overlap?.silver_tables ?? []);
      }
      // each run typed some tables during its extraction (the event log completes with the events
      // pass, before the last lists end), and never the webhook-only table
      for (const tables of overlapped) {
        expect(tables.length).toBeGreaterThan(0);
        expect(tables).not.toContain('webhook_events');
      }
      // the week brought changes to old objects, not only new ones
      const census = await censusOf(mock.url);
      expect([census.disputes > 0, census.deletedCustomers > 0]).toEqual([true, true]);

      await cp(join(root, 'bronze'), join(fullRoot, 'bronze'), { recursive: true });
      const full = new LocalObjectStore(fullRoot);
      await transform(full, 'full', until, { fullRefresh: true, staged: false });
      const asOf = new Date(until * 1000).toISOString().slice(0, 10);
      // dim_customers: the current snapshot (the incremental lake keeps the first run's too)
      const current = (lake: Record<string, string[]>): Record<string, string[]> => ({
        ...lake,
        'gold.dim_customers': (lake['gold.dim_customers'] ?? []).filter((r) => r.includes(`"dt":"${asOf}"`)),
      });
      const incremental = current(await snapshotLake(store));
      const expected = current(await snapshotLake(full));
      expect(expected['gold.fct_payments']!.length).toBeGreaterThan(0);
      expect(Object.keys(incremental).sort()).toEqual(Object.keys(expected).sort());
      for (const name of Object.keys(expected))
        expect({ name, rows: incremental[name] }).toEqual({ name, rows: expected[name] });
    } finally {
      await mock.close();
    }
  }, 180_000);
});
