import { Kind } from '../ids.js';
import { hash32, intBetween, unit } from '../rng.js';
import { eventCode, type VersionSink } from '../versions.js';
import { addMonths, CURRENCIES, DAY, FINALIZE_AFTER, SALT, type World } from '../world.js';
import {
  ANCHOR_INTERVALS,
  ANCHOR_LINE,
  anchorDayAtOrBefore,
  anchorPriceN,
  type CouponPlan,
  couponPlan,
  type PricePlan,
  pricePlan,
} from './catalogue.js';
import { type ChargePlan, invoiceChargePlanOf, walkChargeFamily } from './charge.js';
import { type CustomerPlan, customerPlan } from './customer.js';
import type { PayoutBook } from './payout.js';

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
  if (!cache) PLAN_CACHE.set(w, (cache = new Map()));
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
  return pricePlan(w, s.anchorDay, it.product, anchorPriceN(s.currencyIndex, s.interval))!;
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
function changeIn(
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
  readonly previous: ChangePlan | null;
  readonly change: ChangePlan | null;
}

const applyChange = (items: readonly ItemState[], c: ChangePlan): ItemState[] => {
  let out = [...items];
  for (const part of c.parts) {
    out = out.filter((i) => i.slot !== (part.before ?? part.after)!.slot);
    if (part.after) out.push(part.after);
  }
  return out.sort((a, b) => a.slot - b.slot);
};

/** Replays the subscription's changes up to period k (k < invoiceCount). */
export function periodState(w: World, s: SubscriptionPlan, k: number): PeriodState {
  let items: readonly ItemState[] = s.items;
  let nextSlot = items.length;
  let previous: ChangePlan | null = null;
  for (let p = 0; ; p++) {
    const change = changeIn(w, s, p, items, nextSlot);
    if (p === k) return { k, items, previous, change };
    if (change) {
      items = applyChange(items, change);
      if (change.kind === 'add') nextSlot++;
    }
    previous = change;
  }
}

/** The items of a subscription at `t` within period state `ps` (its change applied once made). */
export const itemsAt = (ps: PeriodState, t: number): readonly ItemState[] =>
  ps.change && ps.change.at <= t ? applyChange(ps.items, ps.change) : ps.items;

// --- invoices --------------------------------------------------------------------------------

/** One line of an invoice: a period of an item, or a proration of the change before it. */
export interface LinePlan {
  readonly item: ItemState;
  readonly price: PricePlan;
  /** Proration: 'credit' (unused time, negative), 'charge' (remaining time), or null. */
  readonly proration: 'credit' | 'charge' | null;
  readonly start: number;
  readonly end: number;
  readonly amount: number;
  readonly discount: number;
  /** A trial period's line (amount 0). */
  readonly trial: boolean;
}

export interface InvoicePlan {
  readonly s: SubscriptionPlan;
  readonly k: number;
  readonly code: number;
  readonly created: number;
  /** The previous period's start (the invoice's `period_start`; its own creation for the first). */
  readonly previousStart: number;
  readonly lines: readonly LinePlan[];
  readonly subtotal: number;
  readonly discount: number;
  readonly total: number;
  /** How its renewal payment goes (`pastDueOf`). */
  readonly pastDue: 'recover' | 'cancel' | null;
  readonly finalizedAt: number;
  /** The first charge (none when the total is 0). */
  readonly chargeAt: number;
  /** The retried charge of a past-due renewal. */
  readonly retryAt: number;
  /** When it is paid, or null when it never is. */
  readonly paidAt: number | null;
  /** When the first payment failed (`invoice.payment_failed`), or null. */
  readonly failedAt: number | null;
  /** When it ends unpaid (voided or marked uncollectible), or null. */
  readonly closedAt: number | null;
}

/** Invoice k of a subscription: its lines (prorations first), discounts, totals and timing. */
export function invoicePlan(
  w: World,
  s: SubscriptionPlan,
  k: number,
  ps = periodState(w, s, k),
): InvoicePlan {
  const created = periodStart(s, k);
  const end = periodStart(s, k + 1);
  const lines: LinePlan[] = [];
  const pc = ps.previous;
  if (pc) {
    const ps0 = periodStart(s, k - 1);
    const f = (created - pc.at) / (created - ps0);
    for (const { before, after } of pc.parts) {
      if (before && after) {
        const p0 = itemPrice(w, s, before);
        lines.push(
          line(before, p0, 'credit', pc.at, created, -Math.round(p0.unitAmount * before.quantity * f)),
        );
      }
      if (after) {
        const p1 = itemPrice(w, s, after);
        lines.push(line(after, p1, 'charge', pc.at, created, Math.round(p1.unitAmount * after.quantity * f)));
      }
    }
  }
  const trial = k < firstBilled(s);
  for (const it of ps.items) {
    const price = itemPrice(w, s, it);
    const l = line(it, price, null, created, end, trial ? 0 : price.unitAmount * it.quantity);
    lines.push(trial ? { ...l, trial } : l);
  }
  // the coupon discounts the period lines of its billed periods
  const fb = firstBilled(s);
  const cp = s.coupon;
  let discount = 0;
  if (cp && k >= fb && k < fb + s.couponPeriods) {
    const eligible = lines.filter((l) => l.proration === null && l.amount > 0);
    const sum = eligible.reduce((a, l) => a + l.amount, 0);
    const shares = new Map<LinePlan, number>();
    if (cp.percentOff !== null) {
      for (const l of eligible) shares.set(l, Math.round((l.amount * cp.percentOff) / 100));
    } else {
      const total = Math.min(cp.amountOff!, sum);
      let given = 0;
      for (const l of eligible) {
        const d = Math.floor((total * l.amount) / sum);
        shares.set(l, d);
        given += d;
      }
      for (const l of eligible) {
        if (given === total) break;
        const d = shares.get(l)!;
        const more = Math.min(total - given, l.amount - d);
        shares.set(l, d + more);
        given += more;
      }
    }
    for (let n = 0; n < lines.length; n++) {
      const d = shares.get(lines[n]!);
      if (d) {
        lines[n] = { ...lines[n]!, discount: d };
        discount += d;
      }
    }
  }
  const subtotal = lines.reduce((a, l) => a + l.amount, 0);
  // a discount never takes the total below 0 (a credit prorated in may already lower it)
  for (let n = lines.length - 1; n >= 0 && discount > Math.max(0, subtotal); n--) {
    const l = lines[n]!;
    const cut = Math.min(l.discount, discount - Math.max(0, subtotal));
    if (cut > 0) {
      lines[n] = { ...l, discount: l.discount - cut };
      discount -= cut;
    }
  }
  const total = subtotal - discount;
  // a renewal of nothing to pay cannot fail (past_due ends never have a coupon: always > 0)
  const pastDue = total > 0 ? pastDueOf(w, s, k) : null;
  const finalizedAt = created + FINALIZE_AFTER;
  const chargeAt = finalizedAt + 2;
  const retryAt = finalizedAt + RETRY_AFTER;
  return {
    s,
    k,
    code: invoiceCode(s, k),
    created,
    previousStart: k === 0 ? created : periodStart(s, k - 1),
    lines,
    subtotal,
    discount,
    total,
    pastDue,
    finalizedAt,
    chargeAt,
    retryAt,
    paidAt: pastDue === null ? finalizedAt + 3 : pastDue === 'recover' ? retryAt + 1 : null,
    failedAt: pastDue === null ? null : finalizedAt + 3,
    closedAt: pastDue === 'cancel' ? retryAt + 1 : null,
  };
}

function line(
  item: ItemState,
  price: PricePlan,
  proration: LinePlan['proration'],
  start: number,
  end: number,
  amount: number,
): LinePlan {
  return { item, price, proration, start, end, amount, discount: 0, trial: false };
}

// --- timelines -------------------------------------------------------------------------------

const E = {
  invoiceCreated: eventCode('invoice.created'),
  invoiceFinalized: eventCode('invoice.finalized'),
  invoicePaid: eventCode('invoice.paid'),
  invoiceFailed: eventCode('invoice.payment_failed'),
  invoiceVoided: eventCode('invoice.voided'),
  invoiceUncollectible: eventCode('invoice.marked_uncollectible'),
  subCreated: eventCode('customer.subscription.created'),
  subUpdated: eventCode('customer.subscription.updated'),
  subDeleted: eventCode('customer.subscription.deleted'),
} as const;

/**
 * Walks a subscription, its invoices and the charge families paying them, every version up to
 * `tMax`, period by period (each object's versions in time order). With a `ledger`, the charge
 * families book their nets for the payouts; without `charges`, only the subscription and its
 * invoices (what `describe` needs of them).
 */
export function walkSubscription(
  w: World,
  s: SubscriptionPlan,
  tMax: number,
  sink: VersionSink,
  ledger?: PayoutBook,
  charges = true,
): void {
  const { day, index } = s.customer;
  const gen = s.gen;
  if (s.created > tMax) return;
  let v = 0;
  const sub = (t: number, type: number): boolean => {
    if (t > tMax) return false;
    sink.add(Kind.subscription, day, index, gen, v++, t, type);
    return true;
  };
  sub(s.created, E.subCreated);
  let items: readonly ItemState[] = s.items;
  let nextSlot = items.length;
  let previous: ChangePlan | null = null;
  for (let k = 0; k < s.invoiceCount; k++) {
    const start = periodStart(s, k);
    if (start > tMax) return;
    const change = changeIn(w, s, k, items, nextSlot);
    const inv = invoicePlan(w, s, k, { k, items, previous, change });
    // the renewal (a trial's end is the first: trialing -> active)
    if (k > 0) sub(start, E.subUpdated);
    walkInvoice(w, inv, tMax, sink, ledger, charges);
    if (inv.failedAt !== null) sub(inv.failedAt, E.subUpdated); // past_due
    if (inv.pastDue === 'recover') sub(inv.paidAt!, E.subUpdated); // active again
    if (change) sub(change.at, E.subUpdated);
    if (k === s.invoiceCount - 1 || (s.end === 'lapse' && k === 0)) {
      if (s.cancelRequestedAt !== null) sub(s.cancelRequestedAt, E.subUpdated);
      if (s.canceledAt !== null) sub(s.canceledAt, E.subDeleted);
      return;
    }
    if (change) {
      items = applyChange(items, change);
      if (change.kind === 'add') nextSlot++;
    }
    previous = change;
  }
}

function walkInvoice(
  w: World,
  inv: InvoicePlan,
  tMax: number,
  sink: VersionSink,
  ledger: PayoutBook | undefined,
  charges: boolean,
): void {
  const { day, index } = inv.s.customer;
  const sub = inv.code * 4;
  let v = 0;
  const add = (t: number, type: number): boolean => {
    if (t > tMax) return false;
    sink.add(Kind.invoice, day, index, sub, v++, t, type);
    return true;
  };
  if (!add(inv.created, E.invoiceCreated)) return;
  if (!add(inv.finalizedAt, E.invoiceFinalized)) return;
  if (charges && inv.total > 0) walkChargeFamily(chargeOf(w, inv, false), tMax, sink, ledger);
  if (inv.failedAt !== null) {
    if (!add(inv.failedAt, E.invoiceFailed)) return;
    if (charges) walkChargeFamily(chargeOf(w, inv, true), tMax, sink, ledger);
    if (inv.paidAt !== null) add(inv.paidAt, E.invoicePaid);
    else add(inv.closedAt!, voidedAtEnd(w, inv.s) ? E.invoiceVoided : E.invoiceUncollectible);
  } else add(inv.paidAt!, E.invoicePaid);
}

/** The charge family of an invoice's first payment or its retry. */
export function chargeOf(w: World, inv: InvoicePlan, retry: boolean): ChargePlan {
  const failed = retry ? inv.pastDue === 'cancel' : inv.pastDue !== null;
  return invoiceChargePlanOf(w, inv.s.customer, retry ? RETRY_CODE + inv.code : inv.code, {
    created: retry ? inv.retryAt : inv.chargeAt,
    amount: inv.total,
    failed,
  });
}

/** The invoice plan a charge family's code belongs to, or null (no such invoice, or no such charge). */
export function invoiceOfCode(w: World, day: number, index: number, code: number): InvoicePlan | null {
  const retry = code >= RETRY_CODE;
  const c = code % RETRY_CODE;
  const s = subscriptionPlan(w, day, index, Math.floor(c / GEN_CYCLES));
  const k = c % GEN_CYCLES;
  if (!s || k >= s.invoiceCount) return null;
  const inv = invoicePlan(w, s, k);
  if (inv.total <= 0 || (retry && inv.pastDue === null)) return null;
  return inv;
}

/** The subscriptions of a customer (its first, and a return), each walked. */
export function walkSubscriptions(
  w: World,
  c: CustomerPlan,
  tMax: number,
  sink: VersionSink,
  ledger?: PayoutBook,
): void {
  if (!c.hasSubscription) return;
  for (let gen = 0; gen < 2; gen++) {
    const s = subscriptionPlan(w, c.day, c.index, gen);
    if (!s || s.created > tMax) return;
    walkSubscription(w, s, tMax, sink, ledger);
  }
}

/** The interval words of a plan for line descriptions. */
export const intervalText = (s: SubscriptionPlan): string =>
  s.interval === 0 ? 'month' : s.interval === 1 ? '3 months' : 'year';

export { ANCHOR_INTERVALS };
