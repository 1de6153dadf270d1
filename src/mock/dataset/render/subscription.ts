import { type InvoicePlan, invoicePlan } from '../families/billing.js';
import {
  firstBilled,
  type ItemState,
  invoicesBy,
  itemPrice,
  itemsAt,
  periodStart,
  periodState,
  type SubscriptionPlan,
} from '../families/subscription.js';
import { Kind, objectIdOf } from '../ids.js';
import type { World } from '../world.js';
import { priceNickname, renderPrice } from './price.js';
import {
  chars,
  childListJson,
  customerIdJson,
  discountId,
  invoiceId,
  q,
  subscriptionId,
  subscriptionItemId,
} from './shared.js';

/** What a subscription shows at `t`: its current period, that period's invoice and its items. */
export interface SubscriptionAt {
  readonly k: number;
  readonly start: number;
  readonly end: number;
  readonly invoice: InvoicePlan;
  readonly items: readonly ItemState[];
}

/** The subscription's current period at `t` (the last one once it has ended). */
export function subscriptionAt(w: World, s: SubscriptionPlan, t: number): SubscriptionAt {
  const k = Math.max(1, invoicesBy(s, t)) - 1;
  const ps = periodState(w, s, k);
  return {
    k,
    start: periodStart(s, k),
    end: periodStart(s, k + 1),
    invoice: invoicePlan(w, s, k),
    items: itemsAt(ps, t),
  };
}

/** A subscription item at `t` (its price as the catalogue shows it then, and the legacy `plan`). */
function itemJson(
  w: World,
  s: SubscriptionPlan,
  it: ItemState,
  at: SubscriptionAt,
  subId: string,
  t: number,
): string {
  const seed = w.seed;
  const p = itemPrice(w, s, it);
  const { day, index } = p.product;
  const priceId = objectIdOf(seed, Kind.price, day, index, p.n);
  return (
    `{"id":"${subscriptionItemId(seed, s, it.slot)}","object":"subscription_item","billing_thresholds":null,` +
    `"created":${it.created},"current_period_end":${at.end},"current_period_start":${at.start},` +
    `"discounts":[],"metadata":{},` +
    `"plan":{"id":"${priceId}","object":"plan","active":true,"amount":${p.unitAmount},` +
    `"amount_decimal":"${p.unitAmount}","billing_scheme":"per_unit","created":${p.created},` +
    `"currency":"${p.currency}","interval":"${p.interval}","interval_count":${p.intervalCount},` +
    `"livemode":false,"metadata":{},"meter":null,"nickname":${q(priceNickname(p))},` +
    `"product":"${objectIdOf(seed, Kind.product, day, index, 0)}","tiers_mode":null,"transform_usage":null,` +
    `"trial_period_days":null,"usage_type":"licensed"},"price":${renderPrice(w, p, t)},` +
    `"quantity":${it.quantity},"subscription":"${subId}","tax_rates":[]}`
  );
}

/** Every item of the subscription at `t`, in slot order, as JSON texts. */
export function subscriptionItemsJson(
  w: World,
  s: SubscriptionPlan,
  t: number,
  at = subscriptionAt(w, s, t),
): string[] {
  const subId = subscriptionId(w.seed, s);
  return at.items.map((it) => itemJson(w, s, it, at, subId, t));
}

/** The status of a subscription at `t`. */
export function subscriptionStatus(s: SubscriptionPlan, inv: InvoicePlan, t: number): string {
  if (s.canceledAt !== null && t >= s.canceledAt) return 'canceled';
  if (s.trialEnd !== null && t < s.trialEnd) return 'trialing';
  if (inv.failedAt !== null && t >= inv.failedAt && (inv.paidAt === null || t < inv.paidAt))
    return 'past_due';
  return 'active';
}

/** Until when the subscription shows its coupon's discount (the start of the first period it no longer discounts). */
export function discountEnd(s: SubscriptionPlan): number {
  if (!s.coupon) return 0;
  if (s.couponPeriods === Number.POSITIVE_INFINITY) return Number.POSITIVE_INFINITY;
  return periodStart(s, firstBilled(s) + s.couponPeriods);
}

/** A subscription at `t`: its current period and items, status, trial, discount and cancellation. */
export function renderSubscription(w: World, s: SubscriptionPlan, t: number): string {
  const seed = w.seed;
  const id = subscriptionId(seed, s);
  const at = subscriptionAt(w, s, t);
  const status = subscriptionStatus(s, at.invoice, t);
  const canceled = status === 'canceled';
  const requested = s.cancelRequestedAt !== null && t >= s.cancelRequestedAt;
  const c = s.customer;
  const canceledAt = requested ? String(s.cancelRequestedAt) : canceled ? String(s.canceledAt) : 'null';
  const reason =
    !requested && !canceled
      ? 'null'
      : s.end === 'past_due'
        ? '"payment_failed"'
        : s.end === 'lapse'
          ? 'null'
          : '"cancellation_requested"';
  // a canceled subscription keeps the discount it had when it ended
  const discounted = s.coupon !== null && Math.min(t, s.canceledAt ?? t) < discountEnd(s);
  const trial = s.trialEnd !== null;
  return (
    `{"id":"${id}","object":"subscription","application":null,"application_fee_percent":null,` +
    `"automatic_tax":{"disabled_reason":null,"enabled":false,"liability":null},` +
    `"billing_cycle_anchor":${s.trialEnd ?? s.created},"billing_cycle_anchor_config":null,` +
    `"billing_mode":{"type":"classic"},"billing_schedules":[],"billing_thresholds":null,` +
    `"cancel_at":${requested ? s.canceledAt : 'null'},"cancel_at_period_end":${requested},` +
    `"canceled_at":${canceledAt},"cancellation_details":{"comment":null,"feedback":null,"reason":${reason}},` +
    `"collection_method":"charge_automatically","created":${s.created},"currency":"${c.currency}",` +
    `"customer":${customerIdJson(seed, c)},"customer_account":null,"days_until_due":null,` +
    `"default_payment_method":${s.end === 'lapse' ? 'null' : `"pm_${chars(seed, c.nameSeed, 8, 24)}"`},` +
    `"default_source":null,"default_tax_rates":[],"description":null,` +
    `"discounts":${discounted ? `["${discountId(seed, s)}"]` : '[]'},"ended_at":${canceled ? s.canceledAt : 'null'},` +
    `"invoice_settings":{"account_tax_ids":null,"issuer":{"type":"self"}},` +
    `"items":${childListJson(`/v1/subscription_items?subscription=${id}`, subscriptionItemsJson(w, s, t, at), w.embeddedListLimit)},` +
    `"latest_invoice":"${invoiceId(seed, s, at.k)}","livemode":false,"managed_payments":{"enabled":false},` +
    `"metadata":{},"next_pending_invoice_item_invoice":null,"on_behalf_of":null,"pause_collection":null,` +
    `"payment_settings":{"payment_method_options":null,"payment_method_types":null,"save_default_payment_method":"off"},` +
    `"pending_invoice_item_interval":null,"pending_setup_intent":null,"pending_update":null,"schedule":null,` +
    `"start_date":${s.created},"status":"${status}","test_clock":null,` +
    `"transfer_data":null,"trial_end":${trial ? s.trialEnd : 'null'},` +
    `"trial_settings":{"end_behavior":{"missing_payment_method":"${trial ? 'cancel' : 'create_invoice'}"}},` +
    `"trial_start":${trial ? s.created : 'null'}}`
  );
}
