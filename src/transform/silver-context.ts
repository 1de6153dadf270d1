import { stat } from 'node:fs/promises';
import { BRONZE_PAYLOADS } from '../contracts/silver.js';
import { payloadType, readBronzeRelation, webhookEventType } from '../duckdb/bronze-read.js';
import { fileOfDuckdbError, locateBadLine, type RecordShape } from '../duckdb/line-scanner.js';
import type { DuckSession } from '../duckdb/session.js';
import { sqlString } from '../duckdb/sql-template.js';
import type { Stager } from '../duckdb/stager.js';
import type { TableName } from '../entities/entity.js';
import type { Logger } from '../obs/logger.js';
import type { ObjectStore } from '../storage/object-store.js';
import { BronzeParseError, TransformError } from './errors.js';

// What every step of a Silver build shares: its context, where it writes, and how it reads Bronze
// (a reader error named by key and line; the versions' ids and `created`).

export interface BuildContext {
  readonly session: DuckSession;
  readonly store: ObjectStore;
  readonly stager: Stager;
  readonly workDir: string;
  readonly logger: Logger;
  readonly runId: string;
  readonly fullRefresh: boolean;
  /** Bronze bytes per run of days a table is first built from at once (default: by memory limit). */
  readonly dayChunkBytes?: number | undefined;
}

/** Where a build writes Silver partitions, and what it wrote: rows per dt. */
export interface PartitionSink {
  readonly stats: Map<string, { n: number }>;
  /** Keys of the partitions written. */
  readonly keys: Set<string>;
  /** Rows written whose object had no `created` in the Bronze read. */
  undated: number;
  write(query: string, sortInQuery: boolean): Promise<void>;
}

/**
 * Runs a statement over Bronze files; a reader error becomes a `BronzeParseError` naming the key
 * and line (found by scanning the file DuckDB named), never a silent drop.
 */
export async function withBronzeErrors<T>(
  ctx: Pick<BuildContext, 'stager'>,
  table: TableName,
  webhookPaths: ReadonlySet<string>,
  fn: () => Promise<T>,
): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    const message = (err as Error).message ?? String(err);
    const where = fileOfDuckdbError(message);
    if (!where) throw new TransformError(`silver.${table}`, message, { cause: err });
    const key = where.path.replace(/\\/g, '/').slice(ctx.stager.base.replace(/\\/g, '/').length + 1);
    const payload = BRONZE_PAYLOADS[table];
    const shape: RecordShape = webhookPaths.has(where.path)
      ? { kind: 'webhook', payload }
      : { kind: 'object', payload };
    const found = await locateBadLine(where.path, shape);
    throw new BronzeParseError(key, found?.line ?? where.line ?? 0, found?.reason ?? message.split('\n')[0]!);
  }
}

/**
 * SQL of a relation `(id, created)`: every version of the `objectName` objects in their own Bronze
 * (`own`) and in webhook deliveries (`webhooks`), local paths of staged files.
 */
export function versionsCreated(
  own: readonly string[],
  webhooks: readonly string[],
  objectName: string,
): string {
  const fields = { id: 'VARCHAR', object: 'VARCHAR', created: 'BIGINT' } as const;
  return `(
    select data.id, data.created from ${readBronzeRelation(own, payloadType(fields))}
    union all
    select data.data.object.id, data.data.object.created
    from ${readBronzeRelation(webhooks, webhookEventType(payloadType(fields)))}
    where data.data.object.object = ${sqlString(objectName)}
  )`;
}

/** Total size of local (staged) files. */
export async function localBytes(paths: readonly string[]): Promise<number> {
  let total = 0;
  for (const p of paths) total += (await stat(p)).size;
  return total;
}
