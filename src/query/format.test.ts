import { describe, expect, it } from 'vitest';
import { formatResult } from './format.js';

const r = {
  columns: ['id', 'note', 'amount'],
  rows: [
    ['ch_1', 'plain', 100],
    ['ch_2', 'a, "quoted"\nline', null],
  ],
};

describe('formatResult', () => {
  it('csv: header, RFC 4180 quoting, NULL as an empty field', () => {
    expect(formatResult(r, 'csv')).toBe(
      'id,note,amount\r\nch_1,plain,100\r\nch_2,"a, ""quoted""\nline",\r\n',
    );
  });

  it('json: one object per row in column order, parseable as a whole', () => {
    const out = formatResult(r, 'json');
    expect(JSON.parse(out)).toEqual([
      { id: 'ch_1', note: 'plain', amount: 100 },
      { id: 'ch_2', note: 'a, "quoted"\nline', amount: null },
    ]);
    expect(out.split('\n')).toHaveLength(5);
    expect(formatResult({ columns: ['x'], rows: [] }, 'json')).toBe('[]\n');
  });

  it('table: every value, NULL spelled out, a row count, and no ANSI codes', () => {
    const out = formatResult(r, 'table');
    expect(out).toContain('ch_1');
    expect(out).toContain('NULL');
    expect(out).toContain('(2 rows)');
    expect(out).not.toMatch(/\u001b\[/);
  });
});
