import { Kind } from '../ids.js';
import { hash32, intBetween, pickWeighted, unit } from '../rng.js';
import { eventCode, type VersionSink } from '../versions.js';
import { CURRENCIES, DAY, firstCustomerDay, SALT, timeInDay, type World } from '../world.js';

/**
 * The catalogue family: products with their prices (monthly, quarterly, half-yearly, yearly and
 * one-off, in several currencies; some archived, a few deleted), and coupons. A SaaS catalogue
 * is small and does not grow with the volume: a product and a coupon every two weeks, and one now
 * and then between. Refs: a product (day, index, 0), its price n (day, index, n), a
 * coupon (day, index, 0).
 */

export const PRODUCT_NAMES = [
  'Starter',
  'Pro',
  'Team',
  'Business',
  'Enterprise',
  'Seats',
  'Storage',
  'Support',
];
const BASE_AMOUNTS = [900, 1500, 1900, 2900, 4900, 9900];
const PERCENTS = [10, 12.5, 15, 20, 25, 50];
const AMOUNTS_OFF = [500, 1000, 2000, 5000];
const MONTHS = [3, 6, 12];

export interface ProductPlan {
  readonly day: number;
  readonly index: number;
  readonly created: number;
  readonly name: string;
  /** Prices it ever has (0 for a draft, which is deleted). */
  readonly priceCount: number;
  /** When it is archived (`active` false, `product.updated`), or null. */
  readonly archivedAt: number | null;
  /** When a draft is deleted (`product.deleted`), or null. */
  readonly deletedAt: number | null;
}

export interface PricePlan {
  readonly product: ProductPlan;
  readonly n: number;
  readonly created: number;
  readonly currency: string;
  /** null for a one-off price. */
  readonly interval: 'month' | 'year' | null;
  readonly intervalCount: number;
  readonly unitAmount: number;
  readonly archivedAt: number | null;
  readonly deletedAt: number | null;
}

export interface CouponPlan {
  readonly day: number;
  readonly index: number;
  readonly created: number;
  readonly percentOff: number | null;
  readonly amountOff: number | null;
  readonly currency: string | null;
  readonly duration: 'once' | 'repeating' | 'forever';
  readonly durationInMonths: number | null;
  /** When it is renamed (`coupon.updated`), or null. */
  readonly updatedAt: number | null;
  readonly deletedAt: number | null;
}

/**
 * The catalogue lives on absolute calendar days, not on the history's first day: two mocks of one
 * seed with different clocks (or history lengths) must agree about every product and coupon, as
 * they agree about every customer of a day. Every 14th day (a phase fixed by the seed) brings a
 * product that always has prices, so any history of two weeks or more has a catalogue to sell;
 * other days bring one now and then.
 */
const ANCHOR_DAYS = 14;

/** Whether `day` is one of the catalogue's anchor days (a product with prices, a coupon). */
export const isAnchorDay = (w: World, day: number): boolean =>
  ((day % ANCHOR_DAYS) + ANCHOR_DAYS) % ANCHOR_DAYS === anchorPhase(w.seed);

/** The seed's anchor phase (asked for every catalogue object and subscription: remembered). */
const PHASES = new Map<number, number>();
function anchorPhase(seed: number): number {
  let p = PHASES.get(seed);
  if (p === undefined) {
    p = hash32(seed, SALT.nProducts) % ANCHOR_DAYS;
    PHASES.set(seed, p);
  }
  return p;
}

/**
 * The catalogue starts this long before the first customer day, so that a subscription of any
 * customer finds the product line of the anchor day before it and the coupons since, whatever the
 * history's length.
 */
export const CATALOGUE_LEAD_DAYS = ANCHOR_DAYS;

/** The first day that can have catalogue objects. */
export const firstCatalogueDay = (w: World): number => firstCustomerDay(w) - CATALOGUE_LEAD_DAYS;

/**
 * An anchor day brings a product line, the plans subscriptions buy: ANCHOR_LINE products whose
 * amounts double from one to the next (upgrades go up the line). Each has a price for every
 * currency (in CURRENCIES order) and billing interval (ANCHOR_INTERVALS), never archived nor
 * deleted, so every customer's currency has recurring prices and a subscription's embedded prices
 * never change under it. Price 0 is usd, monthly: the default price.
 */
export const ANCHOR_LINE = 4;
export const ANCHOR_INTERVALS: readonly (readonly ['month' | 'year', number, number])[] = [
  ['month', 1, 1],
  ['month', 3, 3],
  ['year', 1, 10],
];
const ANCHOR_PRICES = CURRENCIES.length * ANCHOR_INTERVALS.length;
/** The number of an anchor product's price in currency `ci` and interval `j`. */
export const anchorPriceN = (ci: number, j: number): number => ci * ANCHOR_INTERVALS.length + j;

/** The latest anchor day at or before `day`. */
export function anchorDayAtOrBefore(w: World, day: number): number {
  let d = day;
  while (!isAnchorDay(w, d)) d--;
  return d;
}

/**
 * Products created on day `day`: one on every anchor day, otherwise one on about 10% of days.
 * Deletions come 40-120 days after creation, as customers' do: an object deleted before the
 * events a first load can read (30 days) is invisible to any client, in Stripe as here.
 */
export function nProducts(w: World, day: number): number {
  if (day < firstCatalogueDay(w)) return 0;
  if (isAnchorDay(w, day)) return ANCHOR_LINE;
  return unit(w.seed, SALT.nProducts, day) < 0.1 ? 1 : 0;
}

/** Coupons created on day `day`: one on every anchor day, otherwise one on about 6% of days. */
export function nCoupons(w: World, day: number): number {
  if (day < firstCatalogueDay(w)) return 0;
  if (isAnchorDay(w, day)) return 1;
  return unit(w.seed, SALT.nCoupons, day) < 0.06 ? 1 : 0;
}

export function productPlan(w: World, day: number, index: number): ProductPlan | null {
  const n = nProducts(w, day);
  if (index < 0 || index >= n) return null;
  const seed = w.seed;
  const created = timeInDay(w, SALT.prodTime, day, index, n);
  // An anchor day's products are never drafts nor archived: subscriptions buy their plans.
  const anchor = isAnchorDay(w, day);
  const draft = !anchor && unit(seed, SALT.prodDraft, day, index) < 0.3;
  const archived = !anchor && !draft && unit(seed, SALT.prodArchive, day, index) < 0.15;
  return {
    day,
    index,
    created,
    name: anchor
      ? PRODUCT_NAMES[index]!
      : PRODUCT_NAMES[hash32(seed, SALT.prodName, day, index) % PRODUCT_NAMES.length]!,
    priceCount: anchor
      ? ANCHOR_PRICES
      : draft
        ? 0
        : intBetween(unit(seed, SALT.prodPrices, day, index), 2, 5),
    archivedAt: archived
      ? created + intBetween(unit(seed, SALT.prodArchiveAt, day, index), 20 * DAY, 200 * DAY)
      : null,
    deletedAt: draft
      ? created + intBetween(unit(seed, SALT.prodDeleteAt, day, index), 40 * DAY, 120 * DAY)
      : null,
  };
}

/**
 * Price `n` of product (day, index). Price 0 is the product's default: monthly, in usd, created
 * with the product, never archived. The others come later, in any currency and interval.
 */
export function pricePlan(w: World, day: number, index: number, n: number): PricePlan | null {
  const product = productPlan(w, day, index);
  if (!product || n < 0 || n >= product.priceCount) return null;
  const seed = w.seed;
  if (isAnchorDay(w, day)) {
    // the plans: one base amount per line (sek ten times it), doubling along the line, times the
    // interval's months (a year is ten); a second apart, in price order
    const [interval, intervalCount, factor] = ANCHOR_INTERVALS[n % ANCHOR_INTERVALS.length]!;
    const currency = CURRENCIES[Math.floor(n / ANCHOR_INTERVALS.length)]![0];
    const base = BASE_AMOUNTS[hash32(seed, SALT.priceAmount, day, 0, 0) % BASE_AMOUNTS.length]!;
    return {
      product,
      n,
      created: product.created + n,
      currency,
      interval,
      intervalCount,
      unitAmount: base * 2 ** index * factor * (currency === 'sek' ? 10 : 1),
      archivedAt: null,
      deletedAt: null,
    };
  }
  const base = BASE_AMOUNTS[hash32(seed, SALT.priceAmount, day, index, n) % BASE_AMOUNTS.length]!;
  if (n === 0)
    return {
      product,
      n,
      created: product.created,
      currency: 'usd',
      interval: 'month',
      intervalCount: 1,
      unitAmount: base,
      archivedAt: null,
      deletedAt: null,
    };
  const created = product.created + intBetween(unit(seed, SALT.priceAt, day, index, n), 60, 30 * DAY);
  const k = unit(seed, SALT.priceKind, day, index, n);
  const [interval, intervalCount, unitAmount] =
    k < 0.15
      ? ([null, 1, base * 3] as const)
      : k < 0.45
        ? (['year', 1, base * 10] as const)
        : k < 0.6
          ? (['month', 3, base * 3] as const)
          : k < 0.7
            ? (['month', 6, base * 6] as const)
            : (['month', 1, base] as const);
  const archived = unit(seed, SALT.priceArchive, day, index, n) < 0.2;
  // deleted (never used) or archived later; like customers, never within the 40 days after
  // creation, so a first load of a short history sees the deletion event (Stripe keeps 30 days)
  const deleted = !archived && unit(seed, SALT.priceDelete, day, index, n) < 0.15;
  const u = unit(seed, SALT.priceArchiveAt, day, index, n);
  const at = created + (deleted ? intBetween(u, 40 * DAY, 120 * DAY) : intBetween(u, DAY, 120 * DAY));
  return {
    product,
    n,
    created,
    currency: pickWeighted(unit(seed, SALT.priceCurrency, day, index, n), CURRENCIES),
    interval,
    intervalCount,
    unitAmount,
    archivedAt: archived ? at : null,
    deletedAt: deleted ? at : null,
  };
}

export function couponPlan(w: World, day: number, index: number): CouponPlan | null {
  const n = nCoupons(w, day);
  if (index < 0 || index >= n) return null;
  const seed = w.seed;
  const created = timeInDay(w, SALT.coupTime, day, index, n);
  const v = hash32(seed, SALT.coupValue, day, index);
  const percent = unit(seed, SALT.coupKind, day, index) < 0.6;
  const d = unit(seed, SALT.coupDuration, day, index);
  const duration = d < 0.4 ? 'once' : d < 0.7 ? 'repeating' : 'forever';
  const updatedAt =
    unit(seed, SALT.coupUpdate, day, index) < 0.2
      ? created + intBetween(unit(seed, SALT.coupUpdateAt, day, index), 3600, 30 * DAY)
      : null;
  const deletedAt =
    unit(seed, SALT.coupDelete, day, index) < 0.15
      ? created + intBetween(unit(seed, SALT.coupDeleteAt, day, index), 40 * DAY, 120 * DAY)
      : null;
  return {
    day,
    index,
    created,
    percentOff: percent ? PERCENTS[v % PERCENTS.length]! : null,
    amountOff: percent ? null : AMOUNTS_OFF[v % AMOUNTS_OFF.length]!,
    currency: percent ? null : pickWeighted((v >>> 8) / 16777216, CURRENCIES),
    duration,
    durationInMonths: duration === 'repeating' ? MONTHS[(v >>> 4) % MONTHS.length]! : null,
    updatedAt,
    deletedAt,
  };
}

// --- timelines -------------------------------------------------------------------------------

const E = {
  productCreated: eventCode('product.created'),
  productUpdated: eventCode('product.updated'),
  productDeleted: eventCode('product.deleted'),
  priceCreated: eventCode('price.created'),
  priceUpdated: eventCode('price.updated'),
  priceDeleted: eventCode('price.deleted'),
  couponCreated: eventCode('coupon.created'),
  couponUpdated: eventCode('coupon.updated'),
  couponDeleted: eventCode('coupon.deleted'),
} as const;

export function productTimeline(p: ProductPlan, tMax: number, sink: VersionSink): void {
  if (p.created > tMax) return;
  sink.add(Kind.product, p.day, p.index, 0, 0, p.created, E.productCreated);
  if (p.archivedAt !== null && p.archivedAt <= tMax)
    sink.add(Kind.product, p.day, p.index, 0, 1, p.archivedAt, E.productUpdated);
  if (p.deletedAt !== null && p.deletedAt <= tMax)
    sink.add(Kind.product, p.day, p.index, 0, 1, p.deletedAt, E.productDeleted);
}

export function priceTimeline(p: PricePlan, tMax: number, sink: VersionSink): void {
  const { day, index } = p.product;
  if (p.created > tMax) return;
  sink.add(Kind.price, day, index, p.n, 0, p.created, E.priceCreated);
  if (p.archivedAt !== null && p.archivedAt <= tMax)
    sink.add(Kind.price, day, index, p.n, 1, p.archivedAt, E.priceUpdated);
  if (p.deletedAt !== null && p.deletedAt <= tMax)
    sink.add(Kind.price, day, index, p.n, 1, p.deletedAt, E.priceDeleted);
}

export function couponTimeline(c: CouponPlan, tMax: number, sink: VersionSink): void {
  if (c.created > tMax) return;
  sink.add(Kind.coupon, c.day, c.index, 0, 0, c.created, E.couponCreated);
  let n = 1;
  if (c.updatedAt !== null && c.updatedAt <= tMax)
    sink.add(Kind.coupon, c.day, c.index, 0, n++, c.updatedAt, E.couponUpdated);
  if (c.deletedAt !== null && c.deletedAt <= tMax)
    sink.add(Kind.coupon, c.day, c.index, 0, n, c.deletedAt, E.couponDeleted);
}

/** Walks the whole catalogue: products, their prices, coupons, versions up to `tMax`. */
export function walkCatalogue(w: World, tMax: number, sink: VersionSink): void {
  const lastDay = Math.floor(tMax / DAY);
  for (let d = firstCatalogueDay(w); d <= lastDay; d++) {
    for (let i = 0, n = nProducts(w, d); i < n; i++) {
      const p = productPlan(w, d, i)!;
      productTimeline(p, tMax, sink);
      for (let k = 0; k < p.priceCount; k++) priceTimeline(pricePlan(w, d, i, k)!, tMax, sink);
    }
    for (let i = 0, n = nCoupons(w, d); i < n; i++) couponTimeline(couponPlan(w, d, i)!, tMax, sink);
  }
}
