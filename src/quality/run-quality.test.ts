import { describe, expect, it } from 'vitest';
import { runCheck } from './run-quality.js';

describe('runCheck', () => {
  it('turns a check that throws into a failure carrying the error, with its declared severity', async () => {
    const r = await runCheck({
      name: 'freshness.fct_payments',
      severity: 'warn',
      run: async () => {
        throw new Error('Binder Error: column "date_day" not found');
      },
    });
    expect(r).toMatchObject({
      name: 'freshness.fct_payments',
      severity: 'warn',
      passed: false,
      details: { error: expect.stringContaining('date_day') },
    });
    expect(r.seconds).toBeGreaterThanOrEqual(0);
  });
});
