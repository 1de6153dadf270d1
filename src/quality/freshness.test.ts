import { describe, expect, it } from 'vitest';
import { freshnessVerdict } from './freshness.js';

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
