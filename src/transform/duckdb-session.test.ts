import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DuckSession, openDuckSession, PARTITIONED_WRITE_FLUSH_ROWS } from './duckdb-session.js';

describe('openDuckSession', () => {
  let dir: string;
  let session: DuckSession;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'duck-session-'));
    session = await openDuckSession({ workDir: dir, pathBase: dir, memoryLimit: '256MB' });
  });
  afterAll(async () => {
    session.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('bounds what a partitioned COPY buffers, so wide rows do not run out of memory', async () => {
    const [row] = await session.rows<{ v: string }>(
      `select current_setting('partitioned_write_flush_threshold')::VARCHAR as v`,
    );
    expect(Number(row?.v)).toBe(PARTITIONED_WRITE_FLUSH_ROWS);
  });

  it('writes wide rows partitioned by dt under a small memory limit', async () => {
    // 30,000 rows of 4 KB over 3 dts: ~120 MB, half the memory limit.
    await session.conn.run(
      `copy (select (i % 3)::VARCHAR as dt, i as id, repeat('x', 4000) as blob from range(30000) t(i) order by dt, id)
       to ${`'${join(dir, 'out')}'`} (format parquet, partition_by (dt), write_partition_columns true)`,
    );
    const [row] = await session.rows<{ n: number }>(
      `select count(*)::INTEGER as n from read_parquet('${join(dir, 'out')}/*/*.parquet')`,
    );
    expect(row?.n).toBe(30000);
  });
});
