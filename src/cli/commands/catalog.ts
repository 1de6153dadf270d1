import { type CatalogEngine, CatalogOptionError, catalogDdl, catalogTables } from '../../catalog/ddl.js';
import type { CommandContext } from '../context.js';
import { storeFor } from '../store.js';

export interface CatalogCommandOptions {
  engine: CatalogEngine;
  location?: string;
  database?: string;
  since?: string;
}

/**
 * `catalog --engine duckdb|athena|trino`: prints the DDL registering every published Silver and
 * Gold table (SPEC section 17). The location defaults to the data root of the settings; DuckDB
 * gets views only for tables with a published partition (it cannot bind a view over no files).
 */
export default async function catalog(opts: CatalogCommandOptions, ctx: CommandContext): Promise<number> {
  const store = storeFor(ctx);
  const location = opts.location ?? store.root;
  let published: Set<string> | undefined;
  if (opts.engine === 'duckdb' && opts.location === undefined) {
    published = new Set();
    for (const t of catalogTables()) {
      const keys = await store.list(t.prefix);
      if (keys.some((o) => /\/dt=\d{4}-\d{2}-\d{2}\/data\.parquet$/.test(o.key))) published.add(t.name);
    }
  }
  if (opts.since !== undefined && opts.engine !== 'athena')
    throw new CatalogOptionError('--since: only for --engine athena (the partition projection range)');
  process.stdout.write(
    catalogDdl(opts.engine, {
      location,
      ...(opts.database !== undefined ? { database: opts.database } : {}),
      ...(opts.since !== undefined ? { since: opts.since } : {}),
      ...(published ? { published } : {}),
    }),
  );
  return 0;
}
