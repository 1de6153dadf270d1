/**
 * Injected faults for `/v1` requests: a share answered 500, a request-rate cap answered 429
 * with `Retry-After`, and added latency with jitter. Configured through `/_mock/config`.
 */

export interface FaultConfig {
  /**
   * Share of `/v1` requests answered 500 (0–1). Failures fall at random but never far apart: a
   * run of 2 / failure_rate requests meets at least one, so a test's short run still sees faults.
   */
  failure_rate: number;
  /** Requests per second above which requests get 429 (0 = unlimited). */
  rate_limit_rps: number;
  /** Added latency per request, milliseconds. */
  latency_ms: number;
  /** Uniform extra latency in [0, latency_jitter_ms]; defaults to half of latency_ms. */
  latency_jitter_ms: number;
}

export const DEFAULT_FAULTS: FaultConfig = {
  failure_rate: 0,
  rate_limit_rps: 0,
  latency_ms: 0,
  latency_jitter_ms: 0,
};

/** A config field with a bad value. */
export class FaultConfigError extends Error {
  constructor(
    readonly field: string,
    readonly value: unknown,
  ) {
    super(
      `invalid ${field}: ${JSON.stringify(value)} (expected a number >= 0${field === 'failure_rate' ? ' and <= 1' : ''})`,
    );
    this.name = 'FaultConfigError';
  }
}

export type FaultVerdict = { kind: 'ok' } | { kind: 'fail' } | { kind: 'rate_limited'; retryAfter: number };

export class Faults {
  private cfg: FaultConfig = { ...DEFAULT_FAULTS };
  private windowStart = 0;
  private windowCount = 0;
  /** Failures owed: grows by failure_rate per request, shrinks by one per failure. */
  private failureCredit = 0;

  constructor(private readonly random: () => number = Math.random) {}

  get config(): FaultConfig {
    return { ...this.cfg };
  }

  /** Merges known fields of `patch` into the config after validating them. */
  update(patch: Record<string, unknown>): FaultConfig {
    const next = { ...this.cfg };
    let jitterSet = false;
    for (const key of Object.keys(DEFAULT_FAULTS) as (keyof FaultConfig)[]) {
      if (!(key in patch)) continue;
      const v = patch[key];
      if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || (key === 'failure_rate' && v > 1)) {
        throw new FaultConfigError(key, v);
      }
      next[key] = v;
      if (key === 'latency_jitter_ms') jitterSet = true;
    }
    if ('latency_ms' in patch && !jitterSet) next.latency_jitter_ms = next.latency_ms / 2;
    if (next.failure_rate !== this.cfg.failure_rate) this.failureCredit = 0;
    this.cfg = next;
    return this.config;
  }

  /** Decides the fate of one request arriving at `nowMs` (wall milliseconds). */
  check(nowMs: number): FaultVerdict {
    const { rate_limit_rps: rps, failure_rate: fr } = this.cfg;
    if (rps > 0) {
      if (nowMs - this.windowStart >= 1000) {
        this.windowStart = nowMs;
        this.windowCount = 0;
      }
      this.windowCount++;
      if (this.windowCount > rps) {
        return {
          kind: 'rate_limited',
          retryAfter: Math.max(1, Math.ceil((this.windowStart + 1000 - nowMs) / 1000)),
        };
      }
    }
    if (fr > 0) {
      // Probability follows the credit: the long-run share is failure_rate, and once a failure is
      // owed in full (credit >= 1) it is certain, which bounds the gap between two failures.
      this.failureCredit += fr;
      if (this.random() < this.failureCredit) {
        this.failureCredit -= 1;
        return { kind: 'fail' };
      }
    }
    return { kind: 'ok' };
  }

  /** Milliseconds to wait before answering (0 when no latency is configured). */
  latency(): number {
    const { latency_ms: base, latency_jitter_ms: jitter } = this.cfg;
    if (base <= 0 && jitter <= 0) return 0;
    return base + this.random() * jitter;
  }
}
