import type { DuckDBConnection } from '@duckdb/node-api';
import type { DuckSession } from './session.js';

/**
 * Views made on first use. DuckDB checks that every file a view reads exists when the view is
 * created, so a view over a table's Parquet needs all of them local first; on S3 that is a
 * download of the whole table. A run that reads most tables through the key index and the
 * partitions that changed would download all of Silver only to create views it never reads. So
 * each view is defined with how to make it (stage its files, create it), and made by the first
 * statement that names it.
 */
export interface LazyViews {
  /**
   * Defines `name`, made by `make` when a statement first names it. `make` may call `ensure` for
   * the views its own view reads.
   */
  define(name: string, make: () => Promise<void>): void;
  /** Makes each defined view `sql` names (once: a failed one is made again by the next statement). */
  ensure(sql: string): Promise<void>;
}

/** Identifiers a statement may name a view by (paths and string literals name none defined). */
const IDENTIFIER = /\b[a-z_][a-z0-9_]*\b/gi;

export function lazyViews(): LazyViews {
  const makers = new Map<string, () => Promise<void>>();
  const making = new Map<string, Promise<void>>();
  const done = new Set<string>();
  const make = (name: string): Promise<void> => {
    let p = making.get(name);
    if (!p) {
      p = makers.get(name)!().then(() => {
        done.add(name);
      });
      p.catch(() => making.delete(name));
      making.set(name, p);
    }
    return p;
  };
  return {
    define(name, maker) {
      makers.set(name, maker);
    },
    async ensure(sql) {
      const names = new Set<string>();
      for (const [id] of sql.matchAll(IDENTIFIER)) if (makers.has(id) && !done.has(id)) names.add(id);
      await Promise.all([...names].map(make));
    },
  };
}

/** The connection methods that take SQL first. */
const SQL_METHODS = new Set<PropertyKey>([
  'run',
  'runAndReadAll',
  'runAndRead',
  'stream',
  'streamAndReadAll',
]);

/**
 * `session` whose statements first `ensure` what they name: those of its connection (`conn`,
 * whichever connection that is at the time: a pooled session's is the caller's) and of `rows`.
 * Everything else (a pool's `withConnection`, `memoryBytes`) is the session's own.
 */
export function ensuringViews<S extends DuckSession>(session: S, ensure: (sql: string) => Promise<void>): S {
  const wrapped = new WeakMap<DuckDBConnection, DuckDBConnection>();
  const wrap = (conn: DuckDBConnection): DuckDBConnection => {
    let w = wrapped.get(conn);
    if (!w) {
      w = new Proxy(conn, {
        get(target, prop) {
          const value = Reflect.get(target, prop, target) as unknown;
          if (typeof value !== 'function') return value;
          if (!SQL_METHODS.has(prop)) return value.bind(target);
          return async (sql: string, ...rest: unknown[]) => {
            await ensure(String(sql));
            return (value as (...a: unknown[]) => unknown).call(target, sql, ...rest);
          };
        },
      });
      wrapped.set(conn, w);
    }
    return w;
  };
  return new Proxy(session, {
    get(target, prop) {
      if (prop === 'conn') return wrap(target.conn);
      if (prop === 'rows')
        return async <T>(sql: string): Promise<T[]> => {
          await ensure(sql);
          return target.rows<T>(sql);
        };
      const value = Reflect.get(target, prop, target) as unknown;
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}
