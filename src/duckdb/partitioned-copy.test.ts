import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { useDuckSession } from '../../test/helpers/duck-session.js';
import { LocalObjectStore } from '../storage/local-store.js';
import { assertAllCounted, copyPartitioned, partitionsOfFiles, sortsInQuery } from './partitioned-copy.js';
import { PARTITIONED_WRITE_FLUSH_ROWS, PARTITIONED_WRITE_MAX_OPEN_FILES, sizeBytes } from './session.js';

describe('sizeBytes', () => {
  it('reads decimal and binary units', () => {
    expect(sizeBytes('512MB')).toBe(512_000_000);
    expect(sizeBytes('1GB')).toBe(1_000_000_000);
    expect(sizeBytes('768MiB')).toBe(768 * 1024 * 1024);
    expect(sizeBytes(' 1.5 gib ')).toBe(1.5 * 1024 ** 3);
  });
  it('rejects what is not a size', () => {
    expect(() => sizeBytes('lots')).toThrow(/not a size: "lots"/);
  });
});

describe('sortsInQuery', () => {
  it('sorts in one query only what fits in half the memory limit', () => {
    expect(sortsInQuery(200_000_000, 512_000_000)).toBe(true);
    expect(sortsInQuery(256_000_000, 512_000_000)).toBe(true);
    expect(sortsInQuery(256_000_001, 512_000_000)).toBe(false);
  });
});

describe('copyPartitioned', () => {
  const duck = useDuckSession('partitioned-copy-', '256MB');
  let store: LocalObjectStore;
  beforeAll(() => {
    store = new LocalObjectStore(join(duck.dir, 'lake'));
  });

  // 20,000 rows over 4 dts, ids shuffled so that no writer order is already sorted
  const query = `select ('2024-01-0' || (1 + i % 4))::DATE as dt, hash(i)::VARCHAR as id, i as n from range(20000) t(i)`;
  /** Each written partition holds its 5,000 rows, sorted by id. */
  const expectSortedPartitions = async (keys: readonly string[]) => {
    for (const key of keys) {
      const path = join(duck.dir, 'lake', key);
      const rows = await duck.session.rows<{ id: string }>(`select id from read_parquet('${path}')`);
      expect(rows).toHaveLength(5000);
      const ids = rows.map((r) => r.id);
      expect(ids).toEqual([...ids].sort());
    }
  };

  it('loses no row when partitions outnumber the files DuckDB keeps open (each reopened gets a new file)', async () => {
    await duck.session.conn.run('set partitioned_write_max_open_files = 1');
    await duck.session.conn.run('set partitioned_write_flush_threshold = 1000');
    try {
      const written = await copyPartitioned({
        session: duck.session,
        store,
        query,
        orderBy: 'dt, id',
        outDir: join(duck.dir, 'out-reopen'),
        keyOf: (dt) => `t-reopen/dt=${dt}/data.parquet`,
        sortInQuery: false,
      });
      expect(written.keys).toEqual([1, 2, 3, 4].map((d) => `t-reopen/dt=2024-01-0${d}/data.parquet`));
      await expectSortedPartitions(written.keys);
      // DuckDB did split partitions over several files here, and the counts add them up
      expect(written.partitions.get('2024-01-01')!.files.length).toBeGreaterThan(1);
      expect([...written.partitions.values()].map((p) => p.rows)).toEqual([5000, 5000, 5000, 5000]);
      // the split files went with the merge
      expect(await readdir(join(duck.dir, 'out-reopen', 'dt=2024-01-01'))).toEqual([]);
    } finally {
      await duck.session.conn.run(
        `set partitioned_write_max_open_files = ${PARTITIONED_WRITE_MAX_OPEN_FILES}`,
      );
      await duck.session.conn.run(`set partitioned_write_flush_threshold = ${PARTITIONED_WRITE_FLUSH_ROWS}`);
    }
  });

  for (const sortInQuery of [true, false]) {
    it(`writes one file per dt, sorted by the key (sortInQuery: ${sortInQuery})`, async () => {
      const written = await copyPartitioned({
        session: duck.session,
        store,
        query,
        orderBy: 'dt, id',
        outDir: join(duck.dir, `out-${sortInQuery}`),
        keyOf: (dt) => `t-${sortInQuery}/dt=${dt}/data.parquet`,
        sortInQuery,
      });
      expect(written.dts).toEqual(['2024-01-01', '2024-01-02', '2024-01-03', '2024-01-04']);
      expect(written.keys).toEqual(written.dts.map((dt) => `t-${sortInQuery}/dt=${dt}/data.parquet`));
      await expectSortedPartitions(written.keys);
    });
  }

  it('counts rows and NULLs per dt in the files written; a second write into the folder sees only its own rows', async () => {
    const outDir = join(duck.dir, 'out-shared');
    const write = (q: string, table: string) =>
      copyPartitioned({
        session: duck.session,
        store,
        query: q,
        orderBy: 'dt, id',
        outDir,
        keyOf: (dt) => `${table}/dt=${dt}/data.parquet`,
        sortInQuery: true,
        countNulls: ['maybe'],
      });
    const first = await write(
      `select ('2024-01-0' || (1 + i % 4))::DATE as dt, i::VARCHAR as id, if(i % 8 = 0, null, i) as maybe from range(100) t(i)`,
      'a',
    );
    expect(Object.fromEntries([...first.partitions].map(([dt, p]) => [dt, [p.rows, p.nulls.maybe]]))).toEqual(
      {
        '2024-01-01': [25, 13],
        '2024-01-02': [25, 0],
        '2024-01-03': [25, 0],
        '2024-01-04': [25, 0],
      },
    );
    const second = await write(
      `select '2024-01-02'::DATE as dt, i::VARCHAR as id, null::INTEGER as maybe from range(3) t(i)`,
      'b',
    );
    expect(second.keys).toEqual(['b/dt=2024-01-02/data.parquet']);
    expect(second.partitions.get('2024-01-02')).toMatchObject({ rows: 3, nulls: { maybe: 3 } });
    const rows = await duck.session.rows<{ n: number }>(
      `select count(*)::INTEGER as n from read_parquet('${join(duck.dir, 'lake', 'b', '*', '*.parquet')}')`,
    );
    expect(rows).toEqual([{ n: 3 }]);
  });

  it('refuses a write whose files hold fewer rows than the COPY wrote, or whose count is missing', () => {
    const parts = partitionsOfFiles([
      { filename: '/o/dt=2024-01-01/data_0.parquet', rows: 3, nulls: {} },
      { filename: '/o/dt=2024-01-02/data_0.parquet', rows: 2, nulls: {} },
    ]);
    expect(() => assertAllCounted('5', parts, '/o')).not.toThrow();
    expect(() => assertAllCounted('6', parts, '/o')).toThrow(/\/o: the COPY wrote 6 rows, its files hold 5/);
    expect(() => assertAllCounted(undefined, parts, '/o')).toThrow(/wrote undefined rows/);
  });

  it('names the file it cannot place in a dt', () => {
    expect(() => partitionsOfFiles([{ filename: '/x/y.parquet', rows: 1, nulls: {} }])).toThrow(
      /no dt in the file name \/x\/y.parquet/,
    );
  });
});
