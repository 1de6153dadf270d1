import { formatResult, type QueryFormat } from '../../query/format.js';
import { openPublishedLake, tablesNamedIn } from '../../query/published-lake.js';
import { runReadOnlyQuery } from '../../query/run-query.js';
import { LocalObjectStore } from '../../storage/local-store.js';
import type { CommandContext } from '../context.js';
import { UsageError } from '../exit-codes.js';
import { storeFor } from '../store.js';

/** `query "SQL"`: read-only DuckDB over the published lake, a view per Silver entity and Gold model. */
export default async function query(
  opts: { sql: string; format?: QueryFormat },
  ctx: CommandContext,
): Promise<number> {
  const store = storeFor(ctx);
  // On disk every table gets a view (`show tables` lists them all); on S3 only those the SQL names
  // are downloaded.
  const lake = await openPublishedLake(
    store,
    store instanceof LocalObjectStore ? {} : { only: tablesNamedIn(opts.sql) },
  );
  try {
    const result = await runReadOnlyQuery(lake, opts.sql).catch((err: unknown) => {
      // A refused or malformed statement is bad usage (exit 2), not a failed run.
      throw new UsageError(`query: ${err instanceof Error ? err.message : String(err)}`);
    });
    process.stdout.write(formatResult(result, opts.format ?? (process.stdout.isTTY ? 'table' : 'csv')));
    return 0;
  } finally {
    await lake.close();
  }
}
