import { describe, expect, it } from 'vitest';
import { capped, MAX_EXAMPLES, num } from './examples.js';

describe('capped', () => {
  it('keeps the first examples and the full count', () => {
    const ids = Array.from({ length: 50 }, (_, i) => `ch_${i}`);
    const c = capped(ids);
    expect(c.count).toBe(50);
    expect(c.examples).toHaveLength(MAX_EXAMPLES);
    expect(c.examples[0]).toBe('ch_0');
  });
  it('takes a total larger than the list (examples fetched with a LIMIT)', () => {
    expect(capped(['a'], 20, 7)).toEqual({ count: 7, examples: ['a'] });
  });
});

describe('num', () => {
  it('reads DuckDB JSON numbers (BIGINT and HUGEINT arrive as strings)', () => {
    expect(num('1001')).toBe(1001);
    expect(num(5)).toBe(5);
    expect(num(null)).toBe(0);
  });
});
