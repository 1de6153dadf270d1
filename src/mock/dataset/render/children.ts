import { subscriptionPlan } from '../families/customer.js';
import { Kind, type ObjectRef } from '../ids.js';
import type { World } from '../world.js';
import { renderInvoice } from './invoice.js';
import { renderSubscription } from './subscription.js';

/**
 * The child collections of a parent version, in full (the parent embeds at most 10 of them with
 * `has_more`): what `GET /v1/invoices/:id/lines` and `GET /v1/subscription_items?subscription=`
 * page through, in the embedded list's order (Stripe's).
 */

/** One child object: its id (for cursors) and its JSON text. */
export interface ChildJson {
  readonly id: string;
  readonly json: string;
}

/** Every line of the invoice `ref` as it is at `t` (null when the mock has no such invoice then). */
export function invoiceLines(w: World, ref: ObjectRef, t: number): ChildJson[] | null {
  // STUB (signature agreed with t19-child): rendered from the embedded list until the full list lands.
  if (ref.kind !== Kind.invoice || ref.sub % 4 !== 0) return null;
  const s = subscriptionPlan(w, ref.day, ref.index);
  if (!s) return null;
  const inv = JSON.parse(renderInvoice(w, s, ref.sub / 4, t)) as { lines: { data: { id: string }[] } };
  return inv.lines.data.map((l) => ({ id: l.id, json: JSON.stringify(l) }));
}

/** Every item of the subscription `ref` as it is at `t` (null when the mock has no such subscription then). */
export function subscriptionItems(w: World, ref: ObjectRef, t: number): ChildJson[] | null {
  // STUB (signature agreed with t19-child): rendered from the embedded list until the full list lands.
  if (ref.kind !== Kind.subscription) return null;
  const s = subscriptionPlan(w, ref.day, ref.index);
  if (!s) return null;
  const sub = JSON.parse(renderSubscription(w, s, t)) as { items: { data: { id: string }[] } };
  return sub.items.data.map((i) => ({ id: i.id, json: JSON.stringify(i) }));
}
