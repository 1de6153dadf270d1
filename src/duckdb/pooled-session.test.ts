import { describe, expect, it } from 'vitest';
import { useDuckSession } from '../../test/helpers/duck-session.js';
import { pooledSession } from './pooled-session.js';

describe('pooledSession', () => {
  const duck = useDuckSession('pooled-session-', '256MB');

  it('gives each unit of work a connection of its own, at most `size` at once, with the session settings', async () => {
    const pool = await pooledSession(duck.session, 2);
    expect(pool.memoryBytes).toBe(Math.floor(duck.session.memoryBytes / 2));
    let running = 0;
    let most = 0;
    // every unit creates the same temp table: on a shared connection the second would fail
    const unit = (i: number) =>
      pool.withConnection(async () => {
        most = Math.max(most, ++running);
        try {
          await pool.conn.run(`create temp table t as select ${i} as i`);
          await new Promise((r) => setTimeout(r, 20));
          const [row] = await pool.rows<{ i: number; tz: string; cache: boolean; mine: boolean }>(
            `select i, current_setting('TimeZone') as tz, current_setting('parquet_metadata_cache') as cache,
                    source_rank('api') > 0 as mine from t`,
          );
          await pool.conn.run('drop table t');
          return row;
        } finally {
          running--;
        }
      });
    const rows = await Promise.all([0, 1, 2, 3, 4].map(unit));
    expect(rows.map((r) => r?.i)).toEqual([0, 1, 2, 3, 4]);
    // the session's connection settings and macros on every connection
    expect(new Set(rows.map((r) => r?.tz))).toEqual(new Set(['UTC']));
    expect(rows.every((r) => r?.cache)).toBe(true);
    expect(rows.every((r) => r?.mine)).toBe(true);
    expect(most).toBe(2);
    // outside a unit: the session's own connection
    expect(pool.conn).toBe(duck.session.conn);
  });
});
