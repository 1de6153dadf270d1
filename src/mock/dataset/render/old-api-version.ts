import { RETRY_CODE } from '../families/subscription.js';
import { decodeObjectId, Kind, type ObjectRef, objectIdOf } from '../ids.js';
import { hash32 } from '../rng.js';
import type { World } from '../world.js';
// topLevelFields: a function of event.ts, which imports this module (used at call time only)
import { topLevelFields } from './event.js';
import type { JsonRenderer } from './json-renderer.js';

/**
 * Events in an older API version (issue #19, item 4). Stripe renders an event's object in the
 * API version the account had when the event was created, whatever version the reader pins; an
 * account upgraded in 2025 still has events of the old shapes. The mock renders a share of its
 * events that way: the current rendering converted to the pre-2025 shape, with the old
 * `api_version`. The conversion is a function of the rendered JSON (plus two look-ups the current
 * shape no longer carries), so it composes with whatever the renderers produce.
 *
 * Stripe's changes between the two versions (2025-03-31.basil), the ones the mock models:
 * - invoice: `parent.subscription_details.subscription` was the top-level `subscription`
 *   (with `subscription_details.metadata`); no `parent`;
 * - invoice line item: `pricing.price_details` was the `price` object (and a `plan` for recurring
 *   prices); `parent.subscription_item_details` was `subscription`, `subscription_item`,
 *   `proration`, `proration_details`, `invoice_item`; `type` `subscription` | `invoiceitem`;
 * - subscription: the items' `current_period_start` / `current_period_end` were the
 *   subscription's own (top-level, not on the items);
 * - charge: `invoice`, the invoice the charge paid (removed from current versions).
 */

/** The version a converted event carries (the last before the 2025 changes). */
export const OLD_API_VERSION = '2024-06-20';

/** The share of events rendered in `OLD_API_VERSION` unless configured otherwise. */
export const DEFAULT_OLD_VERSION_SHARE = 0.2;

/** Salt of the per-event choice (apart from the world's SALT table: never changes the data). */
const OLD_VERSION_SALT = 0x0ed;

/**
 * Whether version `v` of `ref`'s event is rendered in the old version: a pure function of the
 * seed and the event, so every list, retrieve and webhook of one event agrees.
 */
export function isOldVersionEvent(seed: number, ref: ObjectRef, v: number, share: number): boolean {
  if (share <= 0) return false;
  if (share >= 1) return true;
  const u =
    hash32(seed, OLD_VERSION_SALT, ref.kind * 65536 + ref.day, ref.index * 4096 + ref.sub, v) / 4294967296;
  return u < share;
}

type Json = Record<string, unknown>;

/** What the old shapes need that the current rendering does not say. */
export interface OldShapeLookups {
  /** A price object by id (the price as of the event), or null when the mock has no such price. */
  price(id: string): Json | null;
  /** The invoice a charge paid, or null (a one-off charge). */
  invoiceOfCharge(chargeId: string): string | null;
}

/** Look-ups over the mock's world at time `t` (the charge's invoice: the family it belongs to). */
export function worldLookups(w: World, renderer: JsonRenderer, ref: ObjectRef, t: number): OldShapeLookups {
  return {
    price(id) {
      const p = decodeObjectId(w.seed, 'prices', id);
      if (!p) return null;
      try {
        const json = renderer.stateAt(p, t);
        const price = JSON.parse(json) as Json;
        return price.deleted === true ? null : price;
      } catch {
        return null; // not created by t
      }
    },
    invoiceOfCharge() {
      // an invoice charge and its invoice share the family coordinates (render/shared.ts familyId)
      // (a retried renewal's charge has the invoice's code + RETRY_CODE: families/subscription.ts)
      return ref.kind === Kind.chargeInvoice
        ? objectIdOf(w.seed, Kind.invoice, ref.day, ref.index, ref.sub % (RETRY_CODE * 4))
        : null;
    },
  };
}

/** `obj` with keys in Stripe's order (`id`, `object`, then alphabetical). */
function stripeOrder(obj: Json): Json {
  const rank = (k: string) => (k === 'id' ? 0 : k === 'object' ? 1 : 2);
  const keys = Object.keys(obj).sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0));
  return Object.fromEntries(keys.map((k) => [k, obj[k]]));
}

const asObj = (v: unknown): Json | null =>
  v && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : null;
const idOf = (v: unknown): string | null =>
  typeof v === 'string' ? v : typeof asObj(v)?.id === 'string' ? (asObj(v)!.id as string) : null;

/** Stripe's legacy `plan` of a recurring price (null for a one-off price). */
function planOf(price: Json): Json | null {
  const r = asObj(price.recurring);
  if (!r) return null;
  return {
    id: price.id,
    object: 'plan',
    active: price.active,
    amount: price.unit_amount,
    amount_decimal: price.unit_amount_decimal,
    billing_scheme: price.billing_scheme,
    created: price.created,
    currency: price.currency,
    interval: r.interval,
    interval_count: r.interval_count,
    livemode: price.livemode,
    metadata: price.metadata,
    meter: r.meter ?? null,
    nickname: price.nickname,
    product: price.product,
    tiers_mode: price.tiers_mode ?? null,
    transform_usage: null,
    trial_period_days: r.trial_period_days ?? null,
    usage_type: r.usage_type ?? 'licensed',
  };
}

/** An invoice line item in the old shape. */
export function oldLineItem(line: Json, lookups: OldShapeLookups): Json {
  const out: Json = { ...line };
  const parent = asObj(line.parent);
  if (parent) {
    const sub = asObj(parent.subscription_item_details);
    const item = asObj(parent.invoice_item_details);
    delete out.parent;
    out.type = parent.type === 'invoice_item_details' ? 'invoiceitem' : 'subscription';
    out.subscription = sub?.subscription ?? item?.subscription ?? null;
    out.subscription_item = sub?.subscription_item ?? null;
    out.invoice_item = sub?.invoice_item ?? item?.invoice_item ?? null;
    out.proration = sub?.proration ?? item?.proration ?? false;
    out.proration_details = sub?.proration_details ?? item?.proration_details ?? { credited_items: null };
  }
  const details = asObj(asObj(line.pricing)?.price_details);
  if (details) {
    delete out.pricing;
    const priceId = idOf(details.price);
    const price = (priceId && lookups.price(priceId)) || {
      // a price the mock cannot render by id: what the line says of it
      id: priceId,
      object: 'price',
      product: details.product ?? null,
      unit_amount_decimal: asObj(line.pricing)?.unit_amount_decimal ?? null,
    };
    out.price = price;
    out.plan = planOf(price);
  }
  return stripeOrder(out);
}

/** An invoice in the old shape (its embedded lines too). */
export function oldInvoice(invoice: Json, lookups: OldShapeLookups): Json {
  const out: Json = { ...invoice };
  const parent = asObj(invoice.parent);
  if ('parent' in invoice) {
    delete out.parent;
    const details = asObj(parent?.subscription_details);
    out.subscription = details?.subscription ?? null;
    out.subscription_details = { metadata: details?.metadata ?? null };
  }
  const lines = asObj(invoice.lines);
  if (lines && Array.isArray(lines.data)) {
    out.lines = { ...lines, data: lines.data.map((l) => oldLineItem(l as Json, lookups)) };
  }
  return stripeOrder(out);
}

/** A subscription in the old shape: the billing period on the subscription, not on its items. */
export function oldSubscription(subscription: Json): Json {
  const out: Json = { ...subscription };
  const items = asObj(subscription.items);
  const data = Array.isArray(items?.data) ? (items.data as Json[]) : [];
  const first = data[0];
  if (first && 'current_period_start' in first) {
    out.current_period_start = first.current_period_start;
    out.current_period_end = first.current_period_end;
  }
  if (items) {
    out.items = {
      ...items,
      data: data.map((item) => {
        const { current_period_start: _s, current_period_end: _e, ...rest } = item;
        return rest;
      }),
    };
  }
  return stripeOrder(out);
}

/**
 * A charge's JSON text in the old shape: it names the invoice it paid. Spliced into the text
 * (no parse: charges are most of the events, and their JSON is the longest).
 */
export function oldChargeJson(json: string, lookups: OldShapeLookups): string {
  const fields = topLevelFields(json).filter(([k]) => k !== 'invoice');
  const id = JSON.parse(fields.find(([k]) => k === 'id')![1]) as string;
  fields.push(['invoice', JSON.stringify(lookups.invoiceOfCharge(id))]);
  const rank = (k: string) => (k === 'id' ? 0 : k === 'object' ? 1 : 2);
  fields.sort(([a], [b]) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0));
  return `{${fields.map(([k, v]) => `"${k}":${v}`).join(',')}}`;
}

/**
 * The JSON text of an object (as the current version renders it) in the old version's shape;
 * objects whose shape did not change (and deleted stubs) come back unchanged.
 */
export function toOldShape(json: string, lookups: OldShapeLookups): string {
  const kind = /^\{"id":"[^"]*","object":"(invoice|subscription|charge)","(deleted)?/.exec(json);
  if (!kind || kind[2]) return json; // another kind, or a deleted stub
  if (kind[1] === 'charge') return oldChargeJson(json, lookups);
  const obj = JSON.parse(json) as Json;
  return JSON.stringify(kind[1] === 'invoice' ? oldInvoice(obj, lookups) : oldSubscription(obj));
}
