import { afterEach, describe, expect, it, vi } from 'vitest';
import { runCheck } from './run-quality.js';

describe('runCheck', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('turns a check that throws into a failure carrying the error, with its declared severity', async () => {
    let clock = 5000;
    vi.spyOn(performance, 'now').mockImplementation(() => clock);
    const r = await runCheck({
      name: 'freshness.fct_payments',
      severity: 'warn',
      run: async () => {
        // The check takes 1.234 s by the clock runCheck reads (no real waiting).
        clock += 1234;
        throw new Error('Binder Error: column "date_day" not found');
      },
    });
    expect(r).toMatchObject({
      name: 'freshness.fct_payments',
      severity: 'warn',
      passed: false,
      details: { error: expect.stringContaining('date_day') },
    });
    expect(r.seconds).toBe(1.23);
  });
});
