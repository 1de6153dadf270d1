/**
 * A token bucket as a pure state machine: `reserve` books the next token and says how long the
 * caller must wait for it. Booking (the balance may go negative) instead of polling keeps callers
 * in FIFO order and needs no timer of its own.
 */

export interface TokenBucketState {
  /** Tokens available at `atMs`; negative when future tokens are already booked. */
  readonly tokens: number;
  readonly atMs: number;
}

export interface TokenBucketOptions {
  /** Tokens added per second. */
  readonly ratePerSecond: number;
  /** Most tokens the bucket holds (the largest burst). */
  readonly capacity: number;
}

/** A full bucket at `nowMs`. */
export function initialBucket(opts: TokenBucketOptions, nowMs: number): TokenBucketState {
  return { tokens: opts.capacity, atMs: nowMs };
}

/**
 * Books one token at `nowMs`: the new state and the wait (ms) until the token is really there.
 *
 * @example
 * let s = initialBucket({ ratePerSecond: 10, capacity: 1 }, 0);
 * ({ state: s, waitMs } = reserve(s, { ratePerSecond: 10, capacity: 1 }, 0)); // waitMs 0
 * ({ state: s, waitMs } = reserve(s, { ratePerSecond: 10, capacity: 1 }, 0)); // waitMs 100
 */
export function reserve(
  state: TokenBucketState,
  opts: TokenBucketOptions,
  nowMs: number,
): { state: TokenBucketState; waitMs: number } {
  const elapsed = Math.max(0, nowMs - state.atMs);
  const refilled = Math.min(opts.capacity, state.tokens + (elapsed * opts.ratePerSecond) / 1000);
  const tokens = refilled - 1;
  const waitMs = tokens >= 0 ? 0 : Math.ceil((-tokens * 1000) / opts.ratePerSecond);
  return { state: { tokens, atMs: Math.max(nowMs, state.atMs) }, waitMs };
}
