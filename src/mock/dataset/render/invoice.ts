import { invoiceCreated, type SubscriptionPlan } from '../families/customer.js';
import { Kind, objectIdOf } from '../ids.js';
import { FINALIZE_AFTER, type World } from '../world.js';
import { customerParts, invoicePrefix } from './customer.js';
import { chars, customerIdJson, invoiceId, listJson, q, subscriptionId } from './shared.js';
import { priceIds } from './subscription.js';

/** Invoice `cycle` of a subscription at `t`: draft, open an hour later, paid 3 s after that. */
export function renderInvoice(w: World, s: SubscriptionPlan, cycle: number, t: number): string {
  const seed = w.seed;
  const id = invoiceId(seed, s, cycle);
  const created = invoiceCreated(s, cycle);
  const finalizedAt = created + FINALIZE_AFTER;
  const paidAt = finalizedAt + 3;
  const finalized = t >= finalizedAt;
  const paid = t >= paidAt;
  const c = s.customer;
  const customer = customerParts(c, created);
  const subId = subscriptionId(seed, s);
  const [priceId, productId] = priceIds(seed, s);
  const prefix = invoicePrefix(w, c);
  const price = s.price;
  const paidAtText = paid ? String(paidAt) : 'null';
  const line =
    `{"id":"il_${chars(seed, c.nameSeed, 11 + cycle, 24)}","object":"line_item","amount":${price},` +
    `"currency":"${c.currency}","description":${q(`1 × ${s.product} (at ${(price / 100).toFixed(2)} / month)`)},` +
    `"discount_amounts":[],"discountable":true,"discounts":[],"invoice":"${id}","livemode":false,"metadata":{},` +
    `"parent":{"invoice_item_details":null,"subscription_item_details":{"invoice_item":null,"proration":false,` +
    `"proration_details":{"credited_items":null},"subscription":"${subId}",` +
    `"subscription_item":"si_${chars(seed, c.nameSeed, 9, 14)}"},"type":"subscription_item_details"},` +
    `"period":{"end":${invoiceCreated(s, cycle + 1)},"start":${created}},"pretax_credit_amounts":[],` +
    `"pricing":{"price_details":{"price":"${priceId}","product":"${productId}"},"type":"price_details",` +
    `"unit_amount_decimal":"${price}"},"quantity":1,"quantity_decimal":"1","subscription":"${subId}",` +
    `"subtotal":${price},"taxes":[]}`;
  const payment = finalized
    ? `{"id":"inpay_${chars(seed, c.nameSeed, 12 + cycle, 24)}","object":"invoice_payment",` +
      `"amount_paid":${paid ? price : 'null'},"amount_requested":${price},"created":${finalizedAt},` +
      `"currency":"${c.currency}","invoice":"${id}","is_default":true,"livemode":false,` +
      `"payment":{"type":"payment_intent","payment_intent":"${objectIdOf(seed, Kind.piInvoice, c.day, c.index, cycle * 4)}"},` +
      `"status":"${paid ? 'paid' : 'open'}","status_transitions":{"canceled_at":null,"paid_at":${paidAtText}}}`
    : '';
  const hosted = finalized ? chars(seed, c.nameSeed, 10 + cycle, 32) : '';
  return (
    `{"id":"${id}","object":"invoice","account_country":"US","account_name":"Payments Mock",` +
    `"account_tax_ids":null,"amount_due":${price},"amount_overpaid":0,"amount_paid":${paid ? price : 0},` +
    `"amount_remaining":${paid ? 0 : price},"amount_shipping":0,"application":null,` +
    `"attempt_count":${paid ? 1 : 0},"attempted":${paid},"auto_advance":${!paid},` +
    `"automatic_tax":{"disabled_reason":null,"enabled":false,"liability":null,"provider":null,"status":null},` +
    `"automatically_finalizes_at":${finalized ? 'null' : finalizedAt},` +
    `"billing_reason":"${cycle === 0 ? 'subscription_create' : 'subscription_cycle'}",` +
    `"collection_method":"charge_automatically","created":${created},"currency":"${c.currency}",` +
    `"custom_fields":null,"customer":${customerIdJson(seed, c)},"customer_account":null,` +
    `"customer_address":${customer.address},"customer_email":${customer.email},` +
    `"customer_name":${customer.name},"customer_phone":null,"customer_shipping":null,` +
    `"customer_tax_exempt":"none","customer_tax_ids":[],"default_payment_method":null,"default_source":null,` +
    `"default_tax_rates":[],"description":null,"discounts":[],"due_date":null,` +
    `"effective_at":${finalized ? finalizedAt : 'null'},"ending_balance":${finalized ? 0 : 'null'},` +
    `"footer":null,"from_invoice":null,` +
    `"hosted_invoice_url":${finalized ? `"https://invoice.stripe.com/i/${hosted}"` : 'null'},` +
    `"invoice_pdf":${finalized ? `"https://pay.stripe.com/invoice/${hosted}/pdf"` : 'null'},` +
    `"issuer":{"type":"self"},"last_finalization_error":null,"latest_revision":null,` +
    `"lines":${listJson(`/v1/invoices/${id}/lines`, line)},"livemode":false,"metadata":{},` +
    `"next_payment_attempt":${finalized && !paid ? finalizedAt : 'null'},` +
    `"number":${finalized ? `"${prefix}-${String(cycle + 1).padStart(4, '0')}"` : 'null'},"on_behalf_of":null,` +
    `"parent":{"quote_details":null,"subscription_details":{"metadata":{},"subscription":"${subId}"},` +
    `"type":"subscription_details"},` +
    `"payment_settings":{"default_mandate":null,"payment_method_options":null,"payment_method_types":null},` +
    `"payments":${listJson(`/v1/invoice_payments?invoice=${id}`, payment)},"period_end":${created},` +
    `"period_start":${cycle === 0 ? created : invoiceCreated(s, cycle - 1)},"post_payment_credit_notes_amount":0,` +
    `"pre_payment_credit_notes_amount":0,"receipt_number":null,"rendering":null,"shipping_cost":null,` +
    `"shipping_details":null,"starting_balance":0,"statement_descriptor":null,` +
    `"status":"${paid ? 'paid' : finalized ? 'open' : 'draft'}","status_transitions":{` +
    `"finalized_at":${finalized ? finalizedAt : 'null'},"marked_uncollectible_at":null,` +
    `"paid_at":${paidAtText},"voided_at":null},"subscription":"${subId}","subtotal":${price},` +
    `"subtotal_excluding_tax":${price},"test_clock":null,"total":${price},"total_discount_amounts":[],` +
    `"total_excluding_tax":${price},"total_pretax_credit_amounts":[],"total_taxes":[],` +
    `"webhooks_delivered_at":${created}}`
  );
}
