import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SILVER_CONTRACTS } from '../contracts/silver.js';
import { openDuckSession } from '../duckdb/session.js';
import { sqlString } from '../duckdb/sql-template.js';
import { createStager } from '../duckdb/stager.js';
import { fingerprintOf } from '../state/verified-index.js';
import { layout } from '../storage/layout.js';
import { LocalObjectStore } from '../storage/local-store.js';
import { type ChangedCopy, copyChanged, footersToRead, fromCopy } from './quality-context.js';

describe('footersToRead', () => {
  const at = (dt: string, modifiedMs: number) => ({
    key: `silver/source=stripe/entity=charges/dt=${dt}/data.parquet`,
    size: 10,
    modifiedMs,
  });
  const old1 = at('2024-03-01', 100);
  const old2 = at('2024-03-02', 100);
  const verifiedNew = at('2024-03-03', 500);
  const changed = at('2024-03-04', 500);
  const objs = [old1, old2, verifiedNew, changed];
  const verified = new Map([[verifiedNew.key, fingerprintOf(verifiedNew)]]);

  it('reads the changed files and one verified file; the other verified files take its columns', () => {
    const r = footersToRead(objs, 300, verified);
    expect(r.read.map((o) => o.key)).toEqual([changed.key, old1.key]);
    expect(r.sample).toBe(old1);
    expect(r.assumed).toEqual([old2, verifiedNew]);
  });

  it('reads every file with scope all, and a file whose fingerprint moved', () => {
    expect(footersToRead(objs, undefined, verified).read).toEqual(objs);
    const rewritten = { ...verifiedNew, size: 11 };
    expect(footersToRead([rewritten], 300, verified)).toEqual({
      read: [rewritten],
      sample: undefined,
      assumed: [],
    });
  });
});

describe('fromCopy', () => {
  const copy: ChangedCopy = { table: 'q_changed_silver_charges', paths: new Set(['/a', '/b', '/c']) };

  it('reads the whole copy for all its files, its rows of some files by _file, and files it lacks from files', () => {
    expect(fromCopy(copy, ['/c', '/a', '/b'])).toBe('q_changed_silver_charges');
    expect(fromCopy(copy, ['/a', '/c'])).toBe(
      "(select * from q_changed_silver_charges where _file in (select unnest(['/a', '/c'])))",
    );
    expect(fromCopy(copy, ['/a', '/d'])).toBeUndefined();
    expect(fromCopy(copy, [])).toBeUndefined();
    expect(fromCopy(undefined, ['/a'])).toBeUndefined();
  });
});

describe('copyChanged', () => {
  let root: string | undefined;
  afterEach(async () => {
    if (root) await rm(root, { recursive: true, force: true });
  });

  /** Three Silver partitions of charges on disk, one row each; 03-01 old, 03-02 and 03-03 new. */
  async function setup() {
    root = await mkdtemp(join(tmpdir(), 'pp-qcopy-'));
    const store = new LocalObjectStore(join(root, 'lake'));
    const stager = createStager(store, join(root, 'stage'));
    const db = await openDuckSession({ workDir: root, pathBase: stager.base });
    const objects = [];
    for (const [i, dt] of ['2024-03-01', '2024-03-02', '2024-03-03'].entries()) {
      const key = layout.silverPartition('charges', dt);
      await store.put(key, 'x');
      await db.conn.run(
        `copy (select 'ch_${i}' as id, ${i * 100} as amount, DATE '${dt}' as dt) to ${sqlString(stager.localPath(key))} (format parquet)`,
      );
      const info = (await store.head(key))!;
      objects.push({ ...info, modifiedMs: i === 0 ? 100 : 500 });
    }
    const table = { name: 'silver.charges', contract: SILVER_CONTRACTS.charges, objects };
    return { db, stager, objects, table };
  }

  it('copies the changed files of a table, with _file, while they fit the budget; nothing with scope all', async () => {
    const { db, stager, objects, table } = await setup();
    try {
      const copies = await copyChanged(
        db,
        [table],
        stager,
        { since: 300, verified: new Map() },
        new Map(),
        1e9,
      );
      const copy = copies.get('silver.charges')!;
      expect([...copy.paths]).toEqual(objects.slice(1).map((o) => stager.localPath(o.key)));
      const rows = await db.rows<{ id: string; _file: string }>(
        `select id, _file from ${copy.table} order by id`,
      );
      expect(rows).toEqual([
        { id: 'ch_1', _file: stager.localPath(objects[1]!.key) },
        { id: 'ch_2', _file: stager.localPath(objects[2]!.key) },
      ]);
      // a verified partition is not changed: only 03-03 is copied
      const verified = new Map([[objects[1]!.key, fingerprintOf(objects[1]!)]]);
      const one = await copyChanged(db, [table], stager, { since: 300, verified }, new Map(), 1e9);
      expect([...one.get('silver.charges')!.paths]).toEqual([stager.localPath(objects[2]!.key)]);
      // over the budget, or scope all: read from files
      const bytes = objects[1]!.size + objects[2]!.size;
      expect(
        (await copyChanged(db, [table], stager, { since: 300, verified: new Map() }, new Map(), bytes - 1))
          .size,
      ).toBe(0);
      expect(
        (await copyChanged(db, [table], stager, { since: undefined, verified: new Map() }, new Map(), 1e9))
          .size,
      ).toBe(0);
    } finally {
      db.close();
    }
  });
});
