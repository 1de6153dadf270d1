import { DuckDBInstance } from '@duckdb/node-api';
import { describe, expect, it } from 'vitest';
import { prefixResolver } from './foreign-keys.js';

describe('prefixResolver', () => {
  it('resolves a polymorphic id by its longest prefix, NULL when no referenced table owns it', async () => {
    const db = await DuckDBInstance.create(':memory:');
    const conn = await db.connect();
    const expr = prefixResolver('v', ['charges', 'refunds', 'disputes']);
    const rows = (
      await conn.runAndReadAll(
        `select v, ${expr} as t from (values ('ch_1'), ('py_1'), ('pyr_1'), ('re_1'), ('dp_1'), ('po_1')) x(v) order by v`,
      )
    ).getRowObjectsJson();
    conn.closeSync();
    db.closeSync();
    expect(Object.fromEntries(rows.map((r) => [r.v, r.t]))).toEqual({
      ch_1: 'charges',
      py_1: 'charges',
      pyr_1: 'refunds',
      re_1: 'refunds',
      dp_1: 'disputes',
      po_1: null,
    });
  });
});
