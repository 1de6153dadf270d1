import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { fetchTruth } from './mock-control.js';
import {
  type MovementRow,
  type MrrRow,
  oraclePayout,
  type RawBalanceTransaction,
  type RawInvoice,
  type RawInvoiceLine,
  type RawPayout,
  type RawPrice,
} from './mrr-oracle.js';

/**
 * SPEC 8.1's SaaS Gold against the independent oracle (mrr-oracle.ts) over the mock's raw truth:
 * the truth as the oracle reads it, the published Gold of a local lake, and the differences
 * (fct_mrr, mrr_movements, their identities, fct_payouts), each an empty list when they agree.
 */

/** SPEC 8.1 / issue #20: per row, within 0.01 minor units. */
const TOLERANCE = 0.01;
type Row = Record<string, unknown>;

/** A Gold model as published: the partitions its `_latest` pointer names. */
export async function readGold(root: string, model: string): Promise<Row[]> {
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

export interface Truth {
  invoices: RawInvoice[];
  prices: RawPrice[];
  payouts: RawPayout[];
  /** payout id -> its balance transactions (`?payout=`). */
  paidBy: Map<string, RawBalanceTransaction[]>;
  subscriptions: Row[];
  items: Row[];
}

/** The mock's raw truth now; each invoice gets every line of `/_mock/truth/invoice_line_items`. */
export async function truthOf(url: string): Promise<Truth> {
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
export function mrrDiff(gold: Row[], oracle: MrrRow[]): string[] {
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
export function movementDiff(gold: Row[], oracle: MovementRow[]): string[] {
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
export function identityDiff(mrr: Row[], movements: Row[]): string[] {
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
export function payoutDiff(gold: Row[], truth: Truth): string[] {
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
export function changesBetween(before: Truth, after: Truth) {
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
