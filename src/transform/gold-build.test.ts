import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useDuckSession } from '../../test/helpers/duck-session.js';
import { SILVER_CONTRACTS } from '../contracts/silver.js';
import { sqlString } from '../duckdb/sql-template.js';
import { createStager, type Stager } from '../duckdb/stager.js';
import { layout } from '../storage/layout.js';
import { LocalObjectStore } from '../storage/local-store.js';
import { laterReads, openSilverViews } from './gold-build.js';

const duck = useDuckSession('gold-build-');

/** One Silver partition of `table` at `dt`: a row of its contract's columns, `id` set. */
async function writePartition(root: string, table: 'charges' | 'customers', dt: string, id: string) {
  const path = join(root, layout.silverPartition(table, dt));
  await mkdir(dirname(path), { recursive: true });
  const cols = SILVER_CONTRACTS[table].columns.map((c) =>
    c.name === 'id'
      ? `${sqlString(id)} as id`
      : c.name === 'dt'
        ? `DATE ${sqlString(dt)} as dt`
        : `NULL::${c.type} as "${c.name}"`,
  );
  await duck.session.conn.run(`copy (select ${cols.join(', ')}) to ${sqlString(path)} (format parquet)`);
}

describe('openSilverViews', () => {
  it('makes a view, staging its files, only when a statement first names it', async () => {
    const root = join(duck.dir, 'lake');
    await writePartition(root, 'charges', '2024-01-01', 'ch_1');
    await writePartition(root, 'charges', '2024-01-02', 'ch_2');
    await writePartition(root, 'customers', '2024-01-01', 'cus_1');
    const store = new LocalObjectStore(root);
    const inner = createStager(store, join(duck.dir, 'stage'));
    const staged: string[] = [];
    const stager: Stager = {
      base: inner.base,
      localPath: (k) => inner.localPath(k),
      stage: async (keys) => {
        staged.push(...keys);
        await inner.stage(keys);
      },
    };
    const { listed, session } = await openSilverViews(duck.session, store, stager);
    expect(listed.get('charges')?.length).toBe(2);
    expect(staged).toEqual([]);

    // keys_silver_customers is another view's name: it makes nothing
    await session.rows(`select 'keys_silver_customers' as v`);
    expect(staged).toEqual([]);
    expect(await session.rows(`select id from silver_charges order by id`)).toEqual([
      { id: 'ch_1' },
      { id: 'ch_2' },
    ]);
    expect(staged.sort()).toEqual([
      layout.silverPartition('charges', '2024-01-01'),
      layout.silverPartition('charges', '2024-01-02'),
    ]);
    // made once: naming it again stages nothing more; the connection's statements make views too
    const reader = await session.conn.runAndReadAll(
      `select count(*)::INTEGER as n from silver_charges join silver_customers using (id)`,
    );
    expect(reader.getRowObjectsJson()).toEqual([{ n: 0 }]);
    expect(staged.filter((k) => k.includes('entity=charges')).length).toBe(2);
    expect(staged.filter((k) => k.includes('entity=customers'))).toEqual([
      layout.silverPartition('customers', '2024-01-01'),
    ]);
  });
});

describe('laterReads', () => {
  it('a model read whole by name, through its fresh rows or keys only, or named in a comment alone', () => {
    const m = 'fct_balance_transactions';
    expect(laterReads(m, ['select * from fct_balance_transactions where x'])).toEqual({
      readLater: true,
      readWhole: true,
    });
    // dim_customers: its keys and its deps query's fresh rows; no kept partitions to stage
    expect(
      laterReads(m, [
        'select * from keys_gold_fct_balance_transactions',
        'select a from fresh_fct_balance_transactions',
      ]),
    ).toEqual({ readLater: true, readWhole: false });
    // a comment naming it reads nothing; nor does another model whose name contains it
    expect(
      laterReads(m, [
        '-- see fct_balance_transactions.sql\nselect 1',
        'select * from fct_balance_transactions_v2',
      ]),
    ).toEqual({
      readLater: false,
      readWhole: false,
    });
  });
});
