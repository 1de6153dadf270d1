import type { ChargePlan } from '../families/charge.js';
import type { World } from '../world.js';
import { chargeId, chars, customerIdJson, paymentIntentId, paymentMethodId, q } from './shared.js';

/** The payment intent of a charge family at `t`: awaiting confirmation until its charge, then its outcome. */
export function renderPaymentIntent(w: World, p: ChargePlan, t: number): string {
  const seed = w.seed;
  const charged = t >= p.created;
  const id = paymentIntentId(seed, p);
  const status = !charged ? 'requires_confirmation' : p.failure ? 'requires_payment_method' : 'succeeded';
  const sub = p.family === 1; // an invoice's charge: its subscription exists (invoiceChargePlan)
  const charge = charged ? chargeId(seed, p) : '';
  let lastError = 'null';
  if (charged && p.failure) {
    const [code, message] = p.failure;
    lastError =
      `{"type":"card_error","code":${q(code)},"decline_code":${q(code === 'card_declined' ? 'generic_decline' : code)},` +
      `"message":${q(message)},"charge":"${charge}"}`;
  }
  return (
    `{"id":"${id}","object":"payment_intent","amount":${p.amount},"amount_capturable":0,` +
    `"amount_details":{"tip":{}},"amount_received":${status === 'succeeded' ? p.amount : 0},` +
    `"application":null,"application_fee_amount":null,"automatic_payment_methods":{"enabled":true},` +
    `"canceled_at":null,"cancellation_reason":null,"capture_method":"automatic",` +
    `"client_secret":"${id}_secret_${chars(seed, p.cardSeed, 4, 25)}",` +
    `"confirmation_method":"automatic","created":${p.piCreated},"currency":"${p.currency}",` +
    `"customer":${customerIdJson(seed, p.customer)},"description":${sub ? '"Subscription update"' : 'null'},` +
    `"excluded_payment_method_types":null,"last_payment_error":${lastError},` +
    `"latest_charge":${charged ? `"${charge}"` : 'null'},"livemode":false,"metadata":{},` +
    `"next_action":null,"on_behalf_of":null,"payment_method":"${paymentMethodId(seed, p)}",` +
    `"payment_method_configuration_details":null,` +
    `"payment_method_options":{"card":{"installments":null,"mandate_options":null,"network":null,"request_three_d_secure":"automatic"}},` +
    `"payment_method_types":["card"],"processing":null,"receipt_email":null,"review":null,` +
    `"setup_future_usage":${sub ? '"off_session"' : 'null'},"shipping":null,"source":null,` +
    `"statement_descriptor":null,"statement_descriptor_suffix":null,"status":"${status}",` +
    `"transfer_data":null,"transfer_group":null,"customer_account":null,"managed_payments":{"enabled":false}}`
  );
}
