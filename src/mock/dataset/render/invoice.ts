import type { InvoicePlan, LinePlan } from '../families/billing.js';
import { intervalText, RETRY_CODE, voidedAtEnd } from '../families/subscription.js';
import { Kind, objectIdOf } from '../ids.js';
import type { World } from '../world.js';
import { customerParts, invoicePrefix } from './customer.js';
import {
  chars,
  childListJson,
  customerIdJson,
  discountId,
  invoiceId,
  invoiceItemId,
  invoicePaymentId,
  lineItemId,
  listJson,
  q,
  subscriptionId,
  subscriptionItemId,
} from './shared.js';

/** The UTC date of a unix time, `YYYY-MM-DD` (proration descriptions). */
export const isoDay = (t: number): string => new Date(t * 1000).toISOString().slice(0, 10);

/** What a line says: a trial, a period of an item, or a proration's unused or remaining time. */
export function lineDescription(inv: InvoicePlan, l: LinePlan): string {
  const name = l.price.product.name;
  const qty = l.item.quantity;
  if (l.trial) return `Trial period for ${name}`;
  if (l.proration === 'credit') return `Unused time on ${qty} × ${name} after ${isoDay(l.start)}`;
  if (l.proration === 'charge') return `Remaining time on ${qty} × ${name} after ${isoDay(l.start)}`;
  return `${qty} × ${name} (at ${(l.price.unitAmount / 100).toFixed(2)} / ${intervalText(inv.s)})`;
}

/** Every line of an invoice (prorations first, then the period's items), as JSON texts. */
export function invoiceLinesJson(w: World, inv: InvoicePlan): string[] {
  const seed = w.seed;
  const s = inv.s;
  const c = s.customer;
  const id = invoiceId(seed, s, inv.k);
  const subId = subscriptionId(seed, s);
  const di = inv.discount > 0 ? discountId(seed, s) : '';
  const cur = c.currency;
  return inv.lines.map((l, n) => {
    const price = l.price;
    const { day, index } = price.product;
    const proration = l.proration !== null;
    const discounts =
      l.discount > 0
        ? `"discount_amounts":[{"amount":${l.discount},"discount":"${di}"}],"discountable":true,"discounts":["${di}"]`
        : `"discount_amounts":[],"discountable":${!proration},"discounts":[]`;
    return (
      `{"id":"${lineItemId(seed, c, inv.code, n)}","object":"line_item","amount":${l.amount},` +
      `"currency":"${cur}","description":${q(lineDescription(inv, l))},${discounts},` +
      `"invoice":"${id}","livemode":false,"metadata":{},` +
      `"parent":{"invoice_item_details":null,"subscription_item_details":{` +
      `"invoice_item":${proration ? `"${invoiceItemId(seed, c, inv.code, n)}"` : 'null'},"proration":${proration},` +
      `"proration_details":{"credited_items":null},"subscription":"${subId}",` +
      `"subscription_item":"${subscriptionItemId(seed, s, l.item.slot)}"},"type":"subscription_item_details"},` +
      `"period":{"end":${l.end},"start":${l.start}},"pretax_credit_amounts":[],` +
      `"pricing":{"price_details":{"price":"${objectIdOf(seed, Kind.price, day, index, price.n)}",` +
      `"product":"${objectIdOf(seed, Kind.product, day, index, 0)}"},"type":"price_details",` +
      `"unit_amount_decimal":"${price.unitAmount}"},"quantity":${l.item.quantity},` +
      `"quantity_decimal":"${l.item.quantity}","subscription":"${subId}","subtotal":${l.amount},"taxes":[]}`
    );
  });
}

/** An invoice payment: a payment intent's attempt at the invoice (`paid` or still `open`). */
function paymentJson(w: World, inv: InvoicePlan, retry: boolean, paid: boolean, created: number): string {
  const seed = w.seed;
  const c = inv.s.customer;
  const payCode = retry ? RETRY_CODE + inv.code : inv.code;
  return (
    `{"id":"${invoicePaymentId(seed, c, payCode)}","object":"invoice_payment",` +
    `"amount_paid":${paid ? inv.total : 'null'},"amount_requested":${inv.total},"created":${created},` +
    `"currency":"${c.currency}","invoice":"${invoiceId(seed, inv.s, inv.k)}","is_default":${!retry || paid},` +
    `"livemode":false,` +
    `"payment":{"type":"payment_intent","payment_intent":"${objectIdOf(seed, Kind.piInvoice, c.day, c.index, payCode * 4)}"},` +
    `"status":"${paid ? 'paid' : 'open'}","status_transitions":{"canceled_at":null,"paid_at":${paid ? inv.paidAt : 'null'}}}`
  );
}

/**
 * Invoice k of a subscription at `t`: draft, open an hour later, then paid 3 s after that; or,
 * when its first payment fails, open (`past_due`) until the retry 3 days later pays it or it
 * ends voided or uncollectible.
 */
export function renderInvoice(w: World, inv: InvoicePlan, t: number): string {
  const seed = w.seed;
  const s = inv.s;
  const k = inv.k;
  const id = invoiceId(seed, s, k);
  const created = inv.created;
  const finalizedAt = inv.finalizedAt;
  const finalized = t >= finalizedAt;
  const paid = inv.paidAt !== null && t >= inv.paidAt;
  const closed = inv.closedAt !== null && t >= inv.closedAt;
  const voided = closed && voidedAtEnd(w, s);
  const failed = inv.failedAt !== null && t >= inv.failedAt;
  const c = s.customer;
  const customer = customerParts(c, created);
  const subId = subscriptionId(seed, s);
  const total = inv.total;
  // attempts so far: the first once its outcome shows, the retry once its outcome shows
  const attempts = total === 0 ? 0 : paid || closed ? (inv.pastDue ? 2 : 1) : failed ? 1 : 0;
  let payments = '';
  if (finalized && total > 0) {
    const retried = inv.pastDue !== null && (paid || closed);
    if (retried) payments = `${paymentJson(w, inv, true, paid, inv.retryAt)},`;
    payments += paymentJson(w, inv, false, paid && !inv.pastDue, finalizedAt);
  }
  const status = paid ? 'paid' : voided ? 'void' : closed ? 'uncollectible' : finalized ? 'open' : 'draft';
  const hosted = finalized ? chars(seed, c.nameSeed, 4_000_000 + inv.code, 32) : '';
  const di = inv.discount > 0 ? discountId(seed, s) : '';
  const nextAttempt = !finalized || paid || closed ? 'null' : failed ? inv.retryAt : finalizedAt;
  return (
    `{"id":"${id}","object":"invoice","account_country":"US","account_name":"Payments Mock",` +
    `"account_tax_ids":null,"amount_due":${total},"amount_overpaid":0,"amount_paid":${paid ? total : 0},` +
    `"amount_remaining":${paid ? 0 : total},"amount_shipping":0,"application":null,` +
    `"attempt_count":${attempts},"attempted":${paid || attempts > 0},"auto_advance":${!paid && !closed},` +
    `"automatic_tax":{"disabled_reason":null,"enabled":false,"liability":null,"provider":null,"status":null},` +
    `"automatically_finalizes_at":${finalized ? 'null' : finalizedAt},` +
    `"billing_reason":"${k === 0 ? 'subscription_create' : 'subscription_cycle'}",` +
    `"collection_method":"charge_automatically","created":${created},"currency":"${c.currency}",` +
    `"custom_fields":null,"customer":${customerIdJson(seed, c)},"customer_account":null,` +
    `"customer_address":${customer.address},"customer_email":${customer.email},` +
    `"customer_name":${customer.name},"customer_phone":null,"customer_shipping":null,` +
    `"customer_tax_exempt":"none","customer_tax_ids":[],"default_payment_method":null,"default_source":null,` +
    `"default_tax_rates":[],"description":null,"discounts":${di ? `["${di}"]` : '[]'},"due_date":null,` +
    `"effective_at":${finalized ? finalizedAt : 'null'},"ending_balance":${finalized ? 0 : 'null'},` +
    `"footer":null,"from_invoice":null,` +
    `"hosted_invoice_url":${finalized ? `"https://invoice.stripe.com/i/${hosted}"` : 'null'},` +
    `"invoice_pdf":${finalized ? `"https://pay.stripe.com/invoice/${hosted}/pdf"` : 'null'},` +
    `"issuer":{"type":"self"},"last_finalization_error":null,"latest_revision":null,` +
    `"lines":${childListJson(`/v1/invoices/${id}/lines`, invoiceLinesJson(w, inv), w.embeddedListLimit)},"livemode":false,"metadata":{},` +
    `"next_payment_attempt":${nextAttempt},` +
    `"number":${finalized ? `"${invoicePrefix(w, c)}-${String(s.numberBase + k + 1).padStart(4, '0')}"` : 'null'},` +
    `"on_behalf_of":null,` +
    `"parent":{"quote_details":null,"subscription_details":{"metadata":{},"subscription":"${subId}"},` +
    `"type":"subscription_details"},` +
    `"payment_settings":{"default_mandate":null,"payment_method_options":null,"payment_method_types":null},` +
    `"payments":${listJson(`/v1/invoice_payments?invoice=${id}`, payments)},"period_end":${created},` +
    `"period_start":${k === 0 ? created : inv.previousStart},"post_payment_credit_notes_amount":0,` +
    `"pre_payment_credit_notes_amount":0,"receipt_number":null,"rendering":null,"shipping_cost":null,` +
    `"shipping_details":null,"starting_balance":0,"statement_descriptor":null,` +
    `"status":"${status}","status_transitions":{` +
    `"finalized_at":${finalized ? finalizedAt : 'null'},` +
    `"marked_uncollectible_at":${closed && !voided ? inv.closedAt : 'null'},` +
    `"paid_at":${paid ? inv.paidAt : 'null'},"voided_at":${voided ? inv.closedAt : 'null'}},` +
    `"subscription":"${subId}","subtotal":${inv.subtotal},` +
    `"subtotal_excluding_tax":${inv.subtotal},"test_clock":null,"total":${total},` +
    `"total_discount_amounts":${di ? `[{"amount":${inv.discount},"discount":"${di}"}]` : '[]'},` +
    `"total_excluding_tax":${total},"total_pretax_credit_amounts":[],"total_taxes":[],` +
    `"webhooks_delivered_at":${created}}`
  );
}
