import { ENTITIES } from '../entities/registry.js';
import { Kind, type Ref } from './ids.js';
import {
  AVAILABLE_AFTER,
  type ChargePlan,
  type CustomerPlan,
  chargePlanOf,
  customerPlan,
  FINALIZE_AFTER,
  invoiceChargePlan,
  invoiceCreated,
  type SubscriptionPlan,
  subscriptionPlan,
  type World,
} from './plan.js';

/**
 * Object timelines: each object is a list of versions (time, event type or 0 for a silent
 * change). An object's state between two versions is the earlier version's, so every state
 * change that is not silent has exactly one event whose `data.object` is that state.
 *
 * The family walkers below are the single source of every timeline: the index builder and
 * `describe` both consume them through a `Sink` (primitive arguments, no allocation per call,
 * because the index walks millions of objects at start-up).
 */

/**
 * How long the mock keeps events, as Stripe does: `GET /v1/events` lists, retrieves and accepts
 * as cursors only events with `created > now - EVENT_RETENTION_SECONDS`, and `/_mock/truth/events`
 * shows only those. Objects themselves are kept forever; webhooks are sent as events happen.
 */
export const EVENT_RETENTION_SECONDS = 30 * 86_400;

/** Every event type of the registry; an event type's code is its index + 1 (0 = silent). */
export const EVENT_TYPES: readonly string[] = ENTITIES.flatMap((e) => e.eventTypes);
const code = (type: string): number => {
  const n = EVENT_TYPES.indexOf(type);
  if (n < 0) throw new Error(`event type ${type} is not in the entity registry`);
  return n + 1;
};
const E = {
  customerCreated: code('customer.created'),
  customerUpdated: code('customer.updated'),
  customerDeleted: code('customer.deleted'),
  piCreated: code('payment_intent.created'),
  piSucceeded: code('payment_intent.succeeded'),
  piFailed: code('payment_intent.payment_failed'),
  chargeSucceeded: code('charge.succeeded'),
  chargeFailed: code('charge.failed'),
  chargeRefunded: code('charge.refunded'),
  chargeUpdated: code('charge.updated'),
  refundCreated: code('refund.created'),
  invoiceCreated: code('invoice.created'),
  invoiceFinalized: code('invoice.finalized'),
  invoicePaid: code('invoice.paid'),
  subCreated: code('customer.subscription.created'),
  subUpdated: code('customer.subscription.updated'),
  subDeleted: code('customer.subscription.deleted'),
  disputeCreated: code('charge.dispute.created'),
  disputeClosed: code('charge.dispute.closed'),
} as const;

/**
 * Receives version `n` (0 = creation) of object (k, d, i, s) at time `t` with event type code
 * `type` (0 = silent). Versions of one object arrive in time order.
 */
export interface Sink {
  add(k: number, d: number, i: number, s: number, n: number, t: number, type: number): void;
}

export interface Version {
  readonly t: number;
  /** Event type code (0 = silent change). */
  readonly type: number;
}

export interface Described {
  readonly ref: Ref;
  readonly versions: readonly Version[];
  /**
   * The plan `describe` computed on the way (a customer's, a subscription's or invoice's, or a
   * charge family's), so builders need not compute it again.
   */
  readonly plan: CustomerPlan | SubscriptionPlan | ChargePlan;
}

/** Walks every object of a charge family, versions up to `tMax`. */
export function chargeFamily(p: ChargePlan, tMax: number, sink: Sink): void {
  const f = p.family;
  const d = p.d;
  const i = p.i;
  const base = p.m * 4;
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
  for (let r = 0; r < refunds.length; r++) {
    const t = refunds[r]!.created;
    if (t > tMax) break;
    sink.add(f ? Kind.refundInvoice : Kind.refundOneOff, d, i, base + r, 0, t, E.refundCreated);
    balanceTransaction(sink, f ? Kind.btRefundInvoice : Kind.btRefundOneOff, d, i, base + r, t, tMax);
  }
  if (dp && dp.created <= tMax) {
    const dk = f ? Kind.disputeInvoice : Kind.disputeOneOff;
    const bk = f ? Kind.btDisputeInvoice : Kind.btDisputeOneOff;
    sink.add(dk, d, i, base, 0, dp.created, E.disputeCreated);
    if (dp.closedAt <= tMax) sink.add(dk, d, i, base, 1, dp.closedAt, E.disputeClosed);
    balanceTransaction(sink, bk, d, i, base, dp.created, tMax);
    if (dp.won) balanceTransaction(sink, bk, d, i, base + 1, dp.closedAt, tMax);
  }
}

/** A balance transaction turns `available` silently (no event), as in Stripe. */
function balanceTransaction(
  sink: Sink,
  k: number,
  d: number,
  i: number,
  s: number,
  t: number,
  tMax: number,
): void {
  if (t > tMax) return;
  sink.add(k, d, i, s, 0, t, 0);
  if (t + AVAILABLE_AFTER <= tMax) sink.add(k, d, i, s, 1, t + AVAILABLE_AFTER, 0);
}

function customerTimeline(c: CustomerPlan, tMax: number, sink: Sink): void {
  if (c.created > tMax) return;
  sink.add(Kind.customer, c.d, c.i, 0, 0, c.created, E.customerCreated);
  let n = 1;
  if (c.updatedAt !== null && c.updatedAt <= tMax)
    sink.add(Kind.customer, c.d, c.i, 0, n++, c.updatedAt, E.customerUpdated);
  if (c.deletedAt !== null && c.deletedAt <= tMax)
    sink.add(Kind.customer, c.d, c.i, 0, n++, c.deletedAt, E.customerDeleted);
}

function subscriptionTimeline(s: SubscriptionPlan, tMax: number, sink: Sink): void {
  const { d, i } = s.customer;
  if (s.created > tMax) return;
  sink.add(Kind.subscription, d, i, 0, 0, s.created, E.subCreated);
  let n = 1;
  for (let m = 1; m < s.invoiceCount; m++) {
    const t = invoiceCreated(s, m);
    if (t > tMax) break;
    sink.add(Kind.subscription, d, i, 0, n++, t, E.subUpdated);
  }
  if (s.canceledAt !== null && s.canceledAt <= tMax)
    sink.add(Kind.subscription, d, i, 0, n, s.canceledAt, E.subDeleted);
}

function invoiceTimeline(s: SubscriptionPlan, m: number, tMax: number, sink: Sink): void {
  const { d, i } = s.customer;
  const t = invoiceCreated(s, m);
  if (t > tMax) return;
  sink.add(Kind.invoice, d, i, m * 4, 0, t, E.invoiceCreated);
  if (t + FINALIZE_AFTER <= tMax)
    sink.add(Kind.invoice, d, i, m * 4, 1, t + FINALIZE_AFTER, E.invoiceFinalized);
  if (t + FINALIZE_AFTER + 3 <= tMax)
    sink.add(Kind.invoice, d, i, m * 4, 2, t + FINALIZE_AFTER + 3, E.invoicePaid);
}

/** Walks the customer (d, i), its subscription, invoices and their charge families. */
export function customerFamily(w: World, c: CustomerPlan, tMax: number, sink: Sink): void {
  if (c.created > tMax) return;
  customerTimeline(c, tMax, sink);
  if (!c.hasSubscription) return;
  const s = subscriptionPlan(w, c.d, c.i)!;
  if (s.created > tMax) return;
  subscriptionTimeline(s, tMax, sink);
  for (let m = 0; m < s.invoiceCount; m++) {
    if (invoiceCreated(s, m) > tMax) break;
    invoiceTimeline(s, m, tMax, sink);
    const p = invoiceChargePlan(w, c.d, c.i, m);
    if (p) chargeFamily(p, tMax, sink);
  }
}

/** Collects the versions of one ref from a walk. */
class RefSink implements Sink {
  readonly versions: Version[] = [];
  constructor(private readonly ref: Ref) {}
  add(k: number, d: number, i: number, s: number, _n: number, t: number, type: number): void {
    const r = this.ref;
    if (k === r.k && s === r.s && d === r.d && i === r.i) this.versions.push({ t, type });
  }
}

/** The versions (up to `tMax`) of any object, or null when the mock has no such object by then. */
export function describe(w: World, ref: Ref, tMax: number): Described | null {
  const sink = new RefSink(ref);
  let plan: CustomerPlan | SubscriptionPlan | ChargePlan | null = null;
  switch (ref.k) {
    case Kind.customer: {
      const c = ref.s === 0 ? customerPlan(w, ref.d, ref.i) : null;
      if (c) customerTimeline(c, tMax, sink);
      plan = c;
      break;
    }
    case Kind.subscription: {
      const s = ref.s === 0 ? subscriptionPlan(w, ref.d, ref.i) : null;
      if (s) subscriptionTimeline(s, tMax, sink);
      plan = s;
      break;
    }
    case Kind.invoice: {
      const s = ref.s % 4 === 0 ? subscriptionPlan(w, ref.d, ref.i) : null;
      if (s && ref.s / 4 < s.invoiceCount) invoiceTimeline(s, ref.s / 4, tMax, sink);
      plan = s;
      break;
    }
    default: {
      const p = chargePlanOf(w, ref);
      if (p) chargeFamily(p, tMax, sink);
      plan = p;
    }
  }
  return plan && sink.versions.length > 0 ? { ref, versions: sink.versions, plan } : null;
}
