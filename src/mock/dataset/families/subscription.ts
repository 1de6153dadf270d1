import { hash32, intBetween, unit } from '../rng.js';
import { addMonths, CURRENCIES, DAY, FINALIZE_AFTER, SALT, type World } from '../world.js';
import {
  ANCHOR_LINE,
  anchorDayAtOrBefore,
  anchorPriceN,
  type CouponPlan,
  couponPlan,
  type PricePlan,
  pricePlan,
} from './catalogue.js';
import { type CustomerPlan, customerPlan } from './customer.js';

/**
 * The SaaS life of a subscriber (SPEC 4.2): subscriptions to the catalogue's plans (the product
 * line of the anchor day before, `catalogue.ts`), 1-3 items with seat quantities, monthly,
 * quarterly or yearly; trials that convert or lapse; one change now and then in a period (an
 * item up or down the line, its quantity, an item added with proration or removed without; for
 * the few that take the whole line, a seat true-up of every item: invoices of more than 10
 * lines), prorated on the next invoice; coupons; renewals whose first attempt fails
 * (`past_due`) and recover or end the subscription; cancellations at period end or at once; and
 * a churned customer's second subscription months later.
 *
 * Everything is a pure function of (seed, customer day, index, generation): the state in any
 * period is a replay of the changes of the periods before it (a few hashes per period).
 * Refs: a subscription (customer day, index, generation); its invoice k (…, code * 4) with
 * `code = generation * GEN_CYCLES + k`; the charge family paying it (…, code) and, for a retried
 * payment, (…, RETRY_CODE + code).
 */

/** Invoices per generation at most (a generation is canceled at its last period). */
export const GEN_CYCLES = 256;
/** Added to an invoice's code for the charge family of its retried payment. */
export const RETRY_CODE = 512;
export const TRIAL_DAYS = 14;
/** A failed renewal payment is retried this long after finalization; then paid, or the end. */
export const RETRY_AFTER = 3 * DAY;
/** Days before its creation a subscription looks for a coupon (within the catalogue's lead). */
const COUPON_LOOKBACK_DAYS = 14;

/** One item of a subscription (a slot keeps its id and creation through plan and quantity changes). */
export interface ItemState {
  readonly slot: number;
  /** Which product of the line (its index on the anchor day). */
  readonly product: number;
  readonly quantity: number;
  readonly created: number;
}

export type ChangeKind = 'plan' | 'quantity' | 'add' | 'remove' | 'true_up';

/** One item's part of a change: `before` (null when added) becomes `after` (null when removed). */
export interface ItemChange {
  readonly before: ItemState | null;
  readonly after: ItemState | null;
}

/** A change in a period, of one item (or, a true-up, of every item's quantity). */
export interface ChangePlan {
  readonly at: number;
  readonly kind: ChangeKind;
  readonly parts: readonly ItemChange[];
}

/** How a subscription ends: trial without payment method, at period end, at once, or unpaid. */
export type EndKind = 'lapse' | 'period_end' | 'immediate' | 'past_due';

export interface SubscriptionPlan {
  readonly customer: CustomerPlan;
  /** 0, or 1 for a churned customer's return. */
  readonly gen: number;
  readonly created: number;
  /** Index into ANCHOR_INTERVALS (month, 3 months, year) and its length in months. */
  readonly interval: number;
  readonly months: number;
  readonly currencyIndex: number;
  /** The newest anchor day before creation: its product line is what the items buy. */
  readonly anchorDay: number;
  /** Takes the whole line; its changes are seat true-ups of every item (invoices of over 10 lines). */
  readonly heavy: boolean;
  readonly items: readonly ItemState[];
  readonly trialEnd: number | null;
  readonly coupon: CouponPlan | null;
  /** Billed periods the coupon discounts (Infinity for `forever`). */
  readonly couponPeriods: number;
  readonly end: EndKind | null;
  /** When cancellation at period end was asked (`cancel_at_period_end`). */
  readonly cancelRequestedAt: number | null;
  /** When the status becomes `canceled` (`customer.subscription.deleted`), or null. */
  readonly canceledAt: number | null;
  /** Invoices that will ever exist (Infinity when it runs on). */
  readonly invoiceCount: number;
  /** Invoices of the customer's earlier subscription (invoice numbers go on from there). */
  readonly numberBase: number;
  /** Period starts computed so far (`periodStart`'s memo, filled on demand). */
  readonly starts: number[];
  /** The line's prices in its currency and interval, by product (`itemPrice`'s memo). */
  readonly prices: PricePlan[];
}

const SEATS = [1, 1, 1, 2, 3, 5, 5, 10, 10, 15, 25] as const;

/**
 * Recently computed plans per world: an object's renders, its events and its charges ask for the
 * same plan many times in a row (a plan is pure, so the cache only saves time). Bounded: it is
 * emptied when full, never a copy of the whole history.
 */
const PLAN_CACHE = new WeakMap<World, Map<number, SubscriptionPlan | null>>();
const PLAN_CACHE_SIZE = 512;

/** The subscription of generation `gen` of customer (day, index), or null when it has none. */
export function subscriptionPlan(w: World, day: number, index: number, gen = 0): SubscriptionPlan | null {
  if (gen < 0 || gen > 1) return null;
  let cache = PLAN_CACHE.get(w);
  if (!cache) {
    cache = new Map();
    PLAN_CACHE.set(w, cache);
  }
  const key = (day * 1_048_576 + index) * 2 + gen;
  const hit = cache.get(key);
  if (hit !== undefined) return hit;
  if (cache.size >= PLAN_CACHE_SIZE) cache.clear();
  const plan = computePlan(w, day, index, gen);
  cache.set(key, plan);
  return plan;
}

function computePlan(w: World, day: number, index: number, gen: number): SubscriptionPlan | null {
  const c = customerPlan(w, day, index);
  if (!c?.hasSubscription) return null;
  const seed = w.seed;
  if (gen === 0) {
    const created = c.created + intBetween(unit(seed, SALT.subDelay, day, index), 60, 600);
    return lifePlan(w, c, 0, created, 0);
  }
  const first = subscriptionPlan(w, day, index, 0)!;
  if (first.canceledAt === null || unit(seed, SALT.subReturn, day, index) >= 0.35) return null;
  const created =
    first.canceledAt + intBetween(unit(seed, SALT.subReturnAt, day, index), 60 * DAY, 240 * DAY);
  return lifePlan(w, c, 1, created, first.invoiceCount);
}

function lifePlan(
  w: World,
  c: CustomerPlan,
  gen: number,
  created: number,
  numberBase: number,
): SubscriptionPlan {
  const seed = w.seed;
  const { day, index } = c;
  const u = (salt: number, x = 0): number => unit(seed, salt, day, index, gen * 16 + x);
  const ki = u(SALT.subInterval);
  const interval = ki < 0.6 ? 0 : ki < 0.75 ? 1 : 2;
  const months = interval === 0 ? 1 : interval === 1 ? 3 : 12;
  const heavy = u(SALT.subHeavy) < 0.03;
  const ni = u(SALT.subItems);
  const n = heavy ? ANCHOR_LINE : ni < 0.6 ? 1 : ni < 0.9 ? 2 : 3;
  // distinct products of the line, cheaper ones more often for a single item
  const start = u(SALT.subTier) < 0.7 ? 0 : hash32(seed, SALT.subOffset, day, index, gen) % ANCHOR_LINE;
  const items: ItemState[] = [];
  for (let s = 0; s < n; s++)
    items.push({
      slot: s,
      product: (start + s) % ANCHOR_LINE,
      quantity: pickSeats(seed, c, gen, s),
      created,
    });
  const trial = gen === 0 && u(SALT.subTrial) < 0.25;
  const trialEnd = trial ? created + TRIAL_DAYS * DAY : null;
  const currencyIndex = CURRENCIES.findIndex(([cur]) => cur === c.currency);
  // how it ends (decided first: a renewal that fails for good needs an amount to fail on, so no coupon)
  const e = u(SALT.subEnd);
  const lapses = trial && u(SALT.subLapse) < 0.3;
  const endKind: EndKind | null = lapses
    ? 'lapse'
    : e < 0.2
      ? 'period_end'
      : e < 0.3
        ? 'immediate'
        : e < 0.4
          ? 'past_due'
          : null;
  const coupon = endKind !== 'past_due' && u(SALT.subCoupon) < 0.2 ? pickCoupon(w, c, gen, created) : null;
  const couponPeriods =
    coupon === null
      ? 0
      : coupon.duration === 'once'
        ? 1
        : coupon.duration === 'forever'
          ? Number.POSITIVE_INFINITY
          : Math.ceil(coupon.durationInMonths! / months);
  // how it ends: L = the periods it lives (the trial counts as one); one object, no spreads (a
  // plan per subscriber at start-up)
  const basis = { created, trialEnd, months, starts: [] as number[] };
  const life = (trial ? 1 : 0) + intBetween(u(SALT.subLife), 1, interval === 0 ? 14 : interval === 1 ? 5 : 2);
  const frac = 0.2 + 0.7 * u(SALT.subEndAt);
  const inPeriod = (k: number): number => {
    const s0 = periodStart(basis, k);
    return s0 + Math.floor(frac * (periodStart(basis, k + 1) - s0));
  };
  let cancelRequestedAt: number | null = null;
  let canceledAt: number | null = null;
  let invoiceCount = Number.POSITIVE_INFINITY;
  if (endKind === 'lapse') {
    canceledAt = trialEnd;
    invoiceCount = 1;
  } else if (endKind === 'period_end') {
    cancelRequestedAt = inPeriod(life - 1);
    canceledAt = periodStart(basis, life);
    invoiceCount = life;
  } else if (endKind === 'immediate') {
    canceledAt = inPeriod(life - 1);
    invoiceCount = life;
  } else if (endKind === 'past_due') {
    canceledAt = periodStart(basis, life) + FINALIZE_AFTER + RETRY_AFTER + 1;
    invoiceCount = life + 1;
  }
  return {
    customer: c,
    gen,
    created,
    interval,
    months,
    currencyIndex,
    anchorDay: anchorDayAtOrBefore(w, Math.floor(created / DAY) - 1),
    heavy,
    items,
    trialEnd,
    coupon,
    couponPeriods,
    end: endKind,
    cancelRequestedAt,
    canceledAt,
    invoiceCount,
    numberBase,
    starts: basis.starts,
    prices: [],
  };
}

function pickSeats(seed: number, c: CustomerPlan, gen: number, slot: number): number {
  return SEATS[hash32(seed, SALT.subQty, c.day, c.index, gen * 16 + slot) % SEATS.length]!;
}

/**
 * A coupon of the 14 days before creation: live then (not deleted), percent-off or amount-off in
 * the customer's currency; null when none of them fits.
 */
function pickCoupon(w: World, c: CustomerPlan, gen: number, created: number): CouponPlan | null {
  const fits: CouponPlan[] = [];
  const d = Math.floor(created / DAY);
  for (let k = 1; k <= COUPON_LOOKBACK_DAYS; k++) {
    const cp = couponPlan(w, d - k, 0);
    if (!cp || (cp.deletedAt !== null && cp.deletedAt <= created)) continue;
    if (cp.percentOff !== null || cp.currency === c.currency) fits.push(cp);
  }
  return fits.length === 0
    ? null
    : fits[hash32(w.seed, SALT.subCouponPick, c.day, c.index, gen) % fits.length]!;
}

/** The first billed period (after the trial). */
export const firstBilled = (s: SubscriptionPlan): number => (s.trialEnd === null ? 0 : 1);

/** Start of period k (period 0 is the trial when there is one; then the billing anchor's cycles). */
export function periodStart(s: PeriodBasis, k: number): number {
  // calendar arithmetic is the hot part of replaying a subscription: remembered on the plan
  const memo = s.starts;
  const known = memo?.[k];
  if (known !== undefined) return known;
  const t =
    s.trialEnd === null
      ? addMonths(s.created, k * s.months)
      : k === 0
        ? s.created
        : addMonths(s.trialEnd, (k - 1) * s.months);
  if (memo && k < GEN_CYCLES) memo[k] = t;
  return t;
}

/** What period starts are computed from (and, on a plan, where they are remembered). */
type PeriodBasis = Pick<SubscriptionPlan, 'created' | 'trialEnd' | 'months'> & { readonly starts?: number[] };

/** The invoice code of period k (its ref's sub is code * 4). */
export const invoiceCode = (s: SubscriptionPlan, k: number): number => s.gen * GEN_CYCLES + k;

/** How many invoices of the subscription exist at `t`. */
export function invoicesBy(s: SubscriptionPlan, t: number): number {
  if (t < s.created) return 0;
  let m = Math.min(s.invoiceCount, Math.floor((t - s.created) / (28 * DAY)) + 1);
  while (m > 0 && periodStart(s, m - 1) > t) m--;
  while (m < s.invoiceCount && periodStart(s, m) <= t) m++;
  return m;
}

/** The catalogue price of an item. */
export function itemPrice(w: World, s: SubscriptionPlan, it: ItemState): PricePlan {
  let p = s.prices[it.product];
  if (!p) {
    p = pricePlan(w, s.anchorDay, it.product, anchorPriceN(s.currencyIndex, s.interval))!;
    s.prices[it.product] = p;
  }
  return p;
}

/** The renewal of period k: whether its first payment fails, and whether the retry pays. */
export function pastDueOf(w: World, s: SubscriptionPlan, k: number): 'recover' | 'cancel' | null {
  if (k < firstBilled(s) || k >= s.invoiceCount) return null;
  if (s.end === 'past_due' && k === s.invoiceCount - 1) return 'cancel';
  const { day, index } = s.customer;
  return unit(w.seed, SALT.subPastDue, day, index, invoiceCode(s, k)) < 0.06 ? 'recover' : null;
}

/** Whether an invoice that is not paid in the end is voided (else marked uncollectible). */
export const voidedAtEnd = (w: World, s: SubscriptionPlan): boolean =>
  unit(w.seed, SALT.subVoid, s.customer.day, s.customer.index, s.gen) < 0.3;

/**
 * The change in period k (at most one), given the items at its start: from the first billed
 * period to the one before the last (a subscription that ends takes no change in its last
 * period), about a tenth of monthly periods, more of longer ones. No change makes an invoice's
 * total negative: a downgrade is one step down the line (half the price), a quantity falls to no
 * less than half, a removal is not prorated.
 */
export function changeIn(
  w: World,
  s: SubscriptionPlan,
  k: number,
  items: readonly ItemState[],
  nextSlot: number,
): ChangePlan | null {
  if (k < firstBilled(s) || k > s.invoiceCount - 2) return null;
  const seed = w.seed;
  const { day, index } = s.customer;
  const code = invoiceCode(s, k);
  const p = s.heavy ? 0.5 : s.months === 1 ? 0.12 : s.months === 3 ? 0.25 : 0.4;
  if (unit(seed, SALT.subChange, day, index, code) >= p) return null;
  const start = periodStart(s, k);
  const at =
    start +
    Math.floor(
      (0.2 + 0.7 * unit(seed, SALT.subChangeAt, day, index, code)) * (periodStart(s, k + 1) - start),
    );
  const h = hash32(seed, SALT.subChangeQty, day, index, code);
  if (s.heavy)
    return {
      at,
      kind: 'true_up',
      parts: items.map((before, n) => ({
        before,
        after: { ...before, quantity: before.quantity + 1 + ((h >>> (2 * n)) % 3) },
      })),
    };
  const before = items[hash32(seed, SALT.subChangeSlot, day, index, code) % items.length]!;
  const r = unit(seed, SALT.subChangeKind, day, index, code);
  const used = (product: number): boolean => items.some((i) => i.product === product);
  if (r < 0.35) {
    // up the line to a product the subscription has not, or one step down
    const down = before.product - 1;
    const ups = [1, 2, 3].map((d) => before.product + d).filter((x) => x < ANCHOR_LINE && !used(x));
    const to = h % 2 === 0 && down >= 0 && !used(down) ? down : ups.length > 0 ? ups[h % ups.length]! : -1;
    if (to >= 0) return { at, kind: 'plan', parts: [{ before, after: { ...before, product: to } }] };
  } else if (r >= 0.75 && r < 0.9 && items.length < 3) {
    let product = 0;
    while (used(product)) product++;
    return {
      at,
      kind: 'add',
      parts: [{ before: null, after: { slot: nextSlot, product, quantity: 1 + (h % 5), created: at } }],
    };
  } else if (r >= 0.9 && items.length > 1) return { at, kind: 'remove', parts: [{ before, after: null }] };
  // quantity: up to double, or down to no less than half (a credit never exceeds the next bill)
  const q = before.quantity;
  const quantity = q > 1 && h % 2 === 0 ? q - 1 - ((h >>> 1) % Math.floor(q / 2)) : q + 1 + ((h >>> 1) % q);
  return { at, kind: 'quantity', parts: [{ before, after: { ...before, quantity } }] };
}

/** The items at the start of a period, the change of the period before it, and its own. */
export interface PeriodState {
  readonly k: number;
  readonly items: readonly ItemState[];
  /** The slot an added item takes. */
  readonly nextSlot: number;
  readonly previous: ChangePlan | null;
  readonly change: ChangePlan | null;
}

export const applyChange = (items: readonly ItemState[], c: ChangePlan): ItemState[] => {
  let out = [...items];
  for (const part of c.parts) {
    out = out.filter((i) => i.slot !== (part.before ?? part.after)!.slot);
    if (part.after) out.push(part.after);
  }
  return out.sort((a, b) => a.slot - b.slot);
};

/**
 * Period states already replayed, per plan (plans are cached, so this is bounded with them):
 * renders, events and charges of one subscription ask for its periods again and again.
 */
const STATES = new WeakMap<SubscriptionPlan, PeriodState[]>();

/** Replays the subscription's changes up to period k (k < invoiceCount). */
export function periodState(w: World, s: SubscriptionPlan, k: number): PeriodState {
  let memo = STATES.get(s);
  if (!memo) {
    memo = [];
    STATES.set(s, memo);
  }
  const known = memo[k];
  if (known) return known;
  if (memo.length === 0)
    memo.push({
      k: 0,
      items: s.items,
      nextSlot: s.items.length,
      previous: null,
      change: changeIn(w, s, 0, s.items, s.items.length),
    });
  let st = memo[memo.length - 1]!;
  while (st.k < k) {
    const c = st.change;
    const items = c ? applyChange(st.items, c) : st.items;
    const nextSlot = st.nextSlot + (c?.kind === 'add' ? 1 : 0);
    const p = st.k + 1;
    st = { k: p, items, nextSlot, previous: c, change: changeIn(w, s, p, items, nextSlot) };
    if (p < GEN_CYCLES) memo.push(st);
  }
  return st;
}

/** The items of a subscription at `t` within period state `ps` (its change applied once made). */
export const itemsAt = (ps: PeriodState, t: number): readonly ItemState[] =>
  ps.change && ps.change.at <= t ? applyChange(ps.items, ps.change) : ps.items;

/** The interval words of a plan for line descriptions. */
export const intervalText = (s: SubscriptionPlan): string =>
  s.interval === 0 ? 'month' : s.interval === 1 ? '3 months' : 'year';
