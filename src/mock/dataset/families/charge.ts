import { Kind, type ObjectRef } from '../ids.js';
import { hash32, intBetween, pickWeighted, unit } from '../rng.js';
import { eventCode, type VersionSink } from '../versions.js';
import {
  AVAILABLE_AFTER,
  CURRENCIES,
  DAY,
  dailyCount,
  REPEAT_CUSTOMER_DAYS,
  SALT,
  timeInDay,
  type World,
} from '../world.js';
import { chargeOf, invoiceOfCode } from './billing.js';
import { type CustomerPlan, customerPlan, nCustomers } from './customer.js';
import type { PayoutBook } from './payout.js';
import { RETRY_CODE } from './subscription.js';

/**
 * The charge family: a charge with its payment intent, balance transaction, refunds and
 * dispute (with its balance transactions). Either a one-off charge (root day, index) or the
 * payment of a subscription's invoice (the customer's day and index, and the invoice's cycle).
 */

export const FAILURE_CODES: readonly (readonly [string, string, number])[] = [
  ['card_declined', 'Your card was declined.', 60],
  ['insufficient_funds', 'Your card has insufficient funds.', 20],
  ['expired_card', 'Your card has expired.', 10],
  ['incorrect_cvc', "Your card's security code is incorrect.", 10],
];

const FAILURE_CHOICES = FAILURE_CODES.map(([c, m, wt]) => [[c, m] as const, wt] as const);

const DISPUTE_REASONS = ['fraudulent', 'product_not_received', 'duplicate', 'general'] as const;

/** The fee of a lost dispute's withdrawal. */
export const DISPUTE_FEE = 1500;

/** Stripe's card pricing used for every fee: 2.9% + 30 minor units. */
export function stripeFee(amount: number): number {
  return Math.round(amount * 0.029) + 30;
}

export interface RefundPlan {
  readonly created: number;
  readonly amount: number;
}

export interface DisputePlan {
  readonly created: number;
  readonly closedAt: number;
  readonly won: boolean;
  readonly reason: string;
}

/** A charge with its payment intent, balance transaction, refunds and dispute. */
export interface ChargePlan {
  /**
   * 0 = one-off charge (root day, index), 1 = a payment of the invoice of code `cycle` of customer
   * (day, index) (`subscription.ts`: its first attempt, or RETRY_CODE + code for the retry).
   */
  readonly family: 0 | 1;
  readonly day: number;
  readonly index: number;
  readonly cycle: number;
  readonly piCreated: number;
  readonly created: number;
  readonly customer: CustomerPlan | null;
  readonly currency: string;
  readonly amount: number;
  readonly failure: readonly [code: string, message: string] | null;
  readonly refunds: readonly RefundPlan[];
  readonly dispute: DisputePlan | null;
  readonly cardSeed: number;
}

/** One-off charges created on day `day` (0 before the first day). */
export function nCharges(w: World, day: number): number {
  return day < w.firstDay ? 0 : dailyCount(w, SALT.nCharges, day, w.volume.chargesPerDay);
}

/** The one-off charge `index` of day `day`. */
export function oneOffChargePlan(w: World, day: number, index: number): ChargePlan | null {
  const n = nCharges(w, day);
  if (index < 0 || index >= n) return null;
  const seed = w.seed;
  const created = timeInDay(w, SALT.chTime, day, index, n);
  const customer = unit(seed, SALT.chGuest, day, index) < 0.08 ? null : pickCustomer(w, day, index, created);
  const currency = customer?.currency ?? pickWeighted(unit(seed, SALT.guestCurrency, day, index), CURRENCIES);
  // Log-uniform amounts between 5.00 and 500.00.
  const amount = Math.round(Math.exp(Math.log(500) + unit(seed, SALT.chAmount, day, index) * Math.log(100)));
  const failed = unit(seed, SALT.chFail, day, index) < 0.065;
  const failure = failed ? pickWeighted(unit(seed, SALT.chFailCode, day, index), FAILURE_CHOICES) : null;
  return finishCharge(w, { family: 0, day, index, cycle: 0, created, customer, currency, amount, failure });
}

/** The charge family of code `code` paying an invoice of customer (day, index), or null. */
export function invoiceChargePlan(w: World, day: number, index: number, code: number): ChargePlan | null {
  const inv = invoiceOfCode(w, day, index, code);
  return inv && chargeOf(w, inv, code >= RETRY_CODE);
}

/**
 * A payment of an invoice of customer `c` (`code` as in `ChargePlan.cycle`), created at
 * `created`; a failed one takes a decline code.
 */
export function invoiceChargePlanOf(
  w: World,
  c: CustomerPlan,
  code: number,
  o: { created: number; amount: number; failed: boolean },
): ChargePlan {
  const failure = o.failed
    ? pickWeighted(unit(w.seed, SALT.chFailCode, c.day, c.index, 1_000_000 + code), FAILURE_CHOICES)
    : null;
  return finishCharge(w, {
    family: 1,
    day: c.day,
    index: c.index,
    cycle: code,
    created: o.created,
    customer: c,
    currency: c.currency,
    amount: o.amount,
    failure,
  });
}

type ChargeCore = Pick<
  ChargePlan,
  'family' | 'day' | 'index' | 'cycle' | 'created' | 'customer' | 'currency' | 'amount' | 'failure'
>;

// Hot path at start-up (a million calls): no closures, no spreads.
function finishCharge(w: World, c: ChargeCore): ChargePlan {
  const seed = w.seed;
  const d = c.day;
  const i = c.index;
  const a = (c.family * 4096 + c.cycle) * 8;
  const piCreated = c.created - intBetween(unit(seed, SALT.piDelay, d, i, a), 1, 3);
  const refunds: RefundPlan[] = [];
  let dispute: DisputePlan | null = null;
  if (!c.failure) {
    if (unit(seed, SALT.chRefund, d, i, a) < 0.05) {
      const t1 = c.created + intBetween(unit(seed, SALT.chRefundAt, d, i, a), 3600, 20 * DAY);
      if (unit(seed, SALT.chRefundKind, d, i, a) < 0.6) {
        refunds.push({ created: t1, amount: c.amount });
      } else {
        const first = Math.max(1, Math.floor(c.amount * (0.2 + 0.3 * unit(seed, SALT.chRefundAmt, d, i, a))));
        refunds.push({ created: t1, amount: first });
        if (unit(seed, SALT.chRefundKind, d, i, a + 1) < 0.4) {
          const second = Math.max(
            1,
            Math.floor((c.amount - first) * (0.2 + 0.5 * unit(seed, SALT.chRefundAmt, d, i, a + 1))),
          );
          refunds.push({
            created: t1 + intBetween(unit(seed, SALT.chRefundAt, d, i, a + 1), 3600, 5 * DAY),
            amount: second,
          });
        }
      }
    } else if (unit(seed, SALT.chDispute, d, i, a) < 0.008) {
      const created = c.created + intBetween(unit(seed, SALT.chDisputeAt, d, i, a), 2 * DAY, 30 * DAY);
      dispute = {
        created,
        closedAt: created + intBetween(unit(seed, SALT.chDisputeClose, d, i, a), 7 * DAY, 40 * DAY),
        won: unit(seed, SALT.chDisputeWon, d, i, a) < 0.4,
        reason: DISPUTE_REASONS[hash32(seed, SALT.chDisputeReason, d, i, a) % 4]!,
      };
    }
  }
  return {
    family: c.family,
    day: d,
    index: i,
    cycle: c.cycle,
    piCreated,
    created: c.created,
    customer: c.customer,
    currency: c.currency,
    amount: c.amount,
    failure: c.failure,
    refunds,
    dispute,
    cardSeed: hash32(seed, SALT.chCard, d, i, a),
  };
}

/**
 * A buyer for a one-off charge: half the time a customer created earlier the same day, else a
 * customer of one of the REPEAT_CUSTOMER_DAYS previous days. Always created before the charge.
 */
function pickCustomer(w: World, day: number, index: number, chargeCreated: number): CustomerPlan | null {
  const seed = w.seed;
  if (unit(seed, SALT.chSameDay, day, index) < 0.5) {
    const n = nCustomers(w, day);
    const limit = chargeCreated - 10;
    // Customers are spread evenly over the day: start from the proportional guess, step down.
    let j = Math.min(n - 1, Math.floor(((limit - day * DAY) / DAY) * n));
    while (j >= 0 && timeInDay(w, SALT.custTime, day, j, n) >= limit) j--;
    if (j >= 0) return customerPlan(w, day, intBetween(unit(seed, SALT.chPickIdx, day, index), 0, j));
  }
  const back = intBetween(unit(seed, SALT.chPickDay, day, index), 1, REPEAT_CUSTOMER_DAYS);
  const n = nCustomers(w, day - back);
  if (n === 0) return null;
  return customerPlan(w, day - back, intBetween(unit(seed, SALT.chPickIdx, day, index, 1), 0, n - 1));
}

/** Whether a kind belongs to a one-off charge family (else to an invoice's). */
function isOneOff(kind: number): boolean {
  switch (kind) {
    case Kind.chargeOneOff:
    case Kind.piOneOff:
    case Kind.refundOneOff:
    case Kind.disputeOneOff:
    case Kind.btChargeOneOff:
    case Kind.btRefundOneOff:
    case Kind.btDisputeOneOff:
      return true;
    default:
      return false;
  }
}

/** The charge family a charge/payment intent/refund/dispute/balance transaction ref belongs to. */
export function chargePlanOf(w: World, ref: ObjectRef): ChargePlan | null {
  const cycle = Math.floor(ref.sub / 4);
  if (isOneOff(ref.kind)) return cycle === 0 ? oneOffChargePlan(w, ref.day, ref.index) : null;
  return invoiceChargePlan(w, ref.day, ref.index, cycle);
}

// --- timeline --------------------------------------------------------------------------------

const E = {
  piCreated: eventCode('payment_intent.created'),
  piSucceeded: eventCode('payment_intent.succeeded'),
  piFailed: eventCode('payment_intent.payment_failed'),
  chargeSucceeded: eventCode('charge.succeeded'),
  chargeFailed: eventCode('charge.failed'),
  chargeRefunded: eventCode('charge.refunded'),
  chargeUpdated: eventCode('charge.updated'),
  refundCreated: eventCode('refund.created'),
  disputeCreated: eventCode('charge.dispute.created'),
  disputeClosed: eventCode('charge.dispute.closed'),
} as const;

/**
 * Walks every object of a charge family, versions up to `tMax`; with a `ledger`, also books the
 * net of each balance transaction for the payout that will pay it out.
 */
export function walkChargeFamily(p: ChargePlan, tMax: number, sink: VersionSink, ledger?: PayoutBook): void {
  const f = p.family;
  const d = p.day;
  const i = p.index;
  const base = p.cycle * 4;
  if (p.piCreated > tMax) return;
  const pi = f ? Kind.piInvoice : Kind.piOneOff;
  sink.add(pi, d, i, base, 0, p.piCreated, E.piCreated);
  if (p.created > tMax) return;
  sink.add(pi, d, i, base, 1, p.created, p.failure ? E.piFailed : E.piSucceeded);
  const ch = f ? Kind.chargeInvoice : Kind.chargeOneOff;
  sink.add(ch, d, i, base, 0, p.created, p.failure ? E.chargeFailed : E.chargeSucceeded);
  if (p.failure) return;
  let n = 1;
  const refunds = p.refunds;
  for (let r = 0; r < refunds.length; r++) {
    const t = refunds[r]!.created;
    if (t > tMax) break;
    sink.add(ch, d, i, base, n++, t, E.chargeRefunded);
  }
  const dp = p.dispute;
  if (dp && dp.created <= tMax) sink.add(ch, d, i, base, n++, dp.created, E.chargeUpdated);
  balanceTransaction(sink, f ? Kind.btChargeInvoice : Kind.btChargeOneOff, d, i, base, p.created, tMax);
  // the nets as the balance transaction renderer gives them (amount - fee)
  ledger?.add(p.currency, p.created + AVAILABLE_AFTER, p.amount - stripeFee(p.amount));
  for (let r = 0; r < refunds.length; r++) {
    const t = refunds[r]!.created;
    if (t > tMax) break;
    sink.add(f ? Kind.refundInvoice : Kind.refundOneOff, d, i, base + r, 0, t, E.refundCreated);
    balanceTransaction(sink, f ? Kind.btRefundInvoice : Kind.btRefundOneOff, d, i, base + r, t, tMax);
    ledger?.add(p.currency, t + AVAILABLE_AFTER, -refunds[r]!.amount);
  }
  if (dp && dp.created <= tMax) {
    const dk = f ? Kind.disputeInvoice : Kind.disputeOneOff;
    const bk = f ? Kind.btDisputeInvoice : Kind.btDisputeOneOff;
    sink.add(dk, d, i, base, 0, dp.created, E.disputeCreated);
    if (dp.closedAt <= tMax) sink.add(dk, d, i, base, 1, dp.closedAt, E.disputeClosed);
    balanceTransaction(sink, bk, d, i, base, dp.created, tMax);
    ledger?.add(p.currency, dp.created + AVAILABLE_AFTER, -p.amount - DISPUTE_FEE);
    if (dp.won && dp.closedAt <= tMax) {
      balanceTransaction(sink, bk, d, i, base + 1, dp.closedAt, tMax);
      ledger?.add(p.currency, dp.closedAt + AVAILABLE_AFTER, p.amount);
    }
  }
}

/** A balance transaction turns `available` silently (no event), as in Stripe. */
function balanceTransaction(
  sink: VersionSink,
  kind: number,
  day: number,
  index: number,
  sub: number,
  t: number,
  tMax: number,
): void {
  if (t > tMax) return;
  sink.add(kind, day, index, sub, 0, t, 0);
  if (t + AVAILABLE_AFTER <= tMax) sink.add(kind, day, index, sub, 1, t + AVAILABLE_AFTER, 0);
}
