import { invoiceCreated, invoicesBy, type SubscriptionPlan } from '../families/customer.js';
import type { World } from '../world.js';
import { chars, customerIdJson, invoiceId, listJson, q, subscriptionId } from './shared.js';

function priceJson(s: SubscriptionPlan, priceId: string, productId: string): string {
  return (
    `{"id":"${priceId}","object":"price","active":true,"billing_scheme":"per_unit","created":1700000000,` +
    `"currency":"${s.customer.currency}","custom_unit_amount":null,"livemode":false,"lookup_key":null,` +
    `"metadata":{},"nickname":${q(s.product)},"product":"${productId}",` +
    `"recurring":{"interval":"month","interval_count":1,"meter":null,"trial_period_days":null,"usage_type":"licensed"},` +
    `"tax_behavior":"unspecified","tiers_mode":null,"transform_quantity":null,"type":"recurring",` +
    `"unit_amount":${s.price},"unit_amount_decimal":"${s.price}"}`
  );
}

/** The ids of a subscription's price and product. */
export function priceIds(seed: number, s: SubscriptionPlan): [price: string, product: string] {
  return [`price_${chars(seed, s.price, 7, 24)}`, `prod_${chars(seed, s.price, 6, 14)}`];
}

/** A subscription at `t`: its current period, latest invoice, and cancellation. */
export function renderSubscription(w: World, s: SubscriptionPlan, t: number): string {
  const seed = w.seed;
  const id = subscriptionId(seed, s);
  const canceled = s.canceledAt !== null && t >= s.canceledAt;
  const cycle = Math.max(1, invoicesBy(s, t)) - 1; // the current period's invoice
  const c = s.customer;
  const [priceId, productId] = priceIds(seed, s);
  const canceledAt = canceled ? String(s.canceledAt) : 'null';
  const item =
    `{"id":"si_${chars(seed, c.nameSeed, 9, 14)}","object":"subscription_item","billing_thresholds":null,` +
    `"created":${s.created},"current_period_end":${invoiceCreated(s, cycle + 1)},` +
    `"current_period_start":${invoiceCreated(s, cycle)},"discounts":[],"metadata":{},` +
    `"plan":{"id":"${priceId}","object":"plan","active":true,"amount":${s.price},"amount_decimal":"${s.price}",` +
    `"billing_scheme":"per_unit","created":1700000000,"currency":"${c.currency}","interval":"month",` +
    `"interval_count":1,"livemode":false,"metadata":{},"meter":null,"nickname":${q(s.product)},` +
    `"product":"${productId}","tiers_mode":null,"transform_usage":null,"trial_period_days":null,` +
    `"usage_type":"licensed"},"price":${priceJson(s, priceId, productId)},"quantity":1,` +
    `"subscription":"${id}","tax_rates":[]}`;
  return (
    `{"id":"${id}","object":"subscription","application":null,"application_fee_percent":null,` +
    `"automatic_tax":{"disabled_reason":null,"enabled":false,"liability":null},` +
    `"billing_cycle_anchor":${s.created},"billing_cycle_anchor_config":null,` +
    `"billing_mode":{"type":"classic"},"billing_schedules":[],"billing_thresholds":null,"cancel_at":null,` +
    `"cancel_at_period_end":false,"canceled_at":${canceledAt},"cancellation_details":{"comment":null,` +
    `"feedback":null,"reason":${canceled ? '"cancellation_requested"' : 'null'}},` +
    `"collection_method":"charge_automatically","created":${s.created},"currency":"${c.currency}",` +
    `"customer":${customerIdJson(seed, c)},"customer_account":null,"days_until_due":null,` +
    `"default_payment_method":"pm_${chars(seed, c.nameSeed, 8, 24)}","default_source":null,` +
    `"default_tax_rates":[],"description":null,"discounts":[],"ended_at":${canceledAt},` +
    `"invoice_settings":{"account_tax_ids":null,"issuer":{"type":"self"}},` +
    `"items":${listJson(`/v1/subscription_items?subscription=${id}`, item)},` +
    `"latest_invoice":"${invoiceId(seed, s, cycle)}","livemode":false,"managed_payments":{"enabled":false},` +
    `"metadata":{},"next_pending_invoice_item_invoice":null,"on_behalf_of":null,"pause_collection":null,` +
    `"payment_settings":{"payment_method_options":null,"payment_method_types":null,"save_default_payment_method":"off"},` +
    `"pending_invoice_item_interval":null,"pending_setup_intent":null,"pending_update":null,"schedule":null,` +
    `"start_date":${s.created},"status":"${canceled ? 'canceled' : 'active'}","test_clock":null,` +
    `"transfer_data":null,"trial_end":null,` +
    `"trial_settings":{"end_behavior":{"missing_payment_method":"create_invoice"}},"trial_start":null}`
  );
}
