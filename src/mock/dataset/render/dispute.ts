import type { ChargePlan } from '../families/charge.js';
import { Kind, type ObjectRef } from '../ids.js';
import { DAY, type World } from '../world.js';
import { renderBalanceTransaction } from './balance-transaction.js';
import { BRANDS, chargeId, familyId, paymentIntentId, q } from './shared.js';

export const EVIDENCE_FIELDS = [
  'access_activity_log',
  'billing_address',
  'cancellation_policy',
  'cancellation_policy_disclosure',
  'cancellation_rebuttal',
  'customer_communication',
  'customer_email_address',
  'customer_name',
  'customer_purchase_ip',
  'customer_signature',
  'duplicate_charge_documentation',
  'duplicate_charge_explanation',
  'duplicate_charge_id',
  'product_description',
  'receipt',
  'refund_policy',
  'refund_policy_disclosure',
  'refund_refusal_explanation',
  'service_date',
  'service_documentation',
  'shipping_address',
  'shipping_carrier',
  'shipping_date',
  'shipping_documentation',
  'shipping_tracking_number',
  'uncategorized_file',
  'uncategorized_text',
];

const EVIDENCE = `{${EVIDENCE_FIELDS.map((k) => `"${k}":null`).join(',')},"enhanced_evidence":{}}`;

const familyRef = (p: ChargePlan, oneOff: number, invoice: number, n: number): ObjectRef => ({
  kind: p.family ? invoice : oneOff,
  day: p.day,
  index: p.index,
  sub: p.cycle * 4 + n,
});

/**
 * A dispute at `t`, embedding its balance transactions as of `t` (the version time when it is an
 * event's object, so the dispute never changes without an event).
 */
export function renderDispute(w: World, p: ChargePlan, t: number): string {
  const seed = w.seed;
  const dp = p.dispute!;
  const closed = t >= dp.closedAt;
  let bts = renderBalanceTransaction(w, familyRef(p, Kind.btDisputeOneOff, Kind.btDisputeInvoice, 0), p, t);
  if (closed && dp.won)
    bts += `,${renderBalanceTransaction(w, familyRef(p, Kind.btDisputeOneOff, Kind.btDisputeInvoice, 1), p, t)}`;
  return (
    `{"id":"${familyId(seed, p, Kind.disputeOneOff, Kind.disputeInvoice)}","object":"dispute",` +
    `"amount":${p.amount},"balance_transactions":[${bts}],"charge":"${chargeId(seed, p)}",` +
    `"created":${dp.created},"currency":"${p.currency}","enhanced_eligibility_types":[],` +
    `"evidence":${EVIDENCE},"evidence_details":{"due_by":${dp.created + 7 * DAY},"enhanced_eligibility":{},` +
    `"has_evidence":false,"past_due":false,"submission_count":0},"is_charge_refundable":false,` +
    `"livemode":false,"metadata":{},"payment_intent":"${paymentIntentId(seed, p)}",` +
    `"payment_method_details":{"card":{"brand":"${BRANDS[p.cardSeed % BRANDS.length]!}",` +
    `"case_type":"chargeback","network_reason_code":"10.4"},"type":"card"},"reason":${q(dp.reason)},` +
    `"status":"${closed ? (dp.won ? 'won' : 'lost') : 'needs_response'}"}`
  );
}
