import type { EntityName } from '../../entities/entity.js';
import { entity } from '../../entities/lookups.js';
import { hash32 } from './rng.js';

/**
 * Object identity in the mock: an `ObjectRef` (kind, day, index, sub) that ids encode and
 * decode, so `retrieve` and `starting_after` resolve without a global id map.
 */

/** What an object is and which generator family it belongs to. */
export const Kind = {
  customer: 1,
  subscription: 2,
  invoice: 3,
  chargeOneOff: 4,
  chargeInvoice: 5,
  piOneOff: 6,
  piInvoice: 7,
  refundOneOff: 8,
  refundInvoice: 9,
  disputeOneOff: 10,
  disputeInvoice: 11,
  btChargeOneOff: 12,
  btRefundOneOff: 13,
  btDisputeOneOff: 14,
  btChargeInvoice: 15,
  btRefundInvoice: 16,
  btDisputeInvoice: 17,
  product: 18,
  price: 19,
  coupon: 20,
  payout: 21,
  btPayout: 22,
  btPayoutFailure: 23,
} as const;

/** The entity each kind lists under. */
export const KIND_ENTITY: Readonly<Record<number, EntityName>> = {
  [Kind.customer]: 'customers',
  [Kind.subscription]: 'subscriptions',
  [Kind.invoice]: 'invoices',
  [Kind.chargeOneOff]: 'charges',
  [Kind.chargeInvoice]: 'charges',
  [Kind.piOneOff]: 'payment_intents',
  [Kind.piInvoice]: 'payment_intents',
  [Kind.refundOneOff]: 'refunds',
  [Kind.refundInvoice]: 'refunds',
  [Kind.disputeOneOff]: 'disputes',
  [Kind.disputeInvoice]: 'disputes',
  [Kind.btChargeOneOff]: 'balance_transactions',
  [Kind.btRefundOneOff]: 'balance_transactions',
  [Kind.btDisputeOneOff]: 'balance_transactions',
  [Kind.btChargeInvoice]: 'balance_transactions',
  [Kind.btRefundInvoice]: 'balance_transactions',
  [Kind.btDisputeInvoice]: 'balance_transactions',
  [Kind.product]: 'products',
  [Kind.price]: 'prices',
  [Kind.coupon]: 'coupons',
  [Kind.payout]: 'payouts',
  [Kind.btPayout]: 'balance_transactions',
  [Kind.btPayoutFailure]: 'balance_transactions',
};

/**
 * An object's coordinates. Packed as `hi = kind << 16 | day`, `lo = index << 12 | sub`.
 */
export interface ObjectRef {
  /** What the object is (`Kind`). */
  readonly kind: number;
  /** The root day of its family (unix day number). */
  readonly day: number;
  /** The family's index within that day. */
  readonly index: number;
  /** Which one within the family: `cycle * 4 + n` (invoice cycle, refund or dispute transaction n). */
  readonly sub: number;
}

export const MAX_INDEX = 1 << 20;
export const MAX_SUB = 1 << 12;

const B62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const B62_VALUE = new Map([...B62].map((c, i) => [c, i]));

function unb62(s: string): number {
  let n = 0;
  for (const c of s) {
    const v = B62_VALUE.get(c);
    if (v === undefined) return Number.NaN;
    n = n * 62 + v;
  }
  return n;
}

const B62_CODE = Array.from(B62, (c) => c.charCodeAt(0));
/** Character-code scratch arrays by length: ids are made on every object of every page (hot). */
const CODES: number[][] = [];
const codes = (n: number): number[] => {
  let a = CODES[n];
  if (!a) CODES[n] = a = new Array<number>(n).fill(0);
  return a;
};

/** Writes `width` base62 digits of `n` into `out` at `at` (most significant first). */
function putB62(out: number[], at: number, n: number, width: number): void {
  for (let w = width - 1; w >= 0; w--) {
    out[at + w] = B62_CODE[n % 62]!;
    n = Math.floor(n / 62);
  }
}

/** Writes the seeded filler characters into `out` from `at`. */
function putFiller(
  out: number[],
  at: number,
  seed: number,
  hi: number,
  lo: number,
  v: number,
  len: number,
): void {
  let h = hash32(seed, hi, lo, v, 77);
  for (let n = 0; n < len; n++) {
    if (n % 5 === 4) h = hash32(seed, hi, lo, v, n);
    out[at + n] = B62_CODE[h % 62]!;
    h = (h / 62) >>> 0; // = Math.floor for the uint32 `h`
  }
}

/** Writes a ref's fixed-width fields (kind, day, index, sub) into `out` from `at`. */
function putFields(out: number[], at: number, kind: number, day: number, index: number, sub: number): void {
  out[at] = B62_CODE[kind]!;
  putB62(out, at + 1, day, 3);
  putB62(out, at + 4, index, 4);
  putB62(out, at + 8, sub, 2);
}

export const packHi = (r: ObjectRef): number => r.kind * 65536 + r.day;
export const packLo = (r: ObjectRef): number => r.index * 4096 + r.sub;
export const unpack = (hi: number, lo: number): ObjectRef => ({
  kind: Math.floor(hi / 65536),
  day: hi % 65536,
  index: Math.floor(lo / 4096),
  sub: lo % 4096,
});

const FIELDS_LEN = 1 + 3 + 4 + 2;
const OBJECT_FILLER = 14;
const EVENT_FILLER = 12;

const PREFIX: readonly string[] = Object.keys(KIND_ENTITY).reduce<string[]>((a, k) => {
  a[Number(k)] = entity(KIND_ENTITY[Number(k)]!).idPrefixes[0]!;
  return a;
}, []);
const prefixOf = (k: number): string => PREFIX[k]!;

/** The Stripe-looking id of an object, e.g. `ch_4Pg10001000XyZ…`. */
export function objectId(seed: number, r: ObjectRef): string {
  return objectIdOf(seed, r.kind, r.day, r.index, r.sub);
}

/** `objectId` of the ref's fields, without an `ObjectRef` (renderers make ids by the million). */
export function objectIdOf(seed: number, kind: number, day: number, index: number, sub: number): string {
  const out = codes(FIELDS_LEN + OBJECT_FILLER);
  putFields(out, 0, kind, day, index, sub);
  putFiller(out, FIELDS_LEN, seed, kind * 65536 + day, index * 4096 + sub, 0, OBJECT_FILLER);
  return prefixOf(kind) + String.fromCharCode.apply(null, out);
}

/**
 * The id of an object that belongs to a customer (a subscription item, an invoice line, a
 * discount): unique by construction, its customer's day and index and the `member` number written
 * out before the filler. (A hashed id of 32 bits repeats among the millions of lines of the 1m
 * preset.)
 */
export function memberId(
  prefix: string,
  seed: number,
  day: number,
  index: number,
  member: number,
  len: number,
): string {
  const out = codes(len);
  putB62(out, 0, day, 3);
  putB62(out, 3, index, 4);
  putB62(out, 7, member, MEMBER_LEN);
  putFiller(out, 7 + MEMBER_LEN, seed, day, index * 4096 + (member % 4096), member, len - 7 - MEMBER_LEN);
  return prefix + String.fromCharCode.apply(null, out);
}
/** Base62 digits of a member number (up to 916M). */
const MEMBER_LEN = 5;

/** The id of the event for version `v` of the object `r`. */
export function eventId(seed: number, r: ObjectRef, v: number): string {
  const out = codes(FIELDS_LEN + 1 + EVENT_FILLER);
  putFields(out, 0, r.kind, r.day, r.index, r.sub);
  out[FIELDS_LEN] = B62_CODE[v]!;
  putFiller(out, FIELDS_LEN + 1, seed, packHi(r), packLo(r), v + 1, EVENT_FILLER);
  return `evt_${String.fromCharCode.apply(null, out)}`;
}

function decodeFields(body: string): ObjectRef | null {
  const kind = B62_VALUE.get(body[0] ?? '');
  const day = unb62(body.slice(1, 4));
  const index = unb62(body.slice(4, 8));
  const sub = unb62(body.slice(8, 10));
  if (
    kind === undefined ||
    !KIND_ENTITY[kind] ||
    Number.isNaN(day) ||
    Number.isNaN(index) ||
    Number.isNaN(sub)
  )
    return null;
  if (index >= MAX_INDEX || sub >= MAX_SUB) return null;
  return { kind, day, index, sub };
}

/** Decodes an object id of `entityName`; null when it is not one the mock could have made. */
export function decodeObjectId(seed: number, entityName: EntityName, id: string): ObjectRef | null {
  const prefix = entity(entityName).idPrefixes[0]!;
  if (!id.startsWith(prefix) || id.length !== prefix.length + FIELDS_LEN + OBJECT_FILLER) return null;
  const r = decodeFields(id.slice(prefix.length));
  if (!r || KIND_ENTITY[r.kind] !== entityName) return null;
  return objectId(seed, r) === id ? r : null;
}

/** Decodes an event id into the object it is about and the version number. */
export function decodeEventId(seed: number, id: string): { ref: ObjectRef; v: number } | null {
  if (!id.startsWith('evt_') || id.length !== 4 + FIELDS_LEN + 1 + EVENT_FILLER) return null;
  const body = id.slice(4);
  const r = decodeFields(body);
  const v = B62_VALUE.get(body[FIELDS_LEN] ?? '');
  if (!r || v === undefined) return null;
  return eventId(seed, r, v) === id ? { ref: r, v } : null;
}
