import type { ChargePlan } from '../families/charge.js';
import type { CustomerPlan } from '../families/customer.js';
import { GEN_CYCLES, type SubscriptionPlan } from '../families/subscription.js';
import { Kind, memberId, objectIdOf } from '../ids.js';
import { hash32 } from '../rng.js';

/**
 * What the renderers share: JSON text helpers, the ids of a family's objects, and the mock's
 * fake-data vocabulary.
 *
 * Strings that could ever need escaping go through `q` (JSON.stringify); ids, base62 filler,
 * currency codes and the other values of the mock's own alphabets are spliced in as they are.
 */

/** A JSON string literal (escaped as JSON.stringify does). */
export const q = (s: string): string => JSON.stringify(s);

/** A Stripe list object embedded in another object (never has more). */
export const listJson = (url: string, data: string): string =>
  `{"object":"list","data":[${data}],"has_more":false,"url":${q(url)}}`;

/** How many children Stripe embeds in a parent (`lines`, `items`); the rest are paged. */
export const EMBEDDED_CHILDREN = 10;

/**
 * A child list embedded in its parent: the first `limit` (10, as Stripe's), `has_more` and
 * `total_count`.
 */
export const childListJson = (url: string, items: readonly string[], limit = EMBEDDED_CHILDREN): string =>
  `{"object":"list","data":[${items.slice(0, limit).join(',')}],` +
  `"has_more":${items.length > limit},"total_count":${items.length},"url":${q(url)}}`;

// --- vocabulary --------------------------------------------------------------------------------

export const FIRST = [
  'Ada',
  'Grace',
  'Alan',
  'Edsger',
  'Barbara',
  'Ken',
  'Linus',
  'Margaret',
  'Dennis',
  'Frances',
];
export const LAST = [
  'Lovelace',
  'Hopper',
  'Turing',
  'Dijkstra',
  'Liskov',
  'Thompson',
  'Torvalds',
  'Hamilton',
  'Ritchie',
  'Allen',
];
export const COUNTRY: Readonly<Record<string, string>> = {
  usd: 'US',
  eur: 'DE',
  gbp: 'GB',
  cad: 'CA',
  aud: 'AU',
  sek: 'SE',
};
export const BRANDS = ['visa', 'visa', 'visa', 'mastercard', 'mastercard', 'amex'] as const;
export const LAST4 = ['4242', '4444', '0005', '1881', '5556', '8431', '3220', '0077'];

const B62_CODE = Array.from('0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz', (c) =>
  c.charCodeAt(0),
);
const CODES: number[][] = [];
/**
 * `n` random-looking base62 characters from one hash and an xorshift stream. Hot path: codes go
 * into a reused array and become one string (2.5x faster than appending char by char).
 */
export const chars = (seed: number, a: number, b: number, n: number): string => {
  let x = hash32(seed, a, b, 99) | 1;
  let out = CODES[n];
  if (!out) CODES[n] = out = new Array<number>(n).fill(0);
  for (let k = 0; k < n; k++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[k] = B62_CODE[(x >>> 0) % 62]!;
  }
  return String.fromCharCode.apply(null, out);
};

// --- ids of a family's objects -------------------------------------------------------------------

/** The id of the object of kind `oneOff`/`invoice` (by the family) and number `n` of a charge family. */
export const familyId = (seed: number, p: ChargePlan, oneOff: number, invoice: number, n = 0): string =>
  objectIdOf(seed, p.family ? invoice : oneOff, p.day, p.index, p.cycle * 4 + n);
export const chargeId = (seed: number, p: ChargePlan): string =>
  familyId(seed, p, Kind.chargeOneOff, Kind.chargeInvoice);
export const paymentIntentId = (seed: number, p: ChargePlan): string =>
  familyId(seed, p, Kind.piOneOff, Kind.piInvoice);
export const paymentMethodId = (seed: number, p: ChargePlan): string =>
  `pm_${chars(seed, p.cardSeed, 1, 24)}`;
/** A customer id as JSON (quoted), or `null` for a guest. */
export const customerIdJson = (seed: number, c: CustomerPlan | null): string =>
  c ? `"${objectIdOf(seed, Kind.customer, c.day, c.index, 0)}"` : 'null';
export const subscriptionId = (seed: number, s: SubscriptionPlan): string =>
  objectIdOf(seed, Kind.subscription, s.customer.day, s.customer.index, s.gen);
/** The id of invoice k (of the subscription's periods). */
export const invoiceId = (seed: number, s: SubscriptionPlan, k: number): string =>
  objectIdOf(seed, Kind.invoice, s.customer.day, s.customer.index, (s.gen * GEN_CYCLES + k) * 4);
/** A subscription item's id (its slot keeps it through price and quantity changes). */
export const subscriptionItemId = (seed: number, s: SubscriptionPlan, slot: number): string =>
  memberId('si_', seed, s.customer.day, s.customer.index, 2_000_000 + s.gen * 4096 + slot, 14);
/** The id of line `n` of the invoice of code `code`. */
export const lineItemId = (seed: number, c: CustomerPlan, code: number, n: number): string =>
  memberId('il_', seed, c.day, c.index, 1_000_000 + code * 64 + n, 24);
/** The pending invoice item a proration line came from. */
export const invoiceItemId = (seed: number, c: CustomerPlan, code: number, n: number): string =>
  memberId('ii_', seed, c.day, c.index, 6_000_000 + code * 64 + n, 24);
/** The invoice payment of a charge family's code (an invoice's first attempt or its retry). */
export const invoicePaymentId = (seed: number, c: CustomerPlan, payCode: number): string =>
  memberId('inpay_', seed, c.day, c.index, 3_000_000 + payCode, 24);
/** The discount a subscription's coupon makes. */
export const discountId = (seed: number, s: SubscriptionPlan): string =>
  memberId('di_', seed, s.customer.day, s.customer.index, 5_000_000 + s.gen, 24);
