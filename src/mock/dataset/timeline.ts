import { type InvoicePlan, invoicePlan, walkSubscription, walkSubscriptions } from './families/billing.js';
import {
  type CouponPlan,
  couponPlan,
  couponTimeline,
  type PricePlan,
  type ProductPlan,
  pricePlan,
  priceTimeline,
  productPlan,
  productTimeline,
  walkCatalogue,
} from './families/catalogue.js';
import {
  type ChargePlan,
  chargePlanOf,
  nCharges,
  oneOffChargePlan,
  walkChargeFamily,
} from './families/charge.js';
import { type CustomerPlan, customerPlan, customerTimeline, nCustomers } from './families/customer.js';
import {
  PAYOUT_AT,
  type PayoutBook,
  type PayoutPlan,
  payoutTimeline,
  walkPayouts,
} from './families/payout.js';
import { GEN_CYCLES, periodStart, type SubscriptionPlan, subscriptionPlan } from './families/subscription.js';
import { Kind, type ObjectRef } from './ids.js';
import type { Version, VersionSink } from './versions.js';
import { DAY, firstCustomerDay, type World } from './world.js';

/**
 * Every object's timeline, from the family walkers: the whole world's (the index builder's
 * feed) or one object's (`describe`, for retrieve, events and rendering).
 */

/** The plan of the family an object belongs to (what its renderer reads). */
export type FamilyPlan =
  | CustomerPlan
  | SubscriptionPlan
  | InvoicePlan
  | ChargePlan
  | ProductPlan
  | PricePlan
  | CouponPlan
  | PayoutPlan;

export interface Described {
  readonly ref: ObjectRef;
  readonly versions: readonly Version[];
  /**
   * The plan `describe` computed on the way (a customer's, a subscription's, an invoice's, or a
   * charge family's), so renderers need not compute it again.
   */
  readonly plan: FamilyPlan;
}

/** Walks the customer (day, index), its subscriptions, their invoices and charge families. */
export function walkCustomerFamily(
  w: World,
  c: CustomerPlan,
  tMax: number,
  sink: VersionSink,
  ledger?: PayoutBook,
): void {
  if (c.created > tMax) return;
  customerTimeline(c, tMax, sink);
  walkSubscriptions(w, c, tMax, sink, ledger);
}

/**
 * Walks every family of the world: every version of every object created up to `tMax`. The
 * payouts come last: their amounts are the sums the walk of the charge families books (unless
 * the world's book already covers `tMax`).
 */
export function walkWorld(w: World, tMax: number, sink: VersionSink): void {
  const book = w.payouts;
  const ledger = book && book.lastDay < Math.floor((tMax - PAYOUT_AT) / DAY) ? book : undefined;
  ledger?.open(tMax);
  const lastDay = Math.floor(tMax / DAY);
  for (let d = firstCustomerDay(w); d <= lastDay; d++) {
    const n = nCustomers(w, d);
    for (let i = 0; i < n; i++) walkCustomerFamily(w, customerPlan(w, d, i)!, tMax, sink, ledger);
  }
  for (let d = w.firstDay; d <= lastDay; d++) {
    const n = nCharges(w, d);
    for (let i = 0; i < n; i++) walkChargeFamily(oneOffChargePlan(w, d, i)!, tMax, sink, ledger);
  }
  walkCatalogue(w, tMax, sink);
  ledger?.close(tMax);
  if (book) walkPayouts(book, tMax, sink);
}

/** Collects the versions of one ref from a walk. */
class RefSink implements VersionSink {
  readonly versions: Version[] = [];
  constructor(private readonly ref: ObjectRef) {}
  add(kind: number, day: number, index: number, sub: number, _v: number, t: number, type: number): void {
    const r = this.ref;
    if (kind === r.kind && sub === r.sub && day === r.day && index === r.index)
      this.versions.push({ t, type });
  }
}

/** The versions (up to `tMax`) of any object, or null when the mock has no such object by then. */
export function describe(w: World, ref: ObjectRef, tMax: number): Described | null {
  const sink = new RefSink(ref);
  let plan: FamilyPlan | null = null;
  switch (ref.kind) {
    case Kind.customer: {
      const c = ref.sub === 0 ? customerPlan(w, ref.day, ref.index) : null;
      if (c) customerTimeline(c, tMax, sink);
      plan = c;
      break;
    }
    case Kind.subscription: {
      const s = subscriptionPlan(w, ref.day, ref.index, ref.sub);
      if (s) walkSubscription(w, s, tMax, sink, undefined, false);
      plan = s;
      break;
    }
    case Kind.invoice: {
      const code = ref.sub / 4;
      const s =
        ref.sub % 4 === 0 && code < 2 * GEN_CYCLES
          ? subscriptionPlan(w, ref.day, ref.index, Math.floor(code / GEN_CYCLES))
          : null;
      if (s && code % GEN_CYCLES < s.invoiceCount) {
        // an invoice's versions all come before the next period starts
        walkSubscription(
          w,
          s,
          Math.min(tMax, periodStart(s, (code % GEN_CYCLES) + 1)),
          sink,
          undefined,
          false,
        );
        plan = sink.versions.length > 0 ? invoicePlan(w, s, code % GEN_CYCLES) : null;
      }
      break;
    }
    case Kind.product: {
      const p = ref.sub === 0 ? productPlan(w, ref.day, ref.index) : null;
      if (p) productTimeline(p, tMax, sink);
      plan = p;
      break;
    }
    case Kind.price: {
      const p = pricePlan(w, ref.day, ref.index, ref.sub);
      if (p) priceTimeline(p, tMax, sink);
      plan = p;
      break;
    }
    case Kind.coupon: {
      const c = ref.sub === 0 ? couponPlan(w, ref.day, ref.index) : null;
      if (c) couponTimeline(c, tMax, sink);
      plan = c;
      break;
    }
    case Kind.payout:
    case Kind.btPayout:
    case Kind.btPayoutFailure: {
      const p = ref.sub === 0 ? (w.payouts?.plan(ref.day, ref.index) ?? null) : null;
      if (p) payoutTimeline(p, tMax, sink);
      plan = p;
      break;
    }
    default: {
      const p = chargePlanOf(w, ref);
      if (p) walkChargeFamily(p, tMax, sink);
      plan = p;
    }
  }
  return plan && sink.versions.length > 0 ? { ref, versions: sink.versions, plan } : null;
}
