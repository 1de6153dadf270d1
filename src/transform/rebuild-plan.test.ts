import { describe, expect, it } from 'vitest';
import { GOLD_MODELS } from '../contracts/gold.js';
import { SILVER_TABLES } from '../contracts/silver.js';
import { rebuildPlan } from './rebuild-plan.js';

const day = (d: string) => Date.parse(`${d}T00:00:00Z`) / 1000;

describe('rebuildPlan', () => {
  it('one table: its days, and no Gold forced (Gold follows by its rows)', () => {
    expect(rebuildPlan({ from: day('2024-06-30'), to: day('2024-07-01'), tables: ['charges'] })).toEqual({
      silver: { charges: ['2024-06-30', '2024-07-01'] },
      gold: {},
    });
  });
  it('one model: its days, no Silver', () => {
    expect(rebuildPlan({ from: day('2024-06-30'), to: day('2024-06-30'), models: ['fct_payments'] })).toEqual(
      {
        silver: {},
        gold: { fct_payments: ['2024-06-30'] },
      },
    );
  });
  it('neither: every table and model', () => {
    const plan = rebuildPlan({ from: day('2024-06-30'), to: day('2024-06-30') });
    expect(Object.keys(plan.silver)).toEqual([...SILVER_TABLES]);
    expect(Object.keys(plan.gold)).toEqual([...GOLD_MODELS]);
  });
  it('refuses a window that ends before it starts, or is absurdly long', () => {
    expect(() => rebuildPlan({ from: day('2024-06-30'), to: day('2024-06-29') })).toThrow(/before/);
    expect(() => rebuildPlan({ from: day('2000-01-01'), to: day('2024-06-29') })).toThrow(/at most/);
  });
});
