import { describe, expect, it } from 'vitest';
import { initialBucket, reserve, type TokenBucketState } from './token-bucket.js';

describe('token bucket', () => {
  const opts = { ratePerSecond: 10, capacity: 1 };

  it('spaces requests 1/rate apart when booked together', () => {
    let s: TokenBucketState = initialBucket(opts, 0);
    const waits: number[] = [];
    for (let i = 0; i < 5; i++) {
      const r = reserve(s, opts, 0);
      s = r.state;
      waits.push(r.waitMs);
    }
    expect(waits).toEqual([0, 100, 200, 300, 400]);
  });

  it('refills with time, never above capacity', () => {
    let s = initialBucket({ ratePerSecond: 2, capacity: 3 }, 0);
    for (let i = 0; i < 3; i++) s = reserve(s, { ratePerSecond: 2, capacity: 3 }, 0).state;
    expect(reserve(s, { ratePerSecond: 2, capacity: 3 }, 0).waitMs).toBe(500);
    // After a long idle time only `capacity` tokens are there: a burst of 3, then waiting.
    let t = s;
    const waits: number[] = [];
    for (let i = 0; i < 4; i++) {
      const r = reserve(t, { ratePerSecond: 2, capacity: 3 }, 60_000);
      t = r.state;
      waits.push(r.waitMs);
    }
    expect(waits).toEqual([0, 0, 0, 500]);
  });

  it('never lets more than capacity + rate*T requests start within T', () => {
    const o = { ratePerSecond: 25, capacity: 1 };
    let s = initialBucket(o, 0);
    const starts: number[] = [];
    for (let i = 0; i < 200; i++) {
      const now = i * 3; // callers arrive every 3 ms, faster than the rate
      const r = reserve(s, o, now);
      s = r.state;
      starts.push(now + r.waitMs);
    }
    for (let i = 0; i < starts.length; i++) {
      const inSecond = starts.filter((t) => t >= starts[i]! && t < starts[i]! + 1000).length;
      expect(inSecond).toBeLessThanOrEqual(26);
    }
  });
});
