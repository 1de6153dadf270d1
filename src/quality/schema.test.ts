import { describe, expect, it } from 'vitest';
import { diffColumns, diffIsEmpty, normalizeType } from './schema.js';

const contract = [
  { name: 'id', type: 'VARCHAR' },
  { name: 'amount', type: 'BIGINT' },
  { name: 'created_ts', type: 'TIMESTAMPTZ' },
] as const;

describe('diffColumns', () => {
  it('accepts exactly the contract, whatever spelling DuckDB uses for a type', () => {
    const d = diffColumns(contract, [
      { name: 'id', type: 'VARCHAR' },
      { name: 'amount', type: 'BIGINT' },
      { name: 'created_ts', type: 'TIMESTAMP WITH TIME ZONE' },
    ]);
    expect(diffIsEmpty(d)).toBe(true);
  });

  it('reports missing, extra and wrong-typed columns', () => {
    const d = diffColumns(contract, [
      { name: 'id', type: 'VARCHAR' },
      { name: 'amount', type: 'DOUBLE' },
      { name: 'surprise', type: 'INTEGER' },
    ]);
    expect(d).toEqual({
      missing: ['created_ts'],
      extra: ['surprise'],
      wrong_type: [{ column: 'amount', expected: 'BIGINT', actual: 'DOUBLE' }],
      order_differs: false,
    });
    expect(diffIsEmpty(d)).toBe(false);
  });

  it('reports a different column order', () => {
    const d = diffColumns(contract, [
      { name: 'amount', type: 'BIGINT' },
      { name: 'id', type: 'VARCHAR' },
      { name: 'created_ts', type: 'TIMESTAMPTZ' },
    ]);
    expect(d.order_differs).toBe(true);
    expect(diffIsEmpty(d)).toBe(false);
  });
});

describe('normalizeType', () => {
  it('maps aliases to the contract names and leaves others alone', () => {
    expect(normalizeType('timestamp with time zone')).toBe('TIMESTAMPTZ');
    expect(normalizeType('INT8')).toBe('BIGINT');
    expect(normalizeType('JSON')).toBe('JSON');
  });
});
