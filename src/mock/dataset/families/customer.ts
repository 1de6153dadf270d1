import { Kind } from '../ids.js';
import { hash32, intBetween, pickWeighted, unit } from '../rng.js';
import { eventCode, type VersionSink } from '../versions.js';
import {
  addMonths,
  CURRENCIES,
  DAY,
  dailyCount,
  FINALIZE_AFTER,
  firstCustomerDay,
  SALT,
  timeInDay,
  type World,
} from '../world.js';

/**
 * The customer family: a customer, maybe a monthly subscription, and its invoices (each paid by
 * a charge family, `charge.ts`). Plans are the compact, pure description of a family; the
 * walker emits every version of every object of it.
 */

export const PRICES: readonly (readonly [number, string])[] = [
  [900, 'Starter'],
  [1900, 'Pro'],
  [4900, 'Team'],
  [9900, 'Business'],
];

export interface CustomerPlan {
  readonly day: number;
  readonly index: number;
  readonly created: number;
  readonly currency: string;
  readonly nameSeed: number;
  readonly hasSubscription: boolean;
  readonly updatedAt: number | null;
  readonly deletedAt: number | null;
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

/** Customers created on day `day` (0 before the first customer day). */
export function nCustomers(w: World, day: number): number {
  return day < firstCustomerDay(w) ? 0 : dailyCount(w, SALT.nCustomers, day, w.volume.customersPerDay);
}

/** The customer `index` of day `day`, or null when there is no such customer. */
export function customerPlan(w: World, day: number, index: number): CustomerPlan | null {
  const n = nCustomers(w, day);
  if (index < 0 || index >= n) return null;
  const seed = w.seed;
  const created = timeInDay(w, SALT.custTime, day, index, n);
  const hasSubscription = unit(seed, SALT.custSub, day, index) < 0.2;
  const updatedAt =
    unit(seed, SALT.custUpdate, day, index) < 0.3
      ? created + intBetween(unit(seed, SALT.custUpdateAt, day, index), 3600, 20 * DAY)
      : null;
  // Only customers without a subscription are deleted, and only after every repeat purchase
  // that could reference them (REPEAT_CUSTOMER_DAYS) so no charge points at a deleted customer.
  const deletedAt =
    !hasSubscription && unit(seed, SALT.custDelete, day, index) < 0.05
      ? created + intBetween(unit(seed, SALT.custDeleteAt, day, index), 40 * DAY, 120 * DAY)
      : null;
  return {
    day,
    index,
    created,
    currency: pickWeighted(unit(seed, SALT.custCurrency, day, index), CURRENCIES),
    nameSeed: hash32(seed, SALT.custName, day, index),
    hasSubscription,
    updatedAt,
    deletedAt,
  };
}

/** The subscription of customer (day, index), or null when it has none. */
export function subscriptionPlan(w: World, day: number, index: number): SubscriptionPlan | null {
  const c = customerPlan(w, day, index);
  if (!c?.hasSubscription) return null;
  const seed = w.seed;
  const created = c.created + intBetween(unit(seed, SALT.subDelay, day, index), 60, 600);
  const [price, product] = PRICES[hash32(seed, SALT.subPrice, day, index) % PRICES.length]!;
  let canceledAt: number | null = null;
  let invoiceCount = Number.POSITIVE_INFINITY;
  if (unit(seed, SALT.subCancel, day, index) < 0.4) {
    const life = intBetween(unit(seed, SALT.subLife, day, index), 1, 12);
    canceledAt =
      addMonths(created, life) - intBetween(unit(seed, SALT.subCancelOffset, day, index), DAY, 5 * DAY);
    invoiceCount = life;
  }
  return { customer: c, created, price, product, canceledAt, invoiceCount };
}

/** Creation time of the subscription's invoice of cycle `cycle` (0 at the subscription's start). */
export const invoiceCreated = (s: SubscriptionPlan, cycle: number): number => addMonths(s.created, cycle);

/** How many invoices of the subscription exist at time `t`. */
export function invoicesBy(s: SubscriptionPlan, t: number): number {
  if (t < s.created) return 0;
  // Months elapsed is at most the day count / 28; step down to the exact count.
  let m = Math.min(s.invoiceCount, Math.floor((t - s.created) / (28 * DAY)) + 1);
  while (m > 0 && invoiceCreated(s, m - 1) > t) m--;
  while (m < s.invoiceCount && invoiceCreated(s, m) <= t) m++;
  return m;
}

// --- timelines -------------------------------------------------------------------------------

const E = {
  customerCreated: eventCode('customer.created'),
  customerUpdated: eventCode('customer.updated'),
  customerDeleted: eventCode('customer.deleted'),
  invoiceCreated: eventCode('invoice.created'),
  invoiceFinalized: eventCode('invoice.finalized'),
  invoicePaid: eventCode('invoice.paid'),
  subCreated: eventCode('customer.subscription.created'),
  subUpdated: eventCode('customer.subscription.updated'),
  subDeleted: eventCode('customer.subscription.deleted'),
} as const;

export function customerTimeline(c: CustomerPlan, tMax: number, sink: VersionSink): void {
  if (c.created > tMax) return;
  sink.add(Kind.customer, c.day, c.index, 0, 0, c.created, E.customerCreated);
  let n = 1;
  if (c.updatedAt !== null && c.updatedAt <= tMax)
    sink.add(Kind.customer, c.day, c.index, 0, n++, c.updatedAt, E.customerUpdated);
  if (c.deletedAt !== null && c.deletedAt <= tMax)
    sink.add(Kind.customer, c.day, c.index, 0, n++, c.deletedAt, E.customerDeleted);
}

export function subscriptionTimeline(s: SubscriptionPlan, tMax: number, sink: VersionSink): void {
  const { day, index } = s.customer;
  if (s.created > tMax) return;
  sink.add(Kind.subscription, day, index, 0, 0, s.created, E.subCreated);
  let n = 1;
  for (let cycle = 1; cycle < s.invoiceCount; cycle++) {
    const t = invoiceCreated(s, cycle);
    if (t > tMax) break;
    sink.add(Kind.subscription, day, index, 0, n++, t, E.subUpdated);
  }
  if (s.canceledAt !== null && s.canceledAt <= tMax)
    sink.add(Kind.subscription, day, index, 0, n, s.canceledAt, E.subDeleted);
}

export function invoiceTimeline(s: SubscriptionPlan, cycle: number, tMax: number, sink: VersionSink): void {
  const { day, index } = s.customer;
  const t = invoiceCreated(s, cycle);
  if (t > tMax) return;
  sink.add(Kind.invoice, day, index, cycle * 4, 0, t, E.invoiceCreated);
  if (t + FINALIZE_AFTER <= tMax)
    sink.add(Kind.invoice, day, index, cycle * 4, 1, t + FINALIZE_AFTER, E.invoiceFinalized);
  if (t + FINALIZE_AFTER + 3 <= tMax)
    sink.add(Kind.invoice, day, index, cycle * 4, 2, t + FINALIZE_AFTER + 3, E.invoicePaid);
}
