import { invoicePlan } from '../families/billing.js';
import { GEN_CYCLES, subscriptionPlan } from '../families/subscription.js';
import { Kind, type ObjectRef } from '../ids.js';
import type { World } from '../world.js';
import { invoiceLinesJson } from './invoice.js';
import { subscriptionItemsJson } from './subscription.js';

/**
 * The child collections of a parent version, in full (the parent embeds at most 10 of them with
 * `has_more` and `total_count`): what `GET /v1/invoices/:id/lines` and
 * `GET /v1/subscription_items?subscription=` page through, in the embedded list's order.
 * The caller makes sure the parent exists at `t` (`describe`); an invoice's lines never change
 * after its creation, a subscription's items change with its versions.
 */

/** One child object: its id (for cursors) and its JSON text. */
export interface ChildJson {
  readonly id: string;
  readonly json: string;
}

// ids lead every child's JSON text: `{"id":"…",`
const withIds = (texts: string[]): ChildJson[] =>
  texts.map((json) => ({ id: json.slice(7, json.indexOf('"', 7)), json }));

/** Every line of the invoice `ref` as it is at `t` (null when the mock has no such invoice). */
export function invoiceLines(w: World, ref: ObjectRef, t: number): ChildJson[] | null {
  if (ref.kind !== Kind.invoice || ref.sub % 4 !== 0) return null;
  const code = ref.sub / 4;
  if (code >= 2 * GEN_CYCLES) return null;
  const s = subscriptionPlan(w, ref.day, ref.index, Math.floor(code / GEN_CYCLES));
  const k = code % GEN_CYCLES;
  if (!s || k >= s.invoiceCount || s.created > t) return null;
  return withIds(invoiceLinesJson(w, invoicePlan(w, s, k)));
}

/** Every item of the subscription `ref` as it is at `t` (null when the mock has no such subscription). */
export function subscriptionItems(w: World, ref: ObjectRef, t: number): ChildJson[] | null {
  if (ref.kind !== Kind.subscription) return null;
  const s = subscriptionPlan(w, ref.day, ref.index, ref.sub);
  if (!s || s.created > t) return null;
  return withIds(subscriptionItemsJson(w, s, t));
}
