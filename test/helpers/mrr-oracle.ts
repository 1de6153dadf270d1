/**
 * An independent calculator of SPEC section 8.1, in plain TypeScript over the RAW Stripe objects
 * (as `/_mock/truth` serves them: invoices with their `lines.data`, prices, payouts, balance
 * transactions). Tests compare the Gold models with it. It shares no code with the SQL path: it
 * reads Stripe's field names (`type`, `proration`, `period.start`, `price.recurring`), never the
 * Silver columns, and walks months with `Date.UTC`, not SQL intervals.
 */
import type { MrrRow as MonthlyMrrRow } from '../../src/report/report-data.js';

type Id = string | { id: string } | null | undefined;

/** A raw Stripe price (the fields this reads). */
export interface RawPrice {
  id: string;
  recurring?: { interval: string; interval_count?: number } | null;
}

/** A raw Stripe invoice line (fields of the API versions the mock serves). */
export interface RawInvoiceLine {
  id: string;
  type?: string;
  proration?: boolean;
  amount: number;
  currency: string;
  discount_amounts?: { amount: number }[] | null;
  period: { start: number; end: number };
  /** An id (by-id reference) or the expanded price. */
  price?: string | RawPrice | null;
  subscription?: Id;
  parent?: {
    subscription_item_details?: { subscription?: Id; proration?: boolean } | null;
    type?: string;
  } | null;
  pricing?: { price_details?: { price?: Id } | null } | null;
}

/** A raw Stripe invoice with its lines. */
export interface RawInvoice {
  id: string;
  customer: Id;
  status: string;
  subscription?: Id;
  lines: { data: RawInvoiceLine[] };
}

export interface MrrRow {
  /** First day of the month, YYYY-MM-DD. */
  month: string;
  customer_id: string;
  currency: string;
  /** Minor units, unrounded. */
  mrr: number;
  subscriptions: number;
}

/** A row of mrr_movements: the report's MRR row (SPEC 8.1 columns) and the customer counts. */
export interface MovementRow extends MonthlyMrrRow {
  customers_start: number;
  customers_new: number;
  customers_churned: number;
  customers_reactivated: number;
}

const idOf = (v: Id): string | undefined => (v == null ? undefined : typeof v === 'string' ? v : v.id);

/** Months per interval, as SPEC 8.1 states k: month 1/n, year 1/(12n), week 52/(12n), day 365/(12n). */
function monthlyFactor(price: RawPrice | undefined): number | undefined {
  const r = price?.recurring;
  if (!r) return undefined;
  const n = r.interval_count ?? 1;
  if (!(n > 0)) return undefined;
  switch (r.interval) {
    case 'month':
      return 1 / n;
    case 'year':
      return 1 / (12 * n);
    case 'week':
      return 52 / (12 * n);
    case 'day':
      return 365 / (12 * n);
    default:
      return undefined;
  }
}

/** [year, month0] of a unix time, UTC. */
function ym(t: number): [number, number] {
  const d = new Date(t * 1000);
  return [d.getUTCFullYear(), d.getUTCMonth()];
}
const monthKey = (y: number, m: number) => new Date(Date.UTC(y, m, 1)).toISOString().slice(0, 10);
/** The last second of a month, unix seconds. */
const lastSecond = (y: number, m: number) => Date.UTC(y, m + 1, 1) / 1000 - 1;

interface RecurringLine {
  customer: string;
  currency: string;
  subscription: string | undefined;
  start: number;
  end: number;
  monthly: number;
}

function recurringLines(invoices: readonly RawInvoice[], prices: readonly RawPrice[]): RecurringLine[] {
  const priceById = new Map(prices.map((p) => [p.id, p]));
  const out: RecurringLine[] = [];
  for (const inv of invoices) {
    if (inv.status !== 'open' && inv.status !== 'paid') continue;
    const customer = idOf(inv.customer);
    if (!customer) continue;
    for (const line of inv.lines.data) {
      // older API versions: type 'subscription'; newer: parent.type 'subscription_item_details'
      const isSubscription =
        line.type === 'subscription' || line.parent?.type === 'subscription_item_details';
      // older API versions: `proration` on the line; newer: in parent.subscription_item_details
      const isProration = line.proration ?? line.parent?.subscription_item_details?.proration ?? false;
      if (!isSubscription || isProration) continue;
      // an expanded price carries its recurrence; an id is looked up among the prices
      const priceRef = line.price ?? idOf(line.pricing?.price_details?.price);
      const price =
        typeof priceRef === 'object' && priceRef?.recurring
          ? priceRef
          : priceById.get(typeof priceRef === 'string' ? priceRef : (priceRef?.id ?? ''));
      const k = monthlyFactor(price);
      if (k === undefined) continue;
      const discount = (line.discount_amounts ?? []).reduce((a, d) => a + d.amount, 0);
      out.push({
        customer,
        currency: line.currency,
        subscription:
          idOf(line.subscription) ??
          idOf(line.parent?.subscription_item_details?.subscription) ??
          idOf(inv.subscription),
        start: line.period.start,
        end: line.period.end,
        monthly: (line.amount - discount) * k,
      });
    }
  }
  return out;
}

/**
 * MRR per month, customer and currency (rows with MRR > 0 only), from the first month any
 * recurring line starts in to the month of `asOf` (unix seconds), that month measured at `asOf`.
 */
export function oracleMrr(
  truth: { invoices: readonly RawInvoice[]; prices: readonly RawPrice[] },
  asOf: number,
): MrrRow[] {
  const lines = recurringLines(truth.invoices, truth.prices);
  if (lines.length === 0) return [];
  let [y, m] = ym(Math.min(...lines.map((l) => l.start)));
  const [ay, am] = ym(asOf);
  const rows: MrrRow[] = [];
  while (y < ay || (y === ay && m <= am)) {
    const t = y === ay && m === am ? asOf : lastSecond(y, m);
    const acc = new Map<string, { mrr: number; subs: Set<string | undefined> }>();
    for (const l of lines) {
      if (!(l.start <= t && t < l.end)) continue;
      const key = `${l.customer}\u0000${l.currency}`;
      const a = acc.get(key) ?? { mrr: 0, subs: new Set() };
      a.mrr += l.monthly;
      a.subs.add(l.subscription);
      acc.set(key, a);
    }
    for (const [key, a] of acc) {
      const [customer_id, currency] = key.split('\u0000') as [string, string];
      if (a.mrr > 0) {
        rows.push({ month: monthKey(y, m), customer_id, currency, mrr: a.mrr, subscriptions: a.subs.size });
      }
    }
    m += 1;
    if (m === 12) {
      m = 0;
      y += 1;
    }
  }
  return rows.sort((a, b) =>
    a.month === b.month
      ? a.customer_id === b.customer_id
        ? a.currency.localeCompare(b.currency)
        : a.customer_id.localeCompare(b.customer_id)
      : a.month.localeCompare(b.month),
  );
}

/**
 * The movements of SPEC 8.1 per month and currency, from each currency's first month with MRR to
 * the month of `asOf`, classified customer by customer.
 */
export function oracleMovements(mrr: readonly MrrRow[], asOf: number): MovementRow[] {
  const out: MovementRow[] = [];
  const currencies = [...new Set(mrr.map((r) => r.currency))].sort();
  const [ay, am] = ym(asOf);
  for (const currency of currencies) {
    const rows = mrr.filter((r) => r.currency === currency);
    const byMonth = new Map<string, Map<string, number>>();
    for (const r of rows) {
      const mm = byMonth.get(r.month) ?? new Map<string, number>();
      mm.set(r.customer_id, r.mrr);
      byMonth.set(r.month, mm);
    }
    const first = rows.map((r) => r.month).sort()[0]!;
    let [y, m] = [Number(first.slice(0, 4)), Number(first.slice(5, 7)) - 1];
    let previous = new Map<string, number>();
    const seen = new Set<string>();
    while (y < ay || (y === ay && m <= am)) {
      const month = monthKey(y, m);
      const current = byMonth.get(month) ?? new Map<string, number>();
      const row: MovementRow = {
        month,
        currency,
        starting_mrr: 0,
        new_mrr: 0,
        expansion_mrr: 0,
        contraction_mrr: 0,
        churned_mrr: 0,
        reactivation_mrr: 0,
        ending_mrr: 0,
        customers_start: 0,
        customers_new: 0,
        customers_churned: 0,
        customers_reactivated: 0,
        customers_end: 0,
      };
      for (const customer of new Set([...previous.keys(), ...current.keys()])) {
        const p = previous.get(customer) ?? 0;
        const c = current.get(customer) ?? 0;
        row.starting_mrr += p;
        row.ending_mrr += c;
        if (p > 0) row.customers_start += 1;
        if (c > 0) row.customers_end += 1;
        if (p === 0 && c > 0) {
          if (seen.has(customer)) {
            row.reactivation_mrr += c;
            row.customers_reactivated += 1;
          } else {
            row.new_mrr += c;
            row.customers_new += 1;
          }
        } else if (p > 0 && c === 0) {
          row.churned_mrr -= p;
          row.customers_churned += 1;
        } else if (p > 0 && c > p) row.expansion_mrr += c - p;
        else if (c > 0 && c < p) row.contraction_mrr += c - p;
      }
      for (const customer of current.keys()) seen.add(customer);
      out.push(row);
      previous = current;
      m += 1;
      if (m === 12) {
        m = 0;
        y += 1;
      }
    }
  }
  return out.sort((a, b) =>
    a.month === b.month ? a.currency.localeCompare(b.currency) : a.month.localeCompare(b.month),
  );
}

/** A raw Stripe payout (the fields this reads). */
export interface RawPayout {
  id: string;
  amount: number;
  currency: string;
  status: string;
  automatic: boolean;
  arrival_date: number;
  balance_transaction?: Id;
}

/** A raw Stripe balance transaction (the fields this reads). */
export interface RawBalanceTransaction {
  id: string;
  amount: number;
  fee: number;
  net: number;
  type: string;
  reporting_category: string;
}

export interface PayoutBreakdown {
  payout_id: string;
  transactions_count: number;
  transactions_net: number;
  charges_amount: number;
  refunds_amount: number;
  disputes_amount: number;
  fees_amount: number;
  other_net: number;
  is_reconciled: boolean;
}

/**
 * What a payout pays, by category, from the balance transactions listed for it (its own payout
 * transaction left out: that is the money leaving, not what it pays). An earlier failed payout's
 * money coming back (`payout_failure`, category payout_reversal) is listed for the payout that
 * pays it out again, and counts there (other_net), as in Stripe's payout reconciliation.
 */
export function oraclePayout(
  payout: RawPayout,
  transactions: readonly RawBalanceTransaction[],
): PayoutBreakdown {
  const own = idOf(payout.balance_transaction);
  const out: PayoutBreakdown = {
    payout_id: payout.id,
    transactions_count: 0,
    transactions_net: 0,
    charges_amount: 0,
    refunds_amount: 0,
    disputes_amount: 0,
    fees_amount: 0,
    other_net: 0,
    is_reconciled: false,
  };
  const seen = new Set<string>();
  for (const bt of transactions) {
    // SPEC 4.2: everything ?payout= lists counts, a re-paid payout_failure included
    if (seen.has(bt.id) || bt.id === own) continue;
    seen.add(bt.id);
    out.transactions_count += 1;
    out.transactions_net += bt.net;
    const category = bt.reporting_category;
    if (category === 'charge') out.charges_amount += bt.amount;
    else if (category === 'refund' || category === 'refund_failure') out.refunds_amount += bt.amount;
    else if (category === 'dispute' || category === 'dispute_reversal') out.disputes_amount += bt.amount;
    else {
      out.other_net += bt.net;
      continue;
    }
    out.fees_amount += bt.fee;
  }
  out.is_reconciled = out.transactions_net === payout.amount;
  return out;
}
