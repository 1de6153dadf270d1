import { AsyncLocalStorage } from 'node:async_hooks';
import type { DuckDBConnection } from '@duckdb/node-api';
import pLimit from 'p-limit';
import type { DuckSession } from './session.js';

/**
 * A session over `size` connections to one database: code run by `withConnection` has one of them
 * to itself (its statements and temp tables go there, through `conn` and `rows`), at most `size`
 * at once; code outside runs on the session's own connection. So independent units of work (the
 * quality checks) run side by side without passing a connection around: a daily run's checks are
 * many small statements, each waiting on its own planning and file opens more than on the CPU.
 */
export interface PooledSession extends DuckSession {
  readonly size: number;
  withConnection<T>(fn: () => Promise<T>): Promise<T>;
}

/**
 * Pools `size` connections of `base` (its own and `size - 1` more). `memoryBytes` is the base's
 * divided by `size`: what a unit of work may plan to use while the others run (the database's
 * memory limit is shared). Closing closes the extra connections, then `base` unless `keepBase`
 * (the pool served one phase of a session that goes on).
 */
export async function pooledSession(
  base: DuckSession,
  size: number,
  opts: { keepBase?: boolean } = {},
): Promise<PooledSession> {
  const n = Math.max(1, Math.floor(size));
  const extra = await Promise.all(Array.from({ length: n - 1 }, () => base.connect()));
  const idle: DuckDBConnection[] = [base.conn, ...extra];
  const held = new AsyncLocalStorage<DuckDBConnection>();
  const limit = pLimit(n);
  const current = () => held.getStore() ?? base.conn;
  return {
    size: n,
    get conn() {
      return current();
    },
    memoryBytes: Math.floor(base.memoryBytes / n),
    async rows<T>(sql: string): Promise<T[]> {
      const reader = await current().runAndReadAll(sql);
      return reader.getRowObjectsJson() as T[];
    },
    connect: () => base.connect(),
    fitAllocator: (bytes) => base.fitAllocator(bytes),
    withConnection<T>(fn: () => Promise<T>): Promise<T> {
      return limit(async () => {
        const conn = idle.pop()!;
        try {
          return await held.run(conn, fn);
        } finally {
          idle.push(conn);
        }
      });
    },
    close() {
      for (const c of extra) c.closeSync();
      if (!opts.keepBase) base.close();
    },
  };
}
