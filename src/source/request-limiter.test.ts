import { describe, expect, it } from 'vitest';
import { RequestLimiter, sleep } from './request-limiter.js';

describe('RequestLimiter', () => {
  it('keeps at most `concurrency` tasks in flight', async () => {
    const limiter = new RequestLimiter({ concurrency: 3 });
    let inFlight = 0;
    let peak = 0;
    await Promise.all(
      Array.from({ length: 12 }, () =>
        limiter.run(async () => {
          inFlight++;
          peak = Math.max(peak, inFlight);
          await sleep(5);
          inFlight--;
        }),
      ),
    );
    expect(peak).toBe(3);
  });

  it('starts at most `ratePerSecond` tasks per second', async () => {
    const limiter = new RequestLimiter({ concurrency: 10, ratePerSecond: 50 });
    const starts: number[] = [];
    const t0 = Date.now();
    await Promise.all(
      Array.from({ length: 11 }, () => limiter.run(async () => starts.push(Date.now() - t0))),
    );
    // 11 starts at 50/s, evenly spaced: the last one no earlier than ~200 ms.
    expect(Math.max(...starts)).toBeGreaterThanOrEqual(190);
  });

  it('rejects queued work once the signal aborts', async () => {
    const ctl = new AbortController();
    const limiter = new RequestLimiter({ concurrency: 1, ratePerSecond: 5 });
    const first = limiter.run(async () => {
      await sleep(50);
      return 1;
    }, ctl.signal);
    const second = limiter.run(async () => 2, ctl.signal).catch((e: Error) => e.message);
    setTimeout(() => ctl.abort(new Error('stop')), 10);
    expect(await first).toBe(1);
    expect(await second).toBe('stop');
  });
});
