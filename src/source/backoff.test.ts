import { describe, expect, it } from 'vitest';
import {
  backoffDelayMs,
  DEFAULT_BACKOFF,
  isRetryableStatus,
  MAX_RETRY_AFTER_MS,
  parseRetryAfter,
} from './backoff.js';

const opts = { baseMs: 100, capMs: 1000 };

describe('backoffDelayMs', () => {
  it('grows exponentially up to the cap (random at its top)', () => {
    const top = () => 0.999999;
    expect(backoffDelayMs(0, opts, top)).toBe(99);
    expect(backoffDelayMs(1, opts, top)).toBe(199);
    expect(backoffDelayMs(3, opts, top)).toBe(799);
    expect(backoffDelayMs(4, opts, top)).toBe(999);
    expect(backoffDelayMs(30, opts, top)).toBe(999);
  });

  it('is full jitter: anywhere from 0', () => {
    expect(backoffDelayMs(5, opts, () => 0)).toBe(0);
    expect(backoffDelayMs(2, opts, () => 0.5)).toBe(200);
  });

  it('waits at least what Retry-After asks', () => {
    expect(backoffDelayMs(0, opts, () => 0, 3000)).toBe(3000);
    expect(backoffDelayMs(3, opts, () => 0.999999, 10)).toBe(799);
  });
});

describe('Retry-After is capped', () => {
  it('never waits longer than 60 s for a server asking an hour (SPEC 15)', () => {
    expect(backoffDelayMs(0, DEFAULT_BACKOFF, () => 0, 3_600_000)).toBe(MAX_RETRY_AFTER_MS);
    expect(MAX_RETRY_AFTER_MS).toBe(60_000);
    expect(backoffDelayMs(0, { ...DEFAULT_BACKOFF, maxRetryAfterMs: 50 }, () => 0, 3_600_000)).toBe(50);
    expect(backoffDelayMs(0, DEFAULT_BACKOFF, () => 0, 59_000)).toBe(59_000);
  });
});

describe('parseRetryAfter', () => {
  const now = Date.parse('2024-01-01T00:00:00Z');
  it('reads delta seconds', () => {
    expect(parseRetryAfter('2', now)).toBe(2000);
    expect(parseRetryAfter(' 0.5 ', now)).toBe(500);
    expect(parseRetryAfter('0', now)).toBe(0);
  });
  it('reads an HTTP date, clamping the past to 0', () => {
    expect(parseRetryAfter('Mon, 01 Jan 2024 00:00:05 GMT', now)).toBe(5000);
    expect(parseRetryAfter('Sun, 31 Dec 2023 23:59:00 GMT', now)).toBe(0);
  });
  it('ignores absent or malformed values', () => {
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
    expect(parseRetryAfter('', now)).toBeUndefined();
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter('-1', now)).toBeUndefined();
  });
});

describe('isRetryableStatus', () => {
  it('retries 429 and 5xx only', () => {
    expect([429, 500, 502, 503].every(isRetryableStatus)).toBe(true);
    expect([400, 401, 403, 404, 409].some(isRetryableStatus)).toBe(false);
  });
});
