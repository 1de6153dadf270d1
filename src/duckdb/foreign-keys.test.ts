import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { describe, expect, it } from 'vitest';
import { SILVER_CONTRACTS, SILVER_TABLES } from '../contracts/silver.js';
import { danglingReferences, prefixResolver, silverView } from './foreign-keys.js';
import { openDuckSession } from './session.js';
import { sqlIdent } from './sql-template.js';

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

describe('danglingReferences', () => {
  async function session() {
    const work = await mkdtemp(join(tmpdir(), 'pp-fk-'));
    const s = await openDuckSession({ workDir: work, pathBase: work });
    // charges: two rows (one per dt) naming customers Silver lacks; every other view empty
    const given: Record<string, string> = { id: 'v.id', customer_id: 'v.customer_id', dt: 'v.dt::DATE' };
    for (const table of SILVER_TABLES) {
      const cols = SILVER_CONTRACTS[table].columns.map(
        (c) => `${(table === 'charges' && given[c.name]) || `NULL::${c.type}`} as ${sqlIdent(c.name)}`,
      );
      await s.conn.run(
        table === 'charges'
          ? `create view ${silverView(table)} as select ${cols.join(', ')}
             from (values ('ch_1', 'cus_old', '2024-01-01'), ('ch_2', 'cus_new', '2024-01-02')) v(id, customer_id, dt)`
          : `create view ${silverView(table)} as select ${cols.join(', ')} limit 0`,
      );
    }
    return s;
  }

  it('probes every row without a scope, only the written partitions with one', async () => {
    const s = await session();
    try {
      expect(await danglingReferences(s)).toEqual([
        { table: 'customers', id: 'cus_new' },
        { table: 'customers', id: 'cus_old' },
      ]);
      expect(await danglingReferences(s, new Map([['charges', ['2024-01-02']]]))).toEqual([
        { table: 'customers', id: 'cus_new' },
      ]);
      // a round that wrote only customers: no charge is probed again
      expect(await danglingReferences(s, new Map([['customers', ['2024-01-02']]]))).toEqual([]);
      expect(await danglingReferences(s, new Map())).toEqual([]);
      // the written partitions' rows from the relation given for them, not the view: here it
      // holds ch_1 of 2024-01-01 whatever dts it is asked for
      const asked: string[] = [];
      const partitionRows = async (table: string, dts: readonly string[]) => {
        asked.push(`${table}:${dts.join(',')}`);
        return `select * from ${silverView(table)} where id = 'ch_1'`;
      };
      expect(await danglingReferences(s, new Map([['charges', ['2024-01-02']]]), partitionRows)).toEqual([
        { table: 'customers', id: 'cus_old' },
      ]);
      expect(new Set(asked)).toEqual(new Set(['charges:2024-01-02']));
    } finally {
      s.close();
    }
  });

  it('probes the keys that point at one table in one query, each against all of its ids', async () => {
    const work = await mkdtemp(join(tmpdir(), 'pp-fk-'));
    const s = await openDuckSession({ workDir: work, pathBase: work });
    // charges ch_1 exists; refunds name ch_1 and ch_9, disputes ch_8 (two keys, one target)
    const rows: Record<string, string> = {
      charges: `('ch_1', NULL, '2024-01-01')`,
      refunds: `('re_1', 'ch_1', '2024-01-01'), ('re_2', 'ch_9', '2024-01-02')`,
      disputes: `('dp_1', 'ch_8', '2024-01-02')`,
    };
    try {
      for (const table of SILVER_TABLES) {
        const ref = table === 'charges' ? undefined : 'charge_id';
        const cols = SILVER_CONTRACTS[table].columns.map((c) => {
          const given =
            c.name === 'id' ? 'v.id' : c.name === ref ? 'v.ref' : c.name === 'dt' ? 'v.dt::DATE' : undefined;
          return `${(rows[table] && given) || `NULL::${c.type}`} as ${sqlIdent(c.name)}`;
        });
        await s.conn.run(
          rows[table]
            ? `create view ${silverView(table)} as select ${cols.join(', ')} from (values ${rows[table]}) v(id, ref, dt)`
            : `create view ${silverView(table)} as select ${cols.join(', ')} limit 0`,
        );
      }
      expect(await danglingReferences(s)).toEqual([
        { table: 'charges', id: 'ch_8' },
        { table: 'charges', id: 'ch_9' },
      ]);
      expect(await danglingReferences(s, new Map([['refunds', ['2024-01-01']]]))).toEqual([]);
      expect(await danglingReferences(s, new Map([['disputes', ['2024-01-02']]]))).toEqual([
        { table: 'charges', id: 'ch_8' },
      ]);
    } finally {
      s.close();
    }
  });
});
