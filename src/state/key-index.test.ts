import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { layout } from '../storage/layout.js';
import { LocalObjectStore } from '../storage/local-store.js';
import {
  type KeyIndexRecord,
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
    await store.put(layout.qualityKeyIndex(), JSON.stringify({ version: 2, tables: {} }));
    expect(await loadKeyIndex(store)).toBeUndefined();
  });

  it('takes the published fingerprint of the partitions a promote moved, and only theirs', async () => {
    root = await mkdtemp(join(tmpdir(), 'pp-keyidx-'));
    const store = new LocalObjectStore(root);
    const record: KeyIndexRecord = {
      version: 1,
      run_id: 'r1',
      tables: {
        'silver.charges': {
          key: ['id'],
          files: [{ name: 'f', parts: { '2024-03-01': 'staged', '2024-03-02': 'kept' } }],
        },
        'gold.fct_payments': {
          key: ['charge_id'],
          files: [{ name: 'g', parts: { '2024-03-01': 'staged' } }],
        },
      },
    };
    await store.put(layout.qualityKeyIndex(), JSON.stringify(record));
    const published = { size: 11, modifiedMs: 5000 };
    await refreshKeyIndex(
      store,
      new Map([
        [layout.silverPartition('charges', '2024-03-01'), published],
        [layout.goldPartition('fct_payments', '2024-03-01'), { size: 12, modifiedMs: 6000 }],
      ]),
    );
    const after = await loadKeyIndex(store);
    expect(after?.tables['silver.charges']?.files[0]?.parts).toEqual({
      '2024-03-01': fingerprintOf(published),
      '2024-03-02': 'kept',
    });
    expect(after?.tables['gold.fct_payments']?.files[0]?.parts).toEqual({ '2024-03-01': '12:6000' });
  });
});
