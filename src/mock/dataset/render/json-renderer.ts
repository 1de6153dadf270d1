import { entity } from '../../../entities/lookups.js';
import { ENTITIES } from '../../../entities/registry.js';
import { type InvoicePlan, invoicePlan } from '../families/billing.js';
import {
  type CouponPlan,
  couponPlan,
  type PricePlan,
  type ProductPlan,
  pricePlan,
  productPlan,
} from '../families/catalogue.js';
import { type ChargePlan, chargePlanOf } from '../families/charge.js';
import { type CustomerPlan, customerPlan } from '../families/customer.js';
import type { PayoutPlan } from '../families/payout.js';
import { GEN_CYCLES, type SubscriptionPlan, subscriptionPlan } from '../families/subscription.js';
import { KIND_ENTITY, Kind, type ObjectRef, objectId } from '../ids.js';
import { type Described, describe, type FamilyPlan } from '../timeline.js';
import { eventCode } from '../versions.js';
import type { World } from '../world.js';
import { renderBalanceTransaction } from './balance-transaction.js';
import { renderCharge } from './charge.js';
import { renderCoupon } from './coupon.js';
import { deletedCustomerJson, renderCustomer } from './customer.js';
import { renderDispute } from './dispute.js';
import { renderInvoice } from './invoice.js';
import { renderPaymentIntent } from './payment-intent.js';
import { renderPayout, renderPayoutBalanceTransaction } from './payout.js';
import { renderPrice } from './price.js';
import { renderProduct } from './product.js';
import { renderRefund } from './refund.js';
import { chargeId, paymentIntentId, paymentMethodId } from './shared.js';
import { renderSubscription } from './subscription.js';

/**
 * Every object of the mock as JSON text, rendered straight from its family's plan: one renderer
 * per kind of object (this folder), whose constant runs are literal text and only the varying
 * fields are spliced in. This is what the server sends, what truth lists and what events carry;
 * building ~100 JS objects per page and stringifying them was most of a page's time (issue #3).
 * A unit test holds every version of every kind byte-equal to `JSON.stringify` of a readable
 * reference builder kept with the tests.
 */

/** Event codes after which an object is gone (retrieve and truth show Stripe's deleted stub). */
const DELETE_CODES = new Set(ENTITIES.flatMap((e) => e.deleteEvents).map(eventCode));

/** Stripe's stub of a deleted object: `{"id","object","deleted":true}`. */
const deletedJson = (id: string, kind: number): string =>
  `{"id":"${id}","object":"${entity(KIND_ENTITY[kind]!).objectName}","deleted":true}`;

/** A plan's deletion time, or null. */
const goneAt = (p: { readonly deletedAt: number | null }, now: number): boolean =>
  p.deletedAt !== null && p.deletedAt <= now;

/** Renders the objects of one world. */
export class JsonRenderer {
  constructor(readonly w: World) {}

  /**
   * JSON of an indexed object's state at `now` (it must exist by then), as
   * `build(describe(w, ref, now), last, true)` gives, without walking its timeline: every kind
   * but disputes renders the same at `now` as at its last version time, because each of its
   * state changes is a version. A dispute embeds balance transactions whose silent change to
   * `available` is not one of its versions, so disputes take the described path.
   */
  stateAt(ref: ObjectRef, now: number): string {
    const w = this.w;
    switch (ref.kind) {
      case Kind.customer: {
        const c = customerPlan(w, ref.day, ref.index)!;
        if (c.deletedAt !== null && c.deletedAt <= now) return deletedCustomerJson(objectId(w.seed, ref));
        return renderCustomer(w, c, now);
      }
      case Kind.subscription:
        return renderSubscription(w, subscriptionPlan(w, ref.day, ref.index, ref.sub)!, now);
      case Kind.invoice: {
        const code = ref.sub / 4;
        const s = subscriptionPlan(w, ref.day, ref.index, Math.floor(code / GEN_CYCLES))!;
        return renderInvoice(w, invoicePlan(w, s, code % GEN_CYCLES), now);
      }
      case Kind.product: {
        const p = productPlan(w, ref.day, ref.index)!;
        return goneAt(p, now) ? deletedJson(objectId(w.seed, ref), ref.kind) : renderProduct(w, p, now);
      }
      case Kind.price: {
        const p = pricePlan(w, ref.day, ref.index, ref.sub)!;
        return goneAt(p, now) ? deletedJson(objectId(w.seed, ref), ref.kind) : renderPrice(w, p, now);
      }
      case Kind.coupon: {
        const c = couponPlan(w, ref.day, ref.index)!;
        return goneAt(c, now) ? deletedJson(objectId(w.seed, ref), ref.kind) : renderCoupon(w, c, now);
      }
      case Kind.payout:
      case Kind.btPayout:
      case Kind.btPayoutFailure:
        return this.object(ref, w.payouts!.plan(ref.day, ref.index)!, now);
      case Kind.disputeOneOff:
      case Kind.disputeInvoice: {
        const d = describe(w, ref, now)!;
        return this.build(d, d.versions.length - 1, true);
      }
      default:
        return this.object(ref, chargePlanOf(w, ref)!, now);
    }
  }

  /** JSON of version `v` of a described object (`showDeleted`: a deleted customer as Stripe shows it). */
  build(d: Described, v: number, showDeleted = false): string {
    const version = d.versions[v]!;
    if (showDeleted && DELETE_CODES.has(version.type))
      return deletedJson(objectId(this.w.seed, d.ref), d.ref.kind);
    return this.object(d.ref, d.plan, version.t);
  }

  /** The object `ref` of the family `plan` as it is at `t`. */
  private object(ref: ObjectRef, plan: FamilyPlan, t: number): string {
    const w = this.w;
    switch (ref.kind) {
      case Kind.customer:
        return renderCustomer(w, plan as CustomerPlan, t);
      case Kind.subscription:
        return renderSubscription(w, plan as SubscriptionPlan, t);
      case Kind.invoice:
        return renderInvoice(w, plan as InvoicePlan, t);
      case Kind.product:
        return renderProduct(w, plan as ProductPlan, t);
      case Kind.price:
        return renderPrice(w, plan as PricePlan, t);
      case Kind.coupon:
        return renderCoupon(w, plan as CouponPlan, t);
      case Kind.payout:
        return renderPayout(w, plan as PayoutPlan, t);
      case Kind.btPayout:
      case Kind.btPayoutFailure:
        return renderPayoutBalanceTransaction(w, ref.kind, plan as PayoutPlan);
      case Kind.chargeOneOff:
      case Kind.chargeInvoice:
        return renderCharge(w, plan as ChargePlan, t);
      case Kind.piOneOff:
      case Kind.piInvoice:
        return renderPaymentIntent(w, plan as ChargePlan, t);
      case Kind.refundOneOff:
      case Kind.refundInvoice: {
        const p = plan as ChargePlan;
        const seed = w.seed;
        return renderRefund(
          seed,
          p,
          ref.sub % 4,
          chargeId(seed, p),
          paymentIntentId(seed, p),
          paymentMethodId(seed, p),
        );
      }
      case Kind.disputeOneOff:
      case Kind.disputeInvoice:
        return renderDispute(w, plan as ChargePlan, t);
      default:
        return renderBalanceTransaction(w, ref, plan as ChargePlan, t);
    }
  }
}
