import { type ChargePlan, DISPUTE_FEE, stripeFee } from '../families/charge.js';
import { Kind, type ObjectRef, objectId } from '../ids.js';
import { AVAILABLE_AFTER, type World } from '../world.js';
import { chargeId, familyId } from './shared.js';

/**
 * A balance transaction of a charge family (of its charge, a refund, or a dispute's withdrawal
 * or reinstatement); `asOf` only decides pending/available.
 */
export function renderBalanceTransaction(w: World, ref: ObjectRef, p: ChargePlan, asOf: number): string {
  const seed = w.seed;
  const kind = (ref.kind - Kind.btChargeOneOff) % 3; // 0 charge, 1 refund, 2 dispute
  const n = ref.sub % 4;
  let amount: number;
  let fee = 0;
  let created: number;
  let source: string;
  let type: string;
  let category: string;
  let description: string;
  if (kind === 0) {
    amount = p.amount;
    fee = stripeFee(p.amount);
    created = p.created;
    source = chargeId(seed, p);
    type = 'charge';
    category = 'charge';
    description = p.family === 1 ? '"Subscription update"' : `"Order #${p.day}-${p.index}"`;
  } else if (kind === 1) {
    const r = p.refunds[n]!;
    amount = -r.amount;
    created = r.created;
    source = familyId(seed, p, Kind.refundOneOff, Kind.refundInvoice, n);
    type = 'refund';
    category = 'refund';
    description = '"REFUND FOR CHARGE"';
  } else {
    const dp = p.dispute!;
    const won = n === 1;
    amount = won ? p.amount : -p.amount;
    fee = won ? 0 : DISPUTE_FEE;
    created = won ? dp.closedAt : dp.created;
    source = familyId(seed, p, Kind.disputeOneOff, Kind.disputeInvoice);
    type = 'adjustment';
    category = won ? 'dispute_reversal' : 'dispute';
    description = `"Chargeback ${won ? 'reversal' : 'withdrawal'} for ${chargeId(seed, p)}"`;
  }
  const availableOn = created + AVAILABLE_AFTER;
  const feeDetails =
    fee === 0
      ? '[]'
      : `[{"amount":${fee},"application":null,"currency":"${p.currency}","description":"${kind === 2 ? 'Dispute fee' : 'Stripe processing fees'}","type":"stripe_fee"}]`;
  return (
    `{"id":"${objectId(seed, ref)}","object":"balance_transaction","amount":${amount},"available_on":${availableOn},` +
    `"balance_type":"payments","created":${created},"currency":"${p.currency}","description":${description},` +
    `"exchange_rate":null,"fee":${fee},"fee_details":${feeDetails},"net":${amount - fee},` +
    `"reporting_category":"${category}","source":"${source}",` +
    `"status":"${asOf >= availableOn ? 'available' : 'pending'}","type":"${type}"}`
  );
}
