import pLimit, { type LimitFunction } from 'p-limit';
import { initialBucket, reserve, type TokenBucketState } from './token-bucket.js';

export interface RequestLimiterOptions {
  /** Requests in flight at once, all entities together (`EXTRACT_CONCURRENCY`). */
  readonly concurrency: number;
  /** Requests started per second (`API_RATE_LIMIT_RPS`); undefined = no cap. */
  readonly ratePerSecond?: number;
  /** Largest burst above the steady rate; 1 keeps requests evenly spaced. */
  readonly burst?: number;
}

/**
 * The one limiter every API request of a run goes through: at most `concurrency` in flight, at
 * most `ratePerSecond` started per second (token bucket).
 *
 * @example
 * const limiter = new RequestLimiter({ concurrency: 8, ratePerSecond: 25 });
 * const page = await limiter.run(() => fetchPage(), signal);
 */
export class RequestLimiter {
  private readonly limit: LimitFunction;
  private bucket: TokenBucketState | undefined;
  private readonly rate: number | undefined;
  private readonly burst: number;

  constructor(opts: RequestLimiterOptions) {
    this.limit = pLimit(opts.concurrency);
    this.rate = opts.ratePerSecond;
    this.burst = Math.max(1, opts.burst ?? 1);
  }

  /** Runs `task` once a slot and a rate token are free. */
  run<T>(task: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    return this.limit(async () => {
      signal?.throwIfAborted();
      await this.takeToken(signal);
      return task();
    });
  }

  private async takeToken(signal?: AbortSignal): Promise<void> {
    if (this.rate === undefined) return;
    const opts = { ratePerSecond: this.rate, capacity: this.burst };
    const now = Date.now();
    const r = reserve(this.bucket ?? initialBucket(opts, now), opts, now);
    this.bucket = r.state;
    if (r.waitMs > 0) await sleep(r.waitMs, signal);
  }
}

/** A timer that rejects with the signal's reason when aborted. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
