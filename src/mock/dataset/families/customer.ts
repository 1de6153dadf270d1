import { Kind } from '../ids.js';
import { hash32, intBetween, pickWeighted, unit } from '../rng.js';
import { eventCode, type VersionSink } from '../versions.js';
import { CURRENCIES, DAY, dailyCount, firstCustomerDay, SALT, timeInDay, type World } from '../world.js';

/**
 * The customer family: a customer and, for a subscriber, its subscriptions (`subscription.ts`).
 * Plans are the compact, pure description of a family; the walker emits every version of every
 * object of it.
 */

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

// --- timelines -------------------------------------------------------------------------------

const E = {
  customerCreated: eventCode('customer.created'),
  customerUpdated: eventCode('customer.updated'),
  customerDeleted: eventCode('customer.deleted'),
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
