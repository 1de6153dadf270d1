/**
 * Retry timing for the API client: exponential backoff with full jitter (AWS architecture blog,
 * "Exponential Backoff And Jitter"), and Stripe's `Retry-After` header. Pure functions.
 */

export interface BackoffOptions {
  /** Delay scale of the first retry, ms. */
  readonly baseMs: number;
  /** Upper bound of any computed delay, ms. */
  readonly capMs: number;
  /** Upper bound of a server's `Retry-After`, ms (default {@link MAX_RETRY_AFTER_MS}). */
  readonly maxRetryAfterMs?: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 250, capMs: 20_000 };

/**
 * The longest wait a `Retry-After` header can ask for (SPEC 15: honoured up to 60 s): a hostile or
 * misconfigured server saying `Retry-After: 3600` must not park the run for an hour per retry.
 */
export const MAX_RETRY_AFTER_MS = 60_000;

/**
 * The delay before retry number `attempt` (0 = first retry): uniform in
 * `[0, min(cap, base * 2^attempt))`, at least `retryAfterMs` when the server asked for it (capped
 * at `maxRetryAfterMs`).
 * Full jitter spreads the retries of concurrent requests so they do not hit the server together.
 *
 * @example
 * backoffDelayMs(3, DEFAULT_BACKOFF, Math.random); // somewhere in [0, 2000)
 */
export function backoffDelayMs(
  attempt: number,
  opts: BackoffOptions,
  random: () => number,
  retryAfterMs?: number,
): number {
  const ceiling = Math.min(opts.capMs, opts.baseMs * 2 ** Math.max(0, attempt));
  const jitter = Math.floor(random() * ceiling);
  if (retryAfterMs === undefined) return jitter;
  return Math.max(Math.min(retryAfterMs, opts.maxRetryAfterMs ?? MAX_RETRY_AFTER_MS), jitter);
}

/**
 * Parses a `Retry-After` header (delta seconds or an HTTP date) into milliseconds from `nowMs`;
 * undefined when absent or malformed. A date in the past means "now" (0).
 */
export function parseRetryAfter(value: string | undefined | null, nowMs: number): number | undefined {
  if (value === undefined || value === null) return undefined;
  const v = value.trim();
  if (v === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(v)) return Math.round(Number(v) * 1000);
  // An HTTP date names its day and month; anything else (e.g. "-1") is malformed.
  if (!/[A-Za-z]/.test(v)) return undefined;
  const at = Date.parse(v);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - nowMs);
}

/** Whether an HTTP status is worth retrying: 429 (rate limited) and every 5xx. */
export function isRetryableStatus(status: number): boolean {
  return status === 429 || status >= 500;
}
