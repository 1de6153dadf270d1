import { Kind } from '../ids.js';
import { unit } from '../rng.js';
import { eventCode, type VersionSink } from '../versions.js';
import { CURRENCIES, DAY, firstCustomerDay, SALT, type World } from '../world.js';

/**
 * The payout family: Stripe's automatic payouts, one per currency and day (ref: kind payout,
 * day D, index = the currency's position in CURRENCIES), each with its own balance transaction
 * (type `payout`, minus the amount) and, for a failed one, the `payout_failure` transaction that
 * returns the money. Payout D leaves at `D * DAY + PAYOUT_AT` and pays the balance transactions
 * that became available since payout D-1 left (their `payoutDayOf`), plus any earlier ones a day
 * with a non-positive total carried over. So the `net` of the transactions of a payout sums to
 * its amount exactly (Stripe's invariant).
 *
 * Amounts are sums over a day's transactions, so they come from a ledger (`PayoutBook`) the walk
 * of the world fills: one number per currency and day, never the transactions themselves.
 */

/** Payouts leave at 05:00 UTC. */
export const PAYOUT_AT = 5 * 3600;
/** A payout goes `in_transit` this long after its creation. */
export const IN_TRANSIT_AFTER = 2 * 3600;
/** It arrives (or fails) at midnight UTC this many days after the day it left. */
export const ARRIVAL_DAYS = 2;

export const PAYOUT_FAILURES: readonly (readonly [string, string])[] = [
  ['account_closed', 'The bank account has been closed.'],
  ['no_account', 'The bank account details on file are probably incorrect.'],
  ['could_not_process', 'The bank could not process this payout.'],
];

/** The day of the payout that pays out a balance transaction available at `availableOn`. */
export const payoutDayOf = (availableOn: number): number => Math.floor((availableOn - PAYOUT_AT) / DAY) + 1;

/** The position of a currency in CURRENCIES (the payout's ref index). */
export function currencyIndex(currency: string): number {
  for (let c = 0; c < CURRENCIES.length; c++) if (CURRENCIES[c]![0] === currency) return c;
  throw new Error(`unknown currency ${currency}`);
}

export interface PayoutPlan {
  readonly day: number;
  /** Position of the currency in CURRENCIES. */
  readonly c: number;
  readonly currency: string;
  readonly created: number;
  readonly amount: number;
  /** First payout day whose transactions it pays (earlier days than `day` when carried over). */
  readonly firstDay: number;
  readonly inTransitAt: number;
  readonly arrivalDate: number;
  /** [code, message] of a failed payout, or null. */
  readonly failure: readonly [string, string] | null;
}

const NC = CURRENCIES.length;

/**
 * Per currency and day: the net that became available for that day's payout, and the payout it
 * gave (amount 0 = no payout). Filled by one walk of the world up to a time, then `close`d.
 */
export class PayoutBook {
  private base = 0;
  private net = new Float64Array(0);
  private amount = new Float64Array(0);
  private first = new Int32Array(0);
  /** The first day a payout may have. */
  get firstDay(): number {
    return this.base;
  }

  /** The last day whose payouts are computed (-1 before the first close). */
  lastDay = -1;

  constructor(private readonly w: World) {}

  /** Starts a new ledger for a walk up to `tMax`. */
  open(tMax: number): void {
    this.base = firstCustomerDay(this.w);
    // failed payouts return money ARRIVAL_DAYS later: room past the last day
    const days = Math.floor(tMax / DAY) - this.base + ARRIVAL_DAYS + 2;
    this.net = new Float64Array(days * NC);
    this.amount = new Float64Array(days * NC);
    this.first = new Int32Array(days * NC);
    this.lastDay = -1;
  }

  /** A balance transaction of a charge family: `net` becomes available at `availableOn`. */
  add(currency: string, availableOn: number, net: number): void {
    const d = payoutDayOf(availableOn) - this.base;
    if (d >= 0 && d * NC < this.net.length) this.net[d * NC + currencyIndex(currency)]! += net;
  }

  /** Computes every payout created up to `tMax`, day by day (a failure returns its money later). */
  close(tMax: number): void {
    const last = Math.floor((tMax - PAYOUT_AT) / DAY);
    const seed = this.w.seed;
    for (let c = 0; c < NC; c++) {
      let carry = 0;
      let start = this.base;
      for (let d = this.base; d <= last; d++) {
        const k = (d - this.base) * NC + c;
        carry += this.net[k]!;
        if (carry <= 0) continue;
        this.amount[k] = carry;
        this.first[k] = start;
        if (payoutFails(seed, d, c)) this.net[k + ARRIVAL_DAYS * NC]! += carry;
        carry = 0;
        start = d + 1;
      }
    }
    this.lastDay = last;
  }

  /** The payout of currency `c` on day `day`, or null when there is none (or not computed). */
  plan(day: number, c: number): PayoutPlan | null {
    if (c < 0 || c >= NC || day < this.base || day > this.lastDay) return null;
    const k = (day - this.base) * NC + c;
    const amount = this.amount[k]!;
    if (amount <= 0) return null;
    const created = day * DAY + PAYOUT_AT;
    const seed = this.w.seed;
    return {
      day,
      c,
      currency: CURRENCIES[c]![0],
      created,
      amount,
      firstDay: this.first[k]!,
      inTransitAt: created + IN_TRANSIT_AFTER,
      arrivalDate: (day + ARRIVAL_DAYS) * DAY,
      failure: payoutFails(seed, day, c)
        ? PAYOUT_FAILURES[Math.floor(unit(seed, SALT.payoutFailCode, day, c) * PAYOUT_FAILURES.length)]!
        : null,
    };
  }
}

/** About 3% of payouts fail. */
const payoutFails = (seed: number, day: number, c: number): boolean =>
  unit(seed, SALT.payoutFail, day, c) < 0.03;

// --- timeline --------------------------------------------------------------------------------

const E = {
  created: eventCode('payout.created'),
  updated: eventCode('payout.updated'),
  paid: eventCode('payout.paid'),
  failed: eventCode('payout.failed'),
} as const;

/** The versions of a payout and its balance transactions (which never change: available at once). */
export function payoutTimeline(p: PayoutPlan, tMax: number, sink: VersionSink): void {
  if (p.created > tMax) return;
  sink.add(Kind.payout, p.day, p.c, 0, 0, p.created, E.created);
  sink.add(Kind.btPayout, p.day, p.c, 0, 0, p.created, 0);
  if (p.inTransitAt > tMax) return;
  sink.add(Kind.payout, p.day, p.c, 0, 1, p.inTransitAt, E.updated);
  if (p.arrivalDate > tMax) return;
  sink.add(Kind.payout, p.day, p.c, 0, 2, p.arrivalDate, p.failure ? E.failed : E.paid);
  if (p.failure) sink.add(Kind.btPayoutFailure, p.day, p.c, 0, 0, p.arrivalDate, 0);
}

/** Walks every payout created up to `tMax` (the book must be closed up to `tMax`). */
export function walkPayouts(book: PayoutBook, tMax: number, sink: VersionSink): void {
  const last = Math.min(book.lastDay, Math.floor((tMax - PAYOUT_AT) / DAY));
  for (let d = book.firstDay; d <= last; d++) {
    for (let c = 0; c < NC; c++) {
      const p = book.plan(d, c);
      if (p) payoutTimeline(p, tMax, sink);
    }
  }
}
