import { mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { describe, expect, it } from 'vitest';
import { useDuckSession } from '../../test/helpers/duck-session.js';
import { CACHING_ALLOCATOR_UP_TO_BYTES, openDuckSession } from './session.js';

describe('openDuckSession', () => {
  const duck = useDuckSession('duck-session-', '256MB');

  it('bounds what a partitioned COPY buffers, so wide rows do not run out of memory', async () => {
    const settings = `select current_setting('partitioned_write_flush_threshold')::BIGINT as rows,
      current_setting('partitioned_write_max_open_files')::BIGINT as files`;
    // DuckDB's own defaults (524,288 rows, 100 files) buffer far more than a memory limit holds
    // with ~2 KB Stripe rows: the session must set both well below them.
    const db = await DuckDBInstance.create(':memory:');
    const conn = await db.connect();
    const [defaults] = (await conn.runAndReadAll(settings)).getRowObjects() as {
      rows: bigint;
      files: bigint;
    }[];
    conn.closeSync();
    db.closeSync();
    const [ours] = await duck.session.rows<{ rows: bigint; files: bigint }>(settings);
    expect(Number(ours!.rows)).toBeGreaterThan(0);
    expect(Number(ours!.rows)).toBeLessThanOrEqual(Number(defaults!.rows) / 10);
    expect(Number(ours!.files)).toBeGreaterThan(0);
    expect(Number(ours!.files)).toBeLessThan(Number(defaults!.files));
  });

  it("keeps DuckDB's allocator caches for small inputs only, handing memory back at once for large ones", async () => {
    const flush = async () =>
      (
        await duck.session.rows<{ t: string; b: string }>(
          `select current_setting('allocator_flush_threshold') as t,
                  current_setting('allocator_bulk_deallocation_flush_threshold') as b`,
        )
      )[0];
    const tight = { t: '7.6 MiB', b: '7.6 MiB' };
    // a session opens tight (the safe setting), and a small input brings DuckDB's defaults back
    expect(await flush()).toEqual(tight);
    await duck.session.fitAllocator(CACHING_ALLOCATOR_UP_TO_BYTES);
    expect(await flush()).toEqual({ t: '128.0 MiB', b: '512.0 MiB' });
    await duck.session.fitAllocator(CACHING_ALLOCATOR_UP_TO_BYTES + 1);
    expect(await flush()).toEqual(tight);
  });

  it('runs as many threads as the CPUs Node.js may use, or as DUCKDB_THREADS says', async () => {
    const threads = async (session: { rows<T>(sql: string): Promise<T[]> }) =>
      Number((await session.rows<{ n: bigint }>(`select current_setting('threads') as n`))[0]!.n);
    expect(await threads(duck.session)).toBe(availableParallelism());
    const dir = await mkdtemp(join(tmpdir(), 'duck-threads-'));
    const one = await openDuckSession({ workDir: dir, pathBase: dir, threads: 1 });
    try {
      expect(await threads(one)).toBe(1);
    } finally {
      one.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('writes wide rows partitioned by dt under a small memory limit', async () => {
    // 30,000 rows of 4 KB over 3 dts: ~120 MB, half the memory limit.
    await duck.session.conn.run(
      `copy (select (i % 3)::VARCHAR as dt, i as id, repeat('x', 4000) as blob from range(30000) t(i) order by dt, id)
       to ${`'${join(duck.dir, 'out')}'`} (format parquet, partition_by (dt), write_partition_columns true)`,
    );
    const [row] = await duck.session.rows<{ n: number }>(
      `select count(*)::INTEGER as n from read_parquet('${join(duck.dir, 'out')}/*/*.parquet')`,
    );
    expect(row?.n).toBe(30000);
  });
});
