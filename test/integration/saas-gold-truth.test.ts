import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMockApi } from '../../src/mock/index.js';
import { runCli } from '../helpers/cli.js';
import { advanceMockClock, fetchTruth } from '../helpers/mock-control.js';
import {
  type MovementRow,
  type MrrRow,
  oracleMovements,
  oracleMrr,
  oraclePayout,
  type RawBalanceTransaction,
  type RawInvoice,
  type RawInvoiceLine,
  type RawPayout,
  type RawPrice,
} from '../helpers/mrr-oracle.js';

// SPEC 8.1 end to end: a mock with 13 months of subscription life, loaded by the real CLI's
// run-all, then three incremental runs 10 days apart; after each, fct_mrr, mrr_movements and
// fct_payouts equal the independent oracle over the mock's raw truth (invoices with ALL their
// lines from /_mock/truth/invoice_line_items, not the 10 an invoice embeds; prices; payouts with
// their balance transactions).

// Seed 8 between NOW and NOW + 3 steps: plan and quantity changes, cancellations and two churned
// customers' returns (2024-07-04, 2024-07-14), so the incremental runs have each kind to apply.
const NOW = Date.UTC(2024, 5, 25, 12, 0, 0) / 1000;
const STEP = 10 * 86_400;
/**
 * 375 days of history (13+ months of subscriptions), one customer and one charge a day: the load
 * is about 15 entities x 395 daily list slices, whatever the volume.
 */
const WORLD = { preset: 'tiny', days: 375, chargesPerDay: 1, customersPerDay: 1, seed: 8 } as const;
const DEFAULT_DAYS = 395;
/** SPEC 8.1 / issue #20: per row, within 0.01 minor units. */
const TOLERANCE = 0.01;

type Mock = Awaited<ReturnType<typeof startMockApi>>;
type Row = Record<string, unknown>;

/** A Gold model as published: the partitions its `_latest` pointer names. */
async function readGold(root: string, model: string): Promise<Row[]> {
  const pointer = JSON.parse(
    await readFile(join(root, '_state/manifests/_latest', `${model}.json`), 'utf8'),
  ) as {
    keys: string[];
  };
  if (pointer.keys.length === 0) return [];
  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  try {
    const files = pointer.keys.map((k) => `'${join(root, k).replace(/'/g, "''")}'`).join(', ');
    const reader = await conn.runAndReadAll(
      `select * from read_parquet([${files}], hive_partitioning = false)`,
    );
    return reader.getRowObjectsJson() as Row[];
  } finally {
    conn.closeSync();
    db.closeSync();
  }
}

interface Truth {
  invoices: RawInvoice[];
  prices: RawPrice[];
  payouts: RawPayout[];
  /** payout id -> its balance transactions (`?payout=`). */
  paidBy: Map<string, RawBalanceTransaction[]>;
  subscriptions: Row[];
  items: Row[];
}

/** The mock's raw truth now; each invoice gets every line of `/_mock/truth/invoice_line_items`. */
async function truthOf(url: string): Promise<Truth> {
  const [invoices, lines, prices, payouts, pairs, bts, subscriptions, items] = await Promise.all(
    [
      'invoices',
      'invoice_line_items',
      'prices',
      'payouts',
      'payout_balance_transactions',
      'balance_transactions',
      'subscriptions',
      'subscription_items',
    ].map((e) => fetchTruth(url, e)),
  );
  const linesOf = new Map<string, RawInvoiceLine[]>();
  for (const l of lines!) {
    const list = linesOf.get(l.invoice as string) ?? [];
    list.push(l as unknown as RawInvoiceLine);
    linesOf.set(l.invoice as string, list);
  }
  const btById = new Map(bts!.map((b) => [b.id as string, b as unknown as RawBalanceTransaction]));
  const paidBy = new Map<string, RawBalanceTransaction[]>();
  for (const p of pairs!) {
    const bt = btById.get(p.balance_transaction as string);
    if (!bt)
      throw new Error(`truth: payout ${p.payout} lists unknown balance transaction ${p.balance_transaction}`);
    const list = paidBy.get(p.payout as string) ?? [];
    list.push(bt);
    paidBy.set(p.payout as string, list);
  }
  return {
    invoices: invoices!.map((i) => ({
      ...(i as unknown as RawInvoice),
      lines: { data: linesOf.get(i.id as string) ?? [] },
    })),
    prices: prices as unknown as RawPrice[],
    payouts: payouts as unknown as RawPayout[],
    paidBy,
    subscriptions: subscriptions!,
    items: items!,
  };
}

const day = (v: unknown) => String(v).slice(0, 10);
const near = (a: number, b: number) => Math.abs(a - b) <= TOLERANCE;

/** Differences between fct_mrr and the oracle's rows (same keys, MRR within the tolerance, same subscriptions). */
function mrrDiff(gold: Row[], oracle: MrrRow[]): string[] {
  const key = (m: string, c: string, cur: string) => `${m}|${c}|${cur}`;
  const want = new Map(oracle.map((r) => [key(r.month, r.customer_id, r.currency), r]));
  const diffs: string[] = [];
  for (const g of gold) {
    const k = key(day(g.month), String(g.customer_id), String(g.currency));
    const o = want.get(k);
    if (!o) diffs.push(`${k}: in fct_mrr (${g.mrr_amount}), not in the oracle`);
    else {
      if (!near(Number(g.mrr_amount), o.mrr)) diffs.push(`${k}: mrr_amount ${g.mrr_amount}, oracle ${o.mrr}`);
      if (Number(g.subscriptions) !== o.subscriptions)
        diffs.push(`${k}: subscriptions ${g.subscriptions}, oracle ${o.subscriptions}`);
      want.delete(k);
    }
  }
  for (const [k, o] of want) diffs.push(`${k}: oracle ${o.mrr}, not in fct_mrr`);
  return diffs;
}

const AMOUNTS = [
  'starting_mrr',
  'new_mrr',
  'expansion_mrr',
  'contraction_mrr',
  'churned_mrr',
  'reactivation_mrr',
  'ending_mrr',
] as const;
const COUNTS = [
  'customers_start',
  'customers_new',
  'customers_churned',
  'customers_reactivated',
  'customers_end',
] as const;

/** Differences between mrr_movements and the oracle's classification. */
function movementDiff(gold: Row[], oracle: MovementRow[]): string[] {
  const want = new Map(oracle.map((r) => [`${r.month}|${r.currency}`, r]));
  const diffs: string[] = [];
  for (const g of gold) {
    const k = `${day(g.month)}|${g.currency}`;
    const o = want.get(k);
    if (!o) {
      diffs.push(`${k}: in mrr_movements, not in the oracle`);
      continue;
    }
    want.delete(k);
    for (const c of AMOUNTS) if (!near(Number(g[c]), o[c])) diffs.push(`${k}: ${c} ${g[c]}, oracle ${o[c]}`);
    for (const c of COUNTS) if (Number(g[c]) !== o[c]) diffs.push(`${k}: ${c} ${g[c]}, oracle ${o[c]}`);
  }
  for (const k of want.keys()) diffs.push(`${k}: in the oracle, not in mrr_movements`);
  return diffs;
}

/** SPEC 8.1's identities, and fct_mrr summing to ending_mrr, per month and currency. */
function identityDiff(mrr: Row[], movements: Row[]): string[] {
  const diffs: string[] = [];
  const sums = new Map<string, number>();
  for (const r of mrr) {
    const k = `${day(r.month)}|${r.currency}`;
    sums.set(k, (sums.get(k) ?? 0) + Number(r.mrr_amount));
  }
  const sorted = [...movements].sort(
    (a, b) =>
      String(a.currency).localeCompare(String(b.currency)) || day(a.month).localeCompare(day(b.month)),
  );
  let previous: Row | undefined;
  for (const r of sorted) {
    const k = `${day(r.month)}|${r.currency}`;
    const n = (c: string) => Number(r[c]);
    const flows =
      n('starting_mrr') +
      n('new_mrr') +
      n('expansion_mrr') +
      n('contraction_mrr') +
      n('churned_mrr') +
      n('reactivation_mrr');
    if (!near(flows, n('ending_mrr')))
      diffs.push(`${k}: starting + movements ${flows} != ending ${r.ending_mrr}`);
    if (previous && previous.currency === r.currency && Number(previous.ending_mrr) !== n('starting_mrr'))
      diffs.push(`${k}: starting ${r.starting_mrr} != previous ending ${previous.ending_mrr}`);
    if (!near(sums.get(k) ?? 0, n('ending_mrr')))
      diffs.push(`${k}: fct_mrr sums to ${sums.get(k) ?? 0}, ending ${r.ending_mrr}`);
    sums.delete(k);
    previous = r;
  }
  for (const k of sums.keys()) diffs.push(`${k}: fct_mrr rows without a movements row`);
  return diffs;
}

/** Differences between fct_payouts and the oracle, for every paid automatic payout of the truth. */
function payoutDiff(gold: Row[], truth: Truth): string[] {
  const byId = new Map(gold.map((r) => [String(r.payout_id), r]));
  const diffs: string[] = [];
  for (const p of truth.payouts) {
    if (p.status !== 'paid' || !p.automatic) continue;
    const g = byId.get(p.id);
    if (!g) {
      diffs.push(`${p.id}: paid automatic payout missing from fct_payouts`);
      continue;
    }
    const o = oraclePayout(p, truth.paidBy.get(p.id) ?? []);
    if (Number(g.transactions_net) !== p.amount)
      diffs.push(`${p.id}: transactions_net ${g.transactions_net}, amount ${p.amount}`);
    if (g.is_reconciled !== true) diffs.push(`${p.id}: is_reconciled ${g.is_reconciled}`);
    for (const c of [
      'transactions_count',
      'transactions_net',
      'charges_amount',
      'refunds_amount',
      'disputes_amount',
      'fees_amount',
      'other_net',
    ] as const)
      if (Number(g[c]) !== o[c]) diffs.push(`${p.id}: ${c} ${g[c]}, oracle ${o[c]}`);
  }
  return diffs;
}

/** What changed in the subscriptions between two truths: plan or quantity changes, cancellations, returns. */
function changesBetween(before: Truth, after: Truth) {
  const itemsOf = (t: Truth) => {
    const m = new Map<string, string>();
    for (const i of t.items) {
      const sub = String(i.subscription);
      const price = typeof i.price === 'object' && i.price ? (i.price as { id: string }).id : String(i.price);
      m.set(
        sub,
        [...(m.get(sub) ?? '').split(';').filter(Boolean), `${price}x${i.quantity}`].sort().join(';'),
      );
    }
    return m;
  };
  const [ib, ia] = [itemsOf(before), itemsOf(after)];
  const statusBefore = new Map(before.subscriptions.map((s) => [String(s.id), String(s.status)]));
  const canceledBefore = new Set(
    before.subscriptions.filter((s) => s.status === 'canceled').map((s) => String(s.customer)),
  );
  let planChanges = 0;
  let cancellations = 0;
  let reactivations = 0;
  for (const s of after.subscriptions) {
    const id = String(s.id);
    const was = statusBefore.get(id);
    if (was !== undefined && ib.has(id) && ia.has(id) && ib.get(id) !== ia.get(id)) planChanges += 1;
    if (s.status === 'canceled' && was !== undefined && was !== 'canceled') cancellations += 1;
    // a new subscription of a customer whose earlier one had ended
    if (was === undefined && canceledBefore.has(String(s.customer))) reactivations += 1;
  }
  return { planChanges, cancellations, reactivations };
}

describe('SaaS Gold equals the independent SPEC 8.1 oracle over the mock truth', () => {
  let mock: Mock;
  let root: string;
  const env = () => ({
    API_BASE_URL: mock.url,
    API_KEY: 'sk_test_saas_truth',
    LOCAL_DATA_DIR: root,
    DEFAULT_DAYS: String(DEFAULT_DAYS),
    LOG_LEVEL: 'warn',
    // not Stripe's test-mode 25/s: the first load lists ~6,000 daily slices
    API_RATE_LIMIT_RPS: '1000',
  });

  beforeAll(async () => {
    mock = await startMockApi({ ...WORLD, now: NOW, port: 0, quiet: true });
    root = await mkdtemp(join(tmpdir(), 'pp-saas-truth-'));
  });
  afterAll(async () => {
    await mock?.close();
  });

  async function runAndCompare(runId: string, until: number): Promise<Truth> {
    const run = await runCli(['run-all', '--run-id', runId, '--until', String(until)], { env: env() });
    expect(run.code, run.stderr).toBe(0);
    const truth = await truthOf(mock.url);
    const expectedMrr = oracleMrr(truth, until);
    const [mrr, movements, payouts] = await Promise.all(
      ['fct_mrr', 'mrr_movements', 'fct_payouts'].map((m) => readGold(root, m)),
    );
    expect.soft(mrrDiff(mrr!, expectedMrr), `${runId}: fct_mrr vs oracle`).toEqual([]);
    expect
      .soft(
        movementDiff(movements!, oracleMovements(expectedMrr, until)),
        `${runId}: mrr_movements vs oracle`,
      )
      .toEqual([]);
    expect.soft(identityDiff(mrr!, movements!), `${runId}: identities`).toEqual([]);
    expect.soft(payoutDiff(payouts!, truth), `${runId}: fct_payouts vs oracle`).toEqual([]);
    return truth;
  }

  it('after a full load and after three incremental runs 10 days apart', async () => {
    let truth = await runAndCompare('saas-1', NOW);
    // not vacuous: 12+ months of MRR, every kind of movement, paid automatic payouts with transactions
    const mrrMonths = new Set(oracleMrr(truth, NOW).map((r) => r.month));
    expect(mrrMonths.size, 'months with MRR').toBeGreaterThanOrEqual(12);
    const moves = oracleMovements(oracleMrr(truth, NOW), NOW);
    for (const c of [
      'new_mrr',
      'expansion_mrr',
      'contraction_mrr',
      'churned_mrr',
      'reactivation_mrr',
    ] as const)
      expect(moves.filter((r) => r[c] !== 0).length, `months with ${c}`).toBeGreaterThan(0);
    expect(
      truth.payouts.filter(
        (p) => p.status === 'paid' && p.automatic && (truth.paidBy.get(p.id)?.length ?? 0) > 0,
      ).length,
    ).toBeGreaterThan(10);

    const changes = { planChanges: 0, cancellations: 0, reactivations: 0 };
    for (const i of [1, 2, 3]) {
      await advanceMockClock(mock.url, STEP);
      const next = await runAndCompare(`saas-${i + 1}`, NOW + i * STEP);
      const c = changesBetween(truth, next);
      changes.planChanges += c.planChanges;
      changes.cancellations += c.cancellations;
      changes.reactivations += c.reactivations;
      truth = next;
    }
    // the incremental runs had plan changes, cancellations and reactivations to apply
    expect(changes.planChanges, 'plan or quantity changes between runs').toBeGreaterThan(0);
    expect(changes.cancellations, 'cancellations between runs').toBeGreaterThan(0);
    expect(changes.reactivations, 'reactivations between runs').toBeGreaterThan(0);
  }, 600_000);
});
