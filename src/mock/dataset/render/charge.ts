import type { ChargePlan } from '../families/charge.js';
import { Kind } from '../ids.js';
import type { World } from '../world.js';
import { renderRefund } from './refund.js';
import {
  BRANDS,
  COUNTRY,
  chargeId,
  chars,
  customerIdJson,
  FIRST,
  familyId,
  LAST,
  LAST4,
  listJson,
  paymentIntentId,
  paymentMethodId,
  q,
} from './shared.js';

function cardJson(seed: number, p: ChargePlan, country: string): string {
  const h = p.cardSeed;
  const brand = BRANDS[h % BRANDS.length]!;
  const ok = !p.failure;
  return (
    `{"amount_authorized":${ok ? p.amount : 'null'},` +
    `"authorization_code":${ok ? `"${100000 + (h % 900000)}"` : 'null'},"brand":"${brand}",` +
    `"checks":{"address_line1_check":null,"address_postal_code_check":"pass","cvc_check":"pass"},` +
    `"country":"${country}","exp_month":${1 + (h % 12)},"exp_year":${2027 + (h % 6)},` +
    `"extended_authorization":{"status":"disabled"},"fingerprint":"${chars(seed, h, 3, 16)}",` +
    `"funding":"${h % 5 === 0 ? 'debit' : 'credit'}","incremental_authorization":{"status":"unavailable"},` +
    `"installments":null,"last4":"${LAST4[Math.floor(h / 7) % LAST4.length]!}","mandate":null,` +
    `"multicapture":{"status":"unavailable"},"network":"${brand}","network_token":{"used":false},` +
    `"network_transaction_id":"${h}",` +
    `"overcapture":{"maximum_amount_capturable":${p.amount},"status":"unavailable"},` +
    `"regulated_status":"unregulated","three_d_secure":null,"transaction_link_id":null,"wallet":null}`
  );
}

/** A charge at `t`: its refunds so far (newest first) and whether a dispute has opened. */
export function renderCharge(w: World, p: ChargePlan, t: number): string {
  const seed = w.seed;
  const id = chargeId(seed, p);
  const piId = paymentIntentId(seed, p);
  const pmId = paymentMethodId(seed, p);
  let refunded = 0;
  let refundList = '';
  // Newest refund first, as the builder's `refunds.reverse()`.
  for (let n = p.refunds.length - 1; n >= 0; n--) {
    if (p.refunds[n]!.created > t) continue;
    refunded += p.refunds[n]!.amount;
    refundList += (refundList === '' ? '' : ',') + renderRefund(seed, p, n, id, piId, pmId);
  }
  const failure = p.failure;
  const failed = failure !== null;
  const cust = p.customer;
  const first = cust ? FIRST[cust.nameSeed % FIRST.length]! : 'Guest';
  const last = cust ? LAST[Math.floor(cust.nameSeed / 16) % LAST.length]! : 'Buyer';
  const country = COUNTRY[p.currency] ?? 'US';
  const order = `${p.day}-${p.index}`;
  return (
    `{"id":"${id}","object":"charge","amount":${p.amount},"amount_captured":${failed ? 0 : p.amount},` +
    `"amount_refunded":${refunded},"application":null,"application_fee":null,"application_fee_amount":null,` +
    `"balance_transaction":${failed ? 'null' : `"${familyId(seed, p, Kind.btChargeOneOff, Kind.btChargeInvoice)}"`},` +
    `"billing_details":{"address":{"city":null,"country":"${country}","line1":null,"line2":null,` +
    `"postal_code":"${10000 + (p.cardSeed % 89999)}","state":null},"email":null,` +
    `"name":${q(`${first} ${last}`)},"phone":null,"tax_id":null},` +
    `"calculated_statement_descriptor":"PAYMENTS MOCK","captured":${!failed},"created":${p.created},` +
    `"currency":"${p.currency}","customer":${customerIdJson(seed, cust)},` +
    `"description":${p.family === 1 ? '"Subscription update"' : `"Order #${order}"`},` +
    `"disputed":${p.dispute !== null && t >= p.dispute.created},"failure_balance_transaction":null,` +
    `"failure_code":${failure ? q(failure[0]) : 'null'},"failure_message":${failure ? q(failure[1]) : 'null'},` +
    `"fraud_details":{},"livemode":false,"metadata":${p.family === 1 ? '{}' : `{"order_id":"${order}"}`},` +
    `"on_behalf_of":null,"outcome":{"advice_code":null,"network_advice_code":null,"network_decline_code":null,` +
    `"network_status":"${failed ? 'declined_by_network' : 'approved_by_network'}",` +
    `"reason":${failure ? q(failure[0] === 'card_declined' ? 'generic_decline' : failure[0]) : 'null'},` +
    `"risk_level":"normal","risk_score":${p.cardSeed % 65},` +
    `"seller_message":"${failed ? 'The bank did not return any further details with this decline.' : 'Payment complete.'}",` +
    `"type":"${failed ? 'issuer_declined' : 'authorized'}"},"paid":${!failed},"payment_intent":"${piId}",` +
    `"payment_method":"${pmId}","payment_method_details":{"card":${cardJson(seed, p, country)},"type":"card"},` +
    `"receipt_email":null,"receipt_number":null,` +
    `"receipt_url":"https://pay.stripe.com/receipts/payment/${chars(seed, p.cardSeed, 5, 40)}",` +
    `"refunded":${refunded >= p.amount},"refunds":${listJson(`/v1/charges/${id}/refunds`, refundList)},` +
    `"review":null,"shipping":null,"source":null,"source_transfer":null,"statement_descriptor":null,` +
    `"statement_descriptor_suffix":null,"status":"${failed ? 'failed' : 'succeeded'}","transfer_data":null,` +
    `"transfer_group":null}`
  );
}
