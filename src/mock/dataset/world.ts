import type { MockVolume } from '../options.js';
import type { PayoutBook } from './families/payout.js';
import { MAX_INDEX } from './ids.js';
import { unit } from './rng.js';

/**
 * The world every family is generated in (seed, volume, first day), with the mock's units of
 * time and the salts of its decisions. Every time and amount of the dataset is a function of
 * (seed, salt, root day, index, rates) only.
 */

/** Seconds in a day: the mock's only definition. */
export const DAY = 86_400;
/** Repeat buyers come from customers up to this many days older than the charge. */
export const REPEAT_CUSTOMER_DAYS = 14;
/** Balance transactions turn `available` this long after creation (silently, as in Stripe). */
export const AVAILABLE_AFTER = 2 * DAY;
/** Subscription invoices are finalized (and charged) an hour after creation, as in Stripe. */
export const FINALIZE_AFTER = 3600;

/** Salts: one per decision so that decisions are independent. Never renumber: data would change. */
export const SALT = {
  nCustomers: 1,
  nCharges: 2,
  custTime: 3,
  custCurrency: 4,
  custSub: 5,
  custUpdate: 6,
  custUpdateAt: 7,
  custDelete: 8,
  custDeleteAt: 9,
  custName: 10,
  chTime: 11,
  chGuest: 12,
  chSameDay: 13,
  chPickDay: 14,
  chPickIdx: 15,
  chAmount: 16,
  chFail: 17,
  chFailCode: 18,
  chRefund: 19,
  chRefundKind: 20,
  chRefundAt: 21,
  chRefundAmt: 22,
  chDispute: 23,
  chDisputeAt: 24,
  chDisputeClose: 25,
  chDisputeWon: 26,
  chDisputeReason: 27,
  chCard: 28,
  guestCurrency: 29,
  subDelay: 30,
  subPrice: 31,
  subCancel: 32,
  subLife: 33,
  subCancelOffset: 34,
  piDelay: 35,
  nProducts: 36,
  prodTime: 37,
  prodName: 38,
  prodPrices: 39,
  prodArchive: 40,
  prodArchiveAt: 41,
  prodDraft: 42,
  prodDeleteAt: 43,
  priceKind: 44,
  priceCurrency: 45,
  priceAmount: 46,
  priceAt: 47,
  priceArchive: 48,
  priceArchiveAt: 49,
  priceDelete: 50,
  nCoupons: 51,
  coupTime: 52,
  coupKind: 53,
  coupValue: 54,
  coupDuration: 55,
  coupUpdate: 56,
  coupUpdateAt: 57,
  coupDelete: 58,
  coupDeleteAt: 59,
  payoutFail: 60,
  payoutFailCode: 61,
  subInterval: 62,
  subItems: 63,
  subHeavy: 64,
  subOffset: 65,
  subTier: 66,
  subQty: 67,
  subTrial: 68,
  subLapse: 69,
  subCoupon: 70,
  subCouponPick: 71,
  subEnd: 72,
  subEndAt: 73,
  subPastDue: 74,
  subVoid: 75,
  subChange: 76,
  subChangeAt: 77,
  subChangeKind: 78,
  subChangeSlot: 79,
  subChangeQty: 80,
  subReturn: 81,
  subReturnAt: 82,
} as const;

export const CURRENCIES: readonly (readonly [string, number])[] = [
  ['usd', 55],
  ['eur', 20],
  ['gbp', 12],
  ['cad', 6],
  ['aud', 4],
  ['sek', 3],
];

/** The world every family is computed in. */
export interface World {
  readonly seed: number;
  readonly volume: MockVolume;
  /** First day (unix day number) of one-off charges; customers start REPEAT_CUSTOMER_DAYS earlier. */
  readonly firstDay: number;
  /**
   * The payout ledger (per currency and day), filled by the walk of the world; absent in a world
   * made for ids or plans alone, which then has no payouts.
   */
  readonly payouts?: PayoutBook;
  /** Children a parent embeds before `has_more` (`EMBEDDED_CHILDREN`, as Stripe, when absent). */
  readonly embeddedListLimit?: number;
}

/** The world of a dataset whose history of `volume.days` days ends on the day of `start`. */
export const worldAt = (seed: number, volume: MockVolume, start: number): World => ({
  seed,
  volume,
  firstDay: Math.floor(start / DAY) - volume.days,
});

export const firstCustomerDay = (w: World): number => w.firstDay - REPEAT_CUSTOMER_DAYS;

/** How many items of a daily rate are created on day `day` (±15%, at least one). */
export function dailyCount(w: World, salt: number, day: number, rate: number): number {
  if (rate <= 0) return 0;
  const n = Math.round(rate * (0.85 + 0.3 * unit(w.seed, salt, day)));
  return Math.min(MAX_INDEX - 1, Math.max(1, n));
}

/** Spreads `n` items over a day, strictly increasing in `index`. */
export function timeInDay(w: World, salt: number, day: number, index: number, n: number): number {
  return day * DAY + Math.floor(((index + 0.9 * unit(w.seed, salt, day, index)) * DAY) / n);
}

/** Calendar-month addition with Stripe's clamping to the month's last day. */
export function addMonths(t: number, m: number): number {
  const date = new Date(t * 1000);
  const y = date.getUTCFullYear();
  const mo = date.getUTCMonth() + m;
  const lastDay = new Date(Date.UTC(y, mo + 1, 0)).getUTCDate();
  const day = Math.min(date.getUTCDate(), lastDay);
  return Date.UTC(y, mo, day, date.getUTCHours(), date.getUTCMinutes(), date.getUTCSeconds()) / 1000;
}
