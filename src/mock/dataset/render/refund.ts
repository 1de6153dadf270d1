import type { ChargePlan } from '../families/charge.js';
import { Kind } from '../ids.js';
import { customerIdJson, familyId } from './shared.js';

/**
 * Refund `n` of a charge family (it never changes). The charge, payment intent and payment
 * method ids come from the caller, which has them already (a charge embeds its refunds).
 */
export function renderRefund(
  seed: number,
  p: ChargePlan,
  n: number,
  chargeId: string,
  piId: string,
  pmId: string,
): string {
  const r = p.refunds[n]!;
  return (
    `{"id":"${familyId(seed, p, Kind.refundOneOff, Kind.refundInvoice, n)}","object":"refund",` +
    `"amount":${r.amount},"balance_transaction":"${familyId(seed, p, Kind.btRefundOneOff, Kind.btRefundInvoice, n)}",` +
    `"charge":"${chargeId}","created":${r.created},"currency":"${p.currency}",` +
    `"customer":${customerIdJson(seed, p.customer)},"customer_account":null,` +
    `"destination_details":{"card":{"reference":"${p.cardSeed + n}","reference_status":"available",` +
    `"reference_type":"acquirer_reference_number","type":"refund"},"type":"card"},"metadata":{},` +
    `"payment_intent":"${piId}","payment_method":"${pmId}",` +
    `"reason":${r.amount === p.amount ? '"requested_by_customer"' : 'null'},"receipt_number":null,` +
    `"source_transfer_reversal":null,"status":"succeeded","transfer_reversal":null}`
  );
}
