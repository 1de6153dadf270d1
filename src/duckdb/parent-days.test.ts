import { describe, expect, it } from 'vitest';
import { dayChunks, inDayRange } from './parent-days.js';

const obj = (dt: string, size: number, part = 0) => ({
  key: `bronze/source=stripe/entity=invoices/dt=${dt}/run_id=r1/part-0000${part}.jsonl`,
  size,
});

describe('dayChunks', () => {
  it('groups consecutive days up to the budget, a day over it alone, in day order', () => {
    const objs = [
      obj('2024-01-03', 40),
      obj('2024-01-01', 30),
      obj('2024-01-01', 30, 1),
      obj('2024-01-02', 50),
    ];
    // 01-01 holds 60 (two parts); 01-02 would take it to 110
    expect(dayChunks(objs, 100)).toEqual([['2024-01-01'], ['2024-01-02', '2024-01-03']]);
    expect(dayChunks(objs, 10)).toEqual([['2024-01-01'], ['2024-01-02'], ['2024-01-03']]);
    expect(dayChunks(objs, 1000)).toEqual([['2024-01-01', '2024-01-02', '2024-01-03']]);
    expect(dayChunks([{ key: 'bronze/source=stripe/entity=invoices/_manifest.json', size: 5 }], 1)).toEqual(
      [],
    );
  });
});

describe('inDayRange', () => {
  it('is open on the first and last chunk; the first also takes undated rows', () => {
    expect(inDayRange('d', { to: '2024-01-02' })).toBe(`(d < '2024-01-02' or d is null)`);
    expect(inDayRange('d', { from: '2024-01-02', to: '2024-01-05' })).toBe(
      `(d >= '2024-01-02' and d < '2024-01-05')`,
    );
    expect(inDayRange('d', { from: '2024-01-05' })).toBe(`(d >= '2024-01-05')`);
    expect(inDayRange('d', {})).toBe('true');
  });
});
