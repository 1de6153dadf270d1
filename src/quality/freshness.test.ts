import { describe, expect, it } from 'vitest';
import { freshnessVerdict, newestDt } from './freshness.js';

describe('freshnessVerdict', () => {
  const now = 1_700_000_000;
  it('passes within the threshold, including exactly at it', () => {
    expect(freshnessVerdict(now - 3600, now, 26)).toEqual({ passed: true, age_hours: 1 });
    expect(freshnessVerdict(now - 26 * 3600, now, 26)).toEqual({ passed: true, age_hours: 26 });
  });
  it('fails beyond the threshold and when there is no data', () => {
    expect(freshnessVerdict(now - 26 * 3600 - 1, now, 26).passed).toBe(false);
    expect(freshnessVerdict(null, now, 26)).toEqual({ passed: false, age_hours: null });
  });
});

describe('newestDt', () => {
  it('is the greatest dt of the keys, whatever their order; undefined without any', () => {
    const key = (dt: string) => `gold/model=fct_payments/dt=${dt}/data.parquet`;
    expect(newestDt([key('2024-12-31'), key('2025-01-02'), key('2025-01-01')])).toBe('2025-01-02');
    expect(newestDt([])).toBeUndefined();
    expect(newestDt(['gold/model=fct_payments/_state.json'])).toBeUndefined();
  });
});
