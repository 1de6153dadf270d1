import { Kind } from '../ids.js';
import { eventCode, type VersionSink } from '../versions.js';
import { FINALIZE_AFTER, type World } from '../world.js';
import type { PricePlan } from './catalogue.js';
import { type ChargePlan, invoiceChargePlanOf, walkChargeFamily } from './charge.js';
import type { CustomerPlan } from './customer.js';
import type { PayoutBook } from './payout.js';
import {
  applyChange,
  type ChangePlan,
  changeIn,
  firstBilled,
  GEN_CYCLES,
  type ItemState,
  invoiceCode,
  itemPrice,
  type PeriodState,
  pastDueOf,
  periodStart,
  periodState,
  RETRY_AFTER,
  RETRY_CODE,
  type SubscriptionPlan,
  subscriptionPlan,
  voidedAtEnd,
} from './subscription.js';

/**
 * A subscription's billing: invoice k of its periods (lines, prorations, discounts, totals and
 * payment timing, `InvoicePlan`), and the walk of a subscription with its invoices and the charge
 * families paying them (`subscription.ts` has the plan, its periods and changes).
 */

// --- invoices --------------------------------------------------------------------------------

/** One line of an invoice: a period of an item, or a proration of the change before it. */
export interface LinePlan {
  readonly item: ItemState;
  readonly price: PricePlan;
  /** Proration: 'credit' (unused time, negative), 'charge' (remaining time), or null. */
  readonly proration: 'credit' | 'charge' | null;
  readonly start: number;
  readonly end: number;
  readonly amount: number;
  readonly discount: number;
  /** A trial period's line (amount 0). */
  readonly trial: boolean;
}

export interface InvoicePlan {
  readonly s: SubscriptionPlan;
  readonly k: number;
  readonly code: number;
  readonly created: number;
  /** The previous period's start (the invoice's `period_start`; its own creation for the first). */
  readonly previousStart: number;
  readonly lines: readonly LinePlan[];
  readonly subtotal: number;
  readonly discount: number;
  readonly total: number;
  /** How its renewal payment goes (`pastDueOf`). */
  readonly pastDue: 'recover' | 'cancel' | null;
  readonly finalizedAt: number;
  /** The first charge (none when the total is 0). */
  readonly chargeAt: number;
  /** The retried charge of a past-due renewal. */
  readonly retryAt: number;
  /** When it is paid, or null when it never is. */
  readonly paidAt: number | null;
  /** When the first payment failed (`invoice.payment_failed`), or null. */
  readonly failedAt: number | null;
  /** When it ends unpaid (voided or marked uncollectible), or null. */
  readonly closedAt: number | null;
}

/** Invoice plans already computed, per plan (bounded with the plan cache). */
const INVOICES = new WeakMap<SubscriptionPlan, InvoicePlan[]>();

/** Invoice k of a subscription: its lines (prorations first), discounts, totals and timing. */
export function invoicePlan(w: World, s: SubscriptionPlan, k: number): InvoicePlan {
  let memo = INVOICES.get(s);
  if (!memo) {
    memo = [];
    INVOICES.set(s, memo);
  }
  let inv = memo[k];
  if (!inv) {
    inv = computeInvoice(w, s, k, periodState(w, s, k));
    memo[k] = inv;
  }
  return inv;
}

function computeInvoice(w: World, s: SubscriptionPlan, k: number, ps: PeriodState): InvoicePlan {
  const created = periodStart(s, k);
  const end = periodStart(s, k + 1);
  const lines: LinePlan[] = [];
  const pc = ps.previous;
  if (pc) {
    const ps0 = periodStart(s, k - 1);
    const f = (created - pc.at) / (created - ps0);
    for (const { before, after } of pc.parts) {
      if (before && after) {
        const p0 = itemPrice(w, s, before);
        lines.push(
          line(before, p0, 'credit', pc.at, created, -Math.round(p0.unitAmount * before.quantity * f)),
        );
      }
      if (after) {
        const p1 = itemPrice(w, s, after);
        lines.push(line(after, p1, 'charge', pc.at, created, Math.round(p1.unitAmount * after.quantity * f)));
      }
    }
  }
  const trial = k < firstBilled(s);
  for (const it of ps.items) {
    const price = itemPrice(w, s, it);
    const l = line(it, price, null, created, end, trial ? 0 : price.unitAmount * it.quantity);
    lines.push(trial ? { ...l, trial } : l);
  }
  // the coupon discounts the period lines of its billed periods
  const fb = firstBilled(s);
  const cp = s.coupon;
  let discount = 0;
  if (cp && k >= fb && k < fb + s.couponPeriods) {
    const eligible = lines.filter((l) => l.proration === null && l.amount > 0);
    const sum = eligible.reduce((a, l) => a + l.amount, 0);
    const shares = new Map<LinePlan, number>();
    if (cp.percentOff !== null) {
      for (const l of eligible) shares.set(l, Math.round((l.amount * cp.percentOff) / 100));
    } else {
      const total = Math.min(cp.amountOff!, sum);
      let given = 0;
      for (const l of eligible) {
        const d = Math.floor((total * l.amount) / sum);
        shares.set(l, d);
        given += d;
      }
      for (const l of eligible) {
        if (given === total) break;
        const d = shares.get(l)!;
        const more = Math.min(total - given, l.amount - d);
        shares.set(l, d + more);
        given += more;
      }
    }
    for (let n = 0; n < lines.length; n++) {
      const d = shares.get(lines[n]!);
      if (d) {
        lines[n] = { ...lines[n]!, discount: d };
        discount += d;
      }
    }
  }
  const subtotal = lines.reduce((a, l) => a + l.amount, 0);
  // a discount never takes the total below 0 (a credit prorated in may already lower it)
  for (let n = lines.length - 1; n >= 0 && discount > Math.max(0, subtotal); n--) {
    const l = lines[n]!;
    const cut = Math.min(l.discount, discount - Math.max(0, subtotal));
    if (cut > 0) {
      lines[n] = { ...l, discount: l.discount - cut };
      discount -= cut;
    }
  }
  const total = subtotal - discount;
  // a renewal of nothing to pay cannot fail (past_due ends never have a coupon: always > 0)
  const pastDue = total > 0 ? pastDueOf(w, s, k) : null;
  const finalizedAt = created + FINALIZE_AFTER;
  const chargeAt = finalizedAt + 2;
  const retryAt = finalizedAt + RETRY_AFTER;
  return {
    s,
    k,
    code: invoiceCode(s, k),
    created,
    previousStart: k === 0 ? created : periodStart(s, k - 1),
    lines,
    subtotal,
    discount,
    total,
    pastDue,
    finalizedAt,
    chargeAt,
    retryAt,
    paidAt: pastDue === null ? finalizedAt + 3 : pastDue === 'recover' ? retryAt + 1 : null,
    failedAt: pastDue === null ? null : finalizedAt + 3,
    closedAt: pastDue === 'cancel' ? retryAt + 1 : null,
  };
}

function line(
  item: ItemState,
  price: PricePlan,
  proration: LinePlan['proration'],
  start: number,
  end: number,
  amount: number,
): LinePlan {
  return { item, price, proration, start, end, amount, discount: 0, trial: false };
}

// --- timelines -------------------------------------------------------------------------------

const E = {
  invoiceCreated: eventCode('invoice.created'),
  invoiceFinalized: eventCode('invoice.finalized'),
  invoicePaid: eventCode('invoice.paid'),
  invoiceFailed: eventCode('invoice.payment_failed'),
  invoiceVoided: eventCode('invoice.voided'),
  invoiceUncollectible: eventCode('invoice.marked_uncollectible'),
  subCreated: eventCode('customer.subscription.created'),
  subUpdated: eventCode('customer.subscription.updated'),
  subDeleted: eventCode('customer.subscription.deleted'),
} as const;

/**
 * Walks a subscription, its invoices and the charge families paying them, every version up to
 * `tMax`, period by period (each object's versions in time order). With a `ledger`, the charge
 * families book their nets for the payouts; without `charges`, only the subscription and its
 * invoices (what `describe` needs of them).
 */
export function walkSubscription(
  w: World,
  s: SubscriptionPlan,
  tMax: number,
  sink: VersionSink,
  ledger?: PayoutBook,
  charges = true,
): void {
  const { day, index } = s.customer;
  const gen = s.gen;
  if (s.created > tMax) return;
  let v = 0;
  const sub = (t: number, type: number): boolean => {
    if (t > tMax) return false;
    sink.add(Kind.subscription, day, index, gen, v++, t, type);
    return true;
  };
  sub(s.created, E.subCreated);
  let items: readonly ItemState[] = s.items;
  let nextSlot = items.length;
  let previous: ChangePlan | null = null;
  for (let k = 0; k < s.invoiceCount; k++) {
    const start = periodStart(s, k);
    if (start > tMax) return;
    const change = changeIn(w, s, k, items, nextSlot);
    // the walk replays the periods itself (no memo: it visits every subscription once)
    const inv = computeInvoice(w, s, k, { k, items, nextSlot, previous, change });
    // the renewal (a trial's end is the first: trialing -> active)
    if (k > 0) sub(start, E.subUpdated);
    walkInvoice(w, inv, tMax, sink, ledger, charges);
    if (inv.failedAt !== null) sub(inv.failedAt, E.subUpdated); // past_due
    if (inv.pastDue === 'recover') sub(inv.paidAt!, E.subUpdated); // active again
    if (change) sub(change.at, E.subUpdated);
    if (k === s.invoiceCount - 1 || (s.end === 'lapse' && k === 0)) {
      if (s.cancelRequestedAt !== null) sub(s.cancelRequestedAt, E.subUpdated);
      if (s.canceledAt !== null) sub(s.canceledAt, E.subDeleted);
      return;
    }
    if (change) {
      items = applyChange(items, change);
      if (change.kind === 'add') nextSlot++;
    }
    previous = change;
  }
}

function walkInvoice(
  w: World,
  inv: InvoicePlan,
  tMax: number,
  sink: VersionSink,
  ledger: PayoutBook | undefined,
  charges: boolean,
): void {
  const { day, index } = inv.s.customer;
  const sub = inv.code * 4;
  let v = 0;
  const add = (t: number, type: number): boolean => {
    if (t > tMax) return false;
    sink.add(Kind.invoice, day, index, sub, v++, t, type);
    return true;
  };
  if (!add(inv.created, E.invoiceCreated)) return;
  if (!add(inv.finalizedAt, E.invoiceFinalized)) return;
  if (charges && inv.total > 0) walkChargeFamily(chargeOf(w, inv, false), tMax, sink, ledger);
  if (inv.failedAt !== null) {
    if (!add(inv.failedAt, E.invoiceFailed)) return;
    if (charges) walkChargeFamily(chargeOf(w, inv, true), tMax, sink, ledger);
    if (inv.paidAt !== null) add(inv.paidAt, E.invoicePaid);
    else add(inv.closedAt!, voidedAtEnd(w, inv.s) ? E.invoiceVoided : E.invoiceUncollectible);
  } else add(inv.paidAt!, E.invoicePaid);
}

/** The charge family of an invoice's first payment or its retry. */
export function chargeOf(w: World, inv: InvoicePlan, retry: boolean): ChargePlan {
  const failed = retry ? inv.pastDue === 'cancel' : inv.pastDue !== null;
  return invoiceChargePlanOf(w, inv.s.customer, retry ? RETRY_CODE + inv.code : inv.code, {
    created: retry ? inv.retryAt : inv.chargeAt,
    amount: inv.total,
    failed,
  });
}

/** The invoice plan a charge family's code belongs to, or null (no such invoice, or no such charge). */
export function invoiceOfCode(w: World, day: number, index: number, code: number): InvoicePlan | null {
  const retry = code >= RETRY_CODE;
  const c = code % RETRY_CODE;
  const s = subscriptionPlan(w, day, index, Math.floor(c / GEN_CYCLES));
  const k = c % GEN_CYCLES;
  if (!s || k >= s.invoiceCount) return null;
  const inv = invoicePlan(w, s, k);
  if (inv.total <= 0 || (retry && inv.pastDue === null)) return null;
  return inv;
}

/** The subscriptions of a customer (its first, and a return), each walked. */
export function walkSubscriptions(
  w: World,
  c: CustomerPlan,
  tMax: number,
  sink: VersionSink,
  ledger?: PayoutBook,
): void {
  if (!c.hasSubscription) return;
  for (let gen = 0; gen < 2; gen++) {
    const s = subscriptionPlan(w, c.day, c.index, gen);
    if (!s || s.created > tMax) return;
    walkSubscription(w, s, tMax, sink, ledger);
  }
}
