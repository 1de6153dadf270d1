import type { PayoutPlan } from '../families/payout.js';
import { Kind, objectIdOf } from '../ids.js';
import type { World } from '../world.js';
import { chars, q } from './shared.js';

export const payoutId = (seed: number, p: PayoutPlan): string => objectIdOf(seed, Kind.payout, p.day, p.c, 0);
const btId = (seed: number, p: PayoutPlan, kind: number): string => objectIdOf(seed, kind, p.day, p.c, 0);

/** A payout at `t`: pending, in transit, then paid or failed at its arrival date. */
export function renderPayout(w: World, p: PayoutPlan, t: number): string {
  const seed = w.seed;
  const arrived = t >= p.arrivalDate;
  const failed = arrived && p.failure !== null;
  const status = arrived ? (failed ? 'failed' : 'paid') : t >= p.inTransitAt ? 'in_transit' : 'pending';
  return (
    `{"id":"${payoutId(seed, p)}","object":"payout","amount":${p.amount},"application_fee":null,` +
    `"application_fee_amount":null,"arrival_date":${p.arrivalDate},"automatic":true,` +
    `"balance_transaction":"${btId(seed, p, Kind.btPayout)}","created":${p.created},"currency":"${p.currency}",` +
    `"description":"STRIPE PAYOUT","destination":"ba_${chars(seed, 11, p.c, 24)}",` +
    `"failure_balance_transaction":${failed ? `"${btId(seed, p, Kind.btPayoutFailure)}"` : 'null'},` +
    `"failure_code":${failed ? q(p.failure![0]) : 'null'},"failure_message":${failed ? q(p.failure![1]) : 'null'},` +
    `"livemode":false,"metadata":{},"method":"standard","original_payout":null,` +
    `"payout_method":null,"reconciliation_status":"${status === 'paid' ? 'completed' : 'in_progress'}",` +
    `"reversed_by":null,"source_type":"card","statement_descriptor":null,"status":"${status}",` +
    `"trace_id":{"status":"${status === 'paid' ? 'supported' : 'pending'}","value":null},"type":"bank_account"}`
  );
}

/**
 * A payout's own balance transaction (type `payout`, minus its amount, when it leaves) or, for
 * a failed one, the `payout_failure` that returns the amount at the arrival date. Both are
 * available at once and never change.
 */
export function renderPayoutBalanceTransaction(w: World, kind: number, p: PayoutPlan): string {
  const seed = w.seed;
  const failure = kind === Kind.btPayoutFailure;
  const amount = failure ? p.amount : -p.amount;
  const created = failure ? p.arrivalDate : p.created;
  return (
    `{"id":"${btId(seed, p, kind)}","object":"balance_transaction","amount":${amount},"available_on":${created},` +
    `"balance_type":"payments","created":${created},"currency":"${p.currency}",` +
    `"description":"${failure ? 'Payout failure' : 'STRIPE PAYOUT'}","exchange_rate":null,"fee":0,"fee_details":[],` +
    `"net":${amount},"reporting_category":"${failure ? 'payout_reversal' : 'payout'}",` +
    `"source":"${payoutId(seed, p)}","status":"available","type":"${failure ? 'payout_failure' : 'payout'}"}`
  );
}
