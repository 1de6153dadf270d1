import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { GOLD_CONTRACTS } from '../contracts/gold.js';
import { SILVER_CONTRACTS, SILVER_TABLES } from '../contracts/silver.js';
import { layout } from '../storage/layout.js';
import { LocalObjectStore } from '../storage/local-store.js';
import {
  INDEX_COLUMNS,
  indexColumns,
  type KeyIndexRecord,
  keyIndexFileName,
  keyIndexFileWriter,
  loadKeyIndex,
  planKeys,
  refreshKeyIndex,
  type TableKeyIndex,
} from './key-index.js';
import { fingerprintOf } from './verified-index.js';

const obj = (dt: string, size: number, modifiedMs = 1000) => ({
  key: layout.silverPartition('charges', dt),
  size,
  modifiedMs,
});
const A = obj('2024-03-01', 10);
const B = obj('2024-03-02', 20);
const C = obj('2024-03-03', 30);

describe('keyIndexFileWriter', () => {
  it('names the run that wrote a file, run ids with underscores included', () => {
    expect(keyIndexFileWriter(keyIndexFileName('r1', 'lz3k'))).toBe('r1');
    expect(keyIndexFileWriter(keyIndexFileName('r1_x', 'lz3k'))).toBe('r1_x');
    expect(keyIndexFileWriter('merged')).toBeUndefined();
  });
});

describe('planKeys', () => {
  it('reads every partition from its file without an index', () => {
    expect(planKeys(undefined, ['id'], [A, B])).toEqual({ fromIndex: [], fromFiles: [A, B] });
  });

  it('takes a partition from the newest file that read the same object, the others from their files', () => {
    const entry: TableKeyIndex = {
      key: ['id'],
      files: [
        { name: 'old', parts: { '2024-03-01': fingerprintOf(A), '2024-03-02': fingerprintOf(B) } },
        { name: 'new', parts: { '2024-03-02': fingerprintOf(B), '2024-03-03': '1:1' } },
      ],
    };
    expect(planKeys(entry, ['id'], [A, B, C])).toEqual({
      fromIndex: [
        // old's 03-02 is newer in new: skipped there
        { name: 'old', dts: ['2024-03-01'], skip: ['2024-03-02'] },
        // new's 03-03 was read from another object than C is now
        { name: 'new', dts: ['2024-03-02'], skip: ['2024-03-03'] },
      ],
      // C's object is not the one the index read (another fingerprint)
      fromFiles: [C],
    });
  });

  it('never takes a retired partition, and skips it in the file that holds it', () => {
    const entry: TableKeyIndex = {
      key: ['id'],
      files: [
        { name: 'old', parts: { '2024-03-01': null, '2024-03-02': fingerprintOf(B) } },
        { name: 'new', parts: { '2024-03-01': fingerprintOf(A) } },
      ],
    };
    expect(planKeys(entry, ['id'], [A, B])).toEqual({
      fromIndex: [
        { name: 'new', dts: ['2024-03-01'], skip: [] },
        { name: 'old', dts: ['2024-03-02'], skip: ['2024-03-01'] },
      ],
      fromFiles: [],
    });
    const retiredOnly: TableKeyIndex = {
      key: ['id'],
      files: [{ name: 'old', parts: { '2024-03-01': null } }],
    };
    expect(planKeys(retiredOnly, ['id'], [A])).toEqual({ fromIndex: [], fromFiles: [A] });
  });

  it('does not use an entry of other key columns', () => {
    const entry: TableKeyIndex = {
      key: ['charge_id'],
      files: [{ name: 'x', parts: { '2024-03-01': fingerprintOf(A) } }],
    };
    expect(planKeys(entry, ['id'], [A])).toEqual({ fromIndex: [], fromFiles: [A] });
  });
});

describe('the key index record', () => {
  let root: string | undefined;
  afterEach(async () => {
    if (root) await rm(root, { recursive: true, force: true });
  });

  it('is absent when missing or unreadable', async () => {
    root = await mkdtemp(join(tmpdir(), 'pp-keyidx-'));
    const store = new LocalObjectStore(root);
    expect(await loadKeyIndex(store)).toBeUndefined();
    await store.put(layout.qualityKeyIndex(), '{not json');
    expect(await loadKeyIndex(store)).toBeUndefined();
    await store.put(layout.qualityKeyIndex(), JSON.stringify({ version: 3, tables: {} }));
    expect(await loadKeyIndex(store)).toBeUndefined();
    // version 1 dropped retired partitions from the record: its files cannot be read safely
    await store.put(layout.qualityKeyIndex(), JSON.stringify({ version: 1, run_id: 'r', tables: {} }));
    expect(await loadKeyIndex(store)).toBeUndefined();
  });

  it("takes the published fingerprint of the partitions a promote moved, only in the run's own files", async () => {
    root = await mkdtemp(join(tmpdir(), 'pp-keyidx-'));
    const store = new LocalObjectStore(root);
    const record: KeyIndexRecord = {
      version: 2,
      run_id: 'r1',
      tables: {
        'silver.charges': {
          key: ['id'],
          files: [
            // an older run's file: its 03-01 rows are not what this run read (retired or not)
            { name: 'run_r0_a', parts: { '2024-03-01': null, '2024-03-03': 'older' } },
            // run `r1_x`'s file begins as run r1's do (`run_r1_`): still another run's
            { name: 'run_r1_x_c', parts: { '2024-03-03': 'other' } },
            { name: 'run_r1_b', parts: { '2024-03-01': 'staged', '2024-03-02': 'kept' } },
          ],
        },
        'gold.fct_payments': {
          key: ['charge_id'],
          files: [{ name: 'run_r1_b', parts: { '2024-03-01': 'staged' } }],
        },
      },
    };
    await store.put(layout.qualityKeyIndex(), JSON.stringify(record));
    const published = { size: 11, modifiedMs: 5000 };
    const moved = new Map([
      [layout.silverPartition('charges', '2024-03-01'), published],
      [layout.silverPartition('charges', '2024-03-03'), published],
      [layout.goldPartition('fct_payments', '2024-03-01'), { size: 12, modifiedMs: 6000 }],
    ]);
    // a promote of another run than the record's (its quality did not write the index) changes nothing
    await refreshKeyIndex(store, 'r2', moved);
    expect(await loadKeyIndex(store)).toEqual(record);
    await refreshKeyIndex(store, 'r1', moved);
    const after = await loadKeyIndex(store);
    expect(after?.tables['silver.charges']?.files).toEqual([
      { name: 'run_r0_a', parts: { '2024-03-01': null, '2024-03-03': 'older' } },
      { name: 'run_r1_x_c', parts: { '2024-03-03': 'other' } },
      { name: 'run_r1_b', parts: { '2024-03-01': fingerprintOf(published), '2024-03-02': 'kept' } },
    ]);
    expect(after?.tables['gold.fct_payments']?.files[0]?.parts).toEqual({ '2024-03-01': '12:6000' });
  });
});

describe('INDEX_COLUMNS', () => {
  const contracts = new Map<string, { columns: readonly { name: string }[]; primaryKey: readonly string[] }>([
    ...SILVER_TABLES.map((t) => [`silver.${t}`, SILVER_CONTRACTS[t]] as const),
    ...GOLD_CONTRACTS.map((c) => [`gold.${c.name}`, c] as const),
  ]);

  it('names columns of its tables only, and the files hold the key first', () => {
    for (const [table, columns] of Object.entries(INDEX_COLUMNS)) {
      const contract = contracts.get(table);
      expect(contract, table).toBeDefined();
      const names = new Set(contract!.columns.map((c) => c.name));
      expect(
        columns.filter((c) => !names.has(c)),
        table,
      ).toEqual([]);
    }
    const charges = SILVER_CONTRACTS.charges;
    expect(indexColumns('silver.charges', charges).slice(0, 1)).toEqual(['id']);
    // a table without index columns keeps its key alone; a key column listed is not repeated
    expect(indexColumns('silver.products', SILVER_CONTRACTS.products)).toEqual(['id']);
    const byCustomer = indexColumns('silver.charges', { ...charges, primaryKey: ['customer_id'] });
    expect(byCustomer.filter((c) => c === 'customer_id')).toEqual(['customer_id']);
    expect(byCustomer[0]).toBe('customer_id');
  });
});
