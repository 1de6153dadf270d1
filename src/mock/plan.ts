import { Kind, MAX_INDEX, type Ref } from './ids.js';
import type { MockVolume } from './options.js';
import { hash32, intBetween, pickWeighted, unit } from './rng.js';

/**
 * Plans: the compact, pure description of each generated family (a customer and its
 * subscription, a charge and its payment intent, refunds, dispute, balance transactions). Every
 * time and amount of a family is a function of (seed, root day, index, rates) only; the index
 * builder and the object builders both read these plans, so they cannot disagree.
 */

export const DAY = 86_400;
/** Repeat buyers come from customers up to this many days older than the charge. */
export const REPEAT_CUSTOMER_DAYS = 14;
/** Balance transactions turn `available` this long after creation (silently, as in Stripe). */
export const AVAILABLE_AFTER = 2 * DAY;
/** Subscription invoices are finalized (and charged) an hour after creation, as in Stripe. */
export const FINALIZE_AFTER = 3600;

// Salts: one per decision so that decisions are independent.
const S = {
  nCustomers: 1,
  nCharges: 2,
  custTime: 3,
  custCurrency: 4,
  custSub: 5,
  custUpdate: 6,
  custUpdateAt: 7,
  custDelete: 8,
  custDeleteAt: 9,
  custName: 10,
  chTime: 11,
  chGuest: 12,
  chSameDay: 13,
  chPickDay: 14,
  chPickIdx: 15,
  chAmount: 16,
  chFail: 17,
  chFailCode: 18,
  chRefund: 19,
  chRefundKind: 20,
  chRefundAt: 21,
  chRefundAmt: 22,
  chDispute: 23,
  chDisputeAt: 24,
  chDisputeClose: 25,
  chDisputeWon: 26,
  chDisputeReason: 27,
  chCard: 28,
  guestCurrency: 29,
  subDelay: 30,
  subPrice: 31,
  subCancel: 32,
  subLife: 33,
  subCancelOffset: 34,
  piDelay: 35,
} as const;

export const CURRENCIES: readonly (readonly [string, number])[] = [
  ['usd', 55],
  ['eur', 20],
  ['gbp', 12],
  ['cad', 6],
  ['aud', 4],
  ['sek', 3],
];

export const FAILURE_CODES: readonly (readonly [string, string, number])[] = [
  ['card_declined', 'Your card was declined.', 60],
  ['insufficient_funds', 'Your card has insufficient funds.', 20],
  ['expired_card', 'Your card has expired.', 10],
  ['incorrect_cvc', "Your card's security code is incorrect.", 10],
];

const FAILURE_CHOICES = FAILURE_CODES.map(([c, m, wt]) => [[c, m] as const, wt] as const);

export const PRICES: readonly (readonly [number, string])[] = [
  [900, 'Starter'],
  [1900, 'Pro'],
  [4900, 'Team'],
  [9900, 'Business'],
];

/** Stripe's card pricing used for every fee: 2.9% + 30 minor units. */
export function stripeFee(amount: number): number {
  return Math.round(amount * 0.029) + 30;
}

/** The world every plan is computed in. */
export interface World {
  readonly seed: number;
  readonly volume: MockVolume;
  /** First day (unix day number) of one-off charges; customers start REPEAT_CUSTOMER_DAYS earlier. */
  readonly firstDay: number;
}

export const firstCustomerDay = (w: World): number => w.firstDay - REPEAT_CUSTOMER_DAYS;

function dailyCount(w: World, salt: number, d: number, rate: number): number {
  if (rate <= 0) return 0;
  const n = Math.round(rate * (0.85 + 0.3 * unit(w.seed, salt, d)));
  return Math.min(MAX_INDEX - 1, Math.max(1, n));
}

/** Customers created on day `d` (0 before the first customer day). */
export function nCustomers(w: World, d: number): number {
  return d < firstCustomerDay(w) ? 0 : dailyCount(w, S.nCustomers, d, w.volume.customersPerDay);
}

/** One-off charges created on day `d` (0 before the first day). */
export function nCharges(w: World, d: number): number {
  return d < w.firstDay ? 0 : dailyCount(w, S.nCharges, d, w.volume.chargesPerDay);
}

/** Spreads `n` items over a day, strictly increasing in `i`. */
function timeInDay(w: World, salt: number, d: number, i: number, n: number): number {
  return d * DAY + Math.floor(((i + 0.9 * unit(w.seed, salt, d, i)) * DAY) / n);
}

/** Calendar-month addition with Stripe's clamping to the month's last day. */
export function addMonths(t: number, m: number): number {
  const date = new Date(t * 1000);
  const y = date.getUTCFullYear();
  const mo = date.getUTCMonth() + m;
  const lastDay = new Date(Date.UTC(y, mo + 1, 0)).getUTCDate();
  const day = Math.min(date.getUTCDate(), lastDay);
  return Date.UTC(y, mo, day, date.getUTCHours(), date.getUTCMinutes(), date.getUTCSeconds()) / 1000;
}

// ---------------------------------------------------------------------------------------------
// Customers and subscriptions

export interface CustomerPlan {
  readonly d: number;
  readonly i: number;
  readonly created: number;
  readonly currency: string;
  readonly nameSeed: number;
  readonly hasSubscription: boolean;
  readonly updatedAt: number | null;
  readonly deletedAt: number | null;
}

/** The customer `i` of day `d`, or null when there is no such customer. */
export function customerPlan(w: World, d: number, i: number): CustomerPlan | null {
  const n = nCustomers(w, d);
  if (i < 0 || i >= n) return null;
  const seed = w.seed;
  const created = timeInDay(w, S.custTime, d, i, n);
  const hasSubscription = unit(seed, S.custSub, d, i) < 0.2;
  const updatedAt =
    unit(seed, S.custUpdate, d, i) < 0.3
      ? created + intBetween(unit(seed, S.custUpdateAt, d, i), 3600, 20 * DAY)
      : null;
  // Only customers without a subscription are deleted, and only after every repeat purchase
  // that could reference them (REPEAT_CUSTOMER_DAYS) so no charge points at a deleted customer.
  const deletedAt =
    !hasSubscription && unit(seed, S.custDelete, d, i) < 0.05
      ? created + intBetween(unit(seed, S.custDeleteAt, d, i), 40 * DAY, 120 * DAY)
      : null;
  return {
    d,
    i,
    created,
    currency: pickWeighted(unit(seed, S.custCurrency, d, i), CURRENCIES),
    nameSeed: hash32(seed, S.custName, d, i),
    hasSubscription,
    updatedAt,
    deletedAt,
  };
}

export interface SubscriptionPlan {
  readonly customer: CustomerPlan;
  readonly created: number;
  readonly price: number;
  readonly product: string;
  /** Cancellation time, or null for a subscription that runs on. */
  readonly canceledAt: number | null;
  /** Invoices that will ever exist (Infinity when not canceled). */
  readonly invoiceCount: number;
}

export function subscriptionPlan(w: World, d: number, i: number): SubscriptionPlan | null {
  const c = customerPlan(w, d, i);
  if (!c?.hasSubscription) return null;
  const seed = w.seed;
  const created = c.created + intBetween(unit(seed, S.subDelay, d, i), 60, 600);
  const [price, product] = PRICES[hash32(seed, S.subPrice, d, i) % PRICES.length]!;
  let canceledAt: number | null = null;
  let invoiceCount = Number.POSITIVE_INFINITY;
  if (unit(seed, S.subCancel, d, i) < 0.4) {
    const life = intBetween(unit(seed, S.subLife, d, i), 1, 12);
    canceledAt = addMonths(created, life) - intBetween(unit(seed, S.subCancelOffset, d, i), DAY, 5 * DAY);
    invoiceCount = life;
  }
  return { customer: c, created, price, product, canceledAt, invoiceCount };
}

/** Creation time of the subscription's invoice `m` (m = 0 at the subscription's start). */
export const invoiceCreated = (s: SubscriptionPlan, m: number): number => addMonths(s.created, m);

/** How many invoices of the subscription exist at time `t`. */
export function invoicesBy(s: SubscriptionPlan, t: number): number {
  if (t < s.created) return 0;
  // Months elapsed is at most the day count / 28; step down to the exact count.
  let m = Math.min(s.invoiceCount, Math.floor((t - s.created) / (28 * DAY)) + 1);
  while (m > 0 && invoiceCreated(s, m - 1) > t) m--;
  while (m < s.invoiceCount && invoiceCreated(s, m) <= t) m++;
  return m;
}

// ---------------------------------------------------------------------------------------------
// Charge families

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
  /** 0 = one-off charge (root d, i), 1 = subscription invoice m of customer (d, i). */
  readonly family: 0 | 1;
  readonly d: number;
  readonly i: number;
  readonly m: number;
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

/** The one-off charge `i` of day `d`. */
export function oneOffChargePlan(w: World, d: number, i: number): ChargePlan | null {
  const n = nCharges(w, d);
  if (i < 0 || i >= n) return null;
  const seed = w.seed;
  const created = timeInDay(w, S.chTime, d, i, n);
  const customer = unit(seed, S.chGuest, d, i) < 0.08 ? null : pickCustomer(w, d, i, created);
  const currency = customer?.currency ?? pickWeighted(unit(seed, S.guestCurrency, d, i), CURRENCIES);
  // Log-uniform amounts between 5.00 and 500.00.
  const amount = Math.round(Math.exp(Math.log(500) + unit(seed, S.chAmount, d, i) * Math.log(100)));
  const failed = unit(seed, S.chFail, d, i) < 0.065;
  const failure = failed ? pickWeighted(unit(seed, S.chFailCode, d, i), FAILURE_CHOICES) : null;
  return finishCharge(w, { family: 0, d, i, m: 0, created, customer, currency, amount, failure });
}

/** The charge paying invoice `m` of the subscription of customer (d, i). */
export function invoiceChargePlan(w: World, d: number, i: number, m: number): ChargePlan | null {
  const s = subscriptionPlan(w, d, i);
  if (!s || m < 0 || m >= s.invoiceCount) return null;
  const created = invoiceCreated(s, m) + FINALIZE_AFTER + 2;
  return finishCharge(w, {
    family: 1,
    d,
    i,
    m,
    created,
    customer: s.customer,
    currency: s.customer.currency,
    amount: s.price,
    failure: null,
  });
}

type ChargeCore = Pick<
  ChargePlan,
  'family' | 'd' | 'i' | 'm' | 'created' | 'customer' | 'currency' | 'amount' | 'failure'
>;

const DISPUTE_REASONS = ['fraudulent', 'product_not_received', 'duplicate', 'general'] as const;

// Hot path at start-up (a million calls): no closures, no spreads.
function finishCharge(w: World, c: ChargeCore): ChargePlan {
  const seed = w.seed;
  const d = c.d;
  const i = c.i;
  const a = (c.family * 4096 + c.m) * 8;
  const piCreated = c.created - intBetween(unit(seed, S.piDelay, d, i, a), 1, 3);
  const refunds: RefundPlan[] = [];
  let dispute: DisputePlan | null = null;
  if (!c.failure) {
    if (unit(seed, S.chRefund, d, i, a) < 0.05) {
      const t1 = c.created + intBetween(unit(seed, S.chRefundAt, d, i, a), 3600, 20 * DAY);
      if (unit(seed, S.chRefundKind, d, i, a) < 0.6) {
        refunds.push({ created: t1, amount: c.amount });
      } else {
        const first = Math.max(1, Math.floor(c.amount * (0.2 + 0.3 * unit(seed, S.chRefundAmt, d, i, a))));
        refunds.push({ created: t1, amount: first });
        if (unit(seed, S.chRefundKind, d, i, a + 1) < 0.4) {
          const second = Math.max(
            1,
            Math.floor((c.amount - first) * (0.2 + 0.5 * unit(seed, S.chRefundAmt, d, i, a + 1))),
          );
          refunds.push({
            created: t1 + intBetween(unit(seed, S.chRefundAt, d, i, a + 1), 3600, 5 * DAY),
            amount: second,
          });
        }
      }
    } else if (unit(seed, S.chDispute, d, i, a) < 0.008) {
      const created = c.created + intBetween(unit(seed, S.chDisputeAt, d, i, a), 2 * DAY, 30 * DAY);
      dispute = {
        created,
        closedAt: created + intBetween(unit(seed, S.chDisputeClose, d, i, a), 7 * DAY, 40 * DAY),
        won: unit(seed, S.chDisputeWon, d, i, a) < 0.4,
        reason: DISPUTE_REASONS[hash32(seed, S.chDisputeReason, d, i, a) % 4]!,
      };
    }
  }
  return {
    family: c.family,
    d,
    i,
    m: c.m,
    piCreated,
    created: c.created,
    customer: c.customer,
    currency: c.currency,
    amount: c.amount,
    failure: c.failure,
    refunds,
    dispute,
    cardSeed: hash32(seed, S.chCard, d, i, a),
  };
}

/**
 * A buyer for a one-off charge: half the time a customer created earlier the same day, else a
 * customer of one of the REPEAT_CUSTOMER_DAYS previous days. Always created before the charge.
 */
function pickCustomer(w: World, d: number, i: number, chargeCreated: number): CustomerPlan | null {
  const seed = w.seed;
  if (unit(seed, S.chSameDay, d, i) < 0.5) {
    const n = nCustomers(w, d);
    const limit = chargeCreated - 10;
    // Customers are spread evenly over the day: start from the proportional guess, step down.
    let j = Math.min(n - 1, Math.floor(((limit - d * DAY) / DAY) * n));
    while (j >= 0 && timeInDay(w, S.custTime, d, j, n) >= limit) j--;
    if (j >= 0) return customerPlan(w, d, intBetween(unit(seed, S.chPickIdx, d, i), 0, j));
  }
  const back = intBetween(unit(seed, S.chPickDay, d, i), 1, REPEAT_CUSTOMER_DAYS);
  const n = nCustomers(w, d - back);
  if (n === 0) return null;
  return customerPlan(w, d - back, intBetween(unit(seed, S.chPickIdx, d, i, 1), 0, n - 1));
}

/** The charge family a charge/payment intent/refund/dispute/balance transaction ref belongs to. */
export function chargePlanOf(w: World, ref: Ref): ChargePlan | null {
  const m = Math.floor(ref.s / 4);
  switch (ref.k) {
    case Kind.chargeOneOff:
    case Kind.piOneOff:
    case Kind.refundOneOff:
    case Kind.disputeOneOff:
    case Kind.btChargeOneOff:
    case Kind.btRefundOneOff:
    case Kind.btDisputeOneOff:
      return m === 0 ? oneOffChargePlan(w, ref.d, ref.i) : null;
    default:
      return invoiceChargePlan(w, ref.d, ref.i, m);
  }
}
