import { dtOfKey } from '../storage/layout.js';
import type { ObjectInfo } from '../storage/object-store.js';
import { payloadType, readBronzeRelation } from './bronze-read.js';
import { chunksOfBytes } from './read-chunks.js';
import type { DuckSession } from './session.js';
import { sqlString } from './sql-template.js';
import type { Stager } from './stager.js';

/**
 * Runs of consecutive days whose Bronze together stays within `budget` bytes (a day larger than
 * the budget is a run of its own), in day order. Keys without a dt are ignored.
 */
export function dayChunks(objs: readonly Pick<ObjectInfo, 'key' | 'size'>[], budget: number): string[][] {
  const bytes = new Map<string, number>();
  for (const o of objs) {
    const dt = dtOfKey(o.key);
    if (dt !== undefined) bytes.set(dt, (bytes.get(dt) ?? 0) + o.size);
  }
  return chunksOfBytes([...bytes.keys()].sort(), bytes, budget);
}

/**
 * One chunk of a child table's parents: the range of their created days, `from` (inclusive) to
 * `to` (exclusive), open on the first and last chunk (so a parent known only from a webhook
 * delivery, whose day has no Bronze of its own, still falls in one), and the Bronze that holds them.
 */
export interface ParentDayChunk {
  readonly from?: string;
  readonly to?: string;
  /** The parent's Bronze and the fetched pages of those days, and every file with a bare tombstone. */
  readonly keys: readonly string[];
}

/** SQL: whether the VARCHAR date `expr` falls in the chunk's range. */
export function inDayRange(expr: string, c: Pick<ParentDayChunk, 'from' | 'to'>): string {
  const parts = [
    ...(c.from === undefined ? [] : [`${expr} >= ${sqlString(c.from)}`]),
    ...(c.to === undefined ? [] : [`${expr} < ${sqlString(c.to)}`]),
  ];
  if (parts.length === 0) return 'true';
  // the first chunk also takes what has no date, as one whole query would
  return c.from === undefined ? `(${parts[0]} or ${expr} is null)` : `(${parts.join(' and ')})`;
}

/**
 * Splits a child table's parent Bronze (and fetched pages) into runs of the parents' created days
 * that fit `budget`, so that one query never holds all of a large parent's Bronze (the 1m
 * preset's invoices ran DuckDB out of memory). Undefined when the whole fits in one query.
 *
 * A parent's versions all sit in its created day's Bronze, except a bare tombstone (a deleted
 * object without `created`, e.g. a retrieval that found nothing), which lands on another day: the
 * files holding one are read by every chunk, so that it still ends its parent's children.
 */
export async function parentDayChunks(
  io: { session: DuckSession; stager: Stager },
  own: readonly ObjectInfo[],
  pages: readonly ObjectInfo[],
  budget?: number,
): Promise<ParentDayChunk[] | undefined> {
  const days = dayChunks([...own, ...pages], budget ?? chunkBudget(io.session.memoryBytes));
  if (days.length <= 1) return undefined;
  const tombstoneFiles = await bareTombstoneKeys(
    io,
    own.map((o) => o.key),
  );
  return rangesOf(days, (set) => [
    ...new Set(
      [...own, ...pages].map((o) => o.key).filter((k) => set.has(dtOfKey(k) ?? '') || tombstoneFiles.has(k)),
    ),
  ]);
}

/**
 * Splits an entity's Bronze into runs of its objects' created days that fit `budget` (all of an
 * object's versions sit in its created day's Bronze). Undefined when the whole fits in one query.
 * An object without `created` breaks that rule (each version lands on its own date): the caller
 * finds it by a row without `created_ts` and builds the table whole instead.
 */
export function entityDayChunks(own: readonly ObjectInfo[], budget: number): ParentDayChunk[] | undefined {
  const days = dayChunks(own, budget);
  if (days.length <= 1) return undefined;
  return rangesOf(days, (set) => own.map((o) => o.key).filter((k) => set.has(dtOfKey(k) ?? '')));
}

/** Open-ended ranges over runs of days, each with the keys `keysOf` picks for its days. */
function rangesOf(
  days: readonly string[][],
  keysOf: (days: ReadonlySet<string>) => string[],
): ParentDayChunk[] {
  return days.map((chunk, n) => ({
    ...(n > 0 ? { from: chunk[0]! } : {}),
    ...(n < days.length - 1 ? { to: days[n + 1]![0]! } : {}),
    keys: keysOf(new Set(chunk)),
  }));
}

/** Bronze bytes one run of days may hold: a share of DuckDB's memory limit. */
export const chunkBudget = (memoryBytes: number): number => memoryBytes * DAY_CHUNK_SHARE;

/**
 * The share of DuckDB's memory limit that one run of days of Bronze may take (JSON bytes): the
 * versions, ranked (a child's parents with their lists unnested), take several times their size,
 * and DuckDB's JSON reader holds memory outside its limit in proportion to what one statement
 * reads. A quarter (96 MB of events at a 384 MB limit) took a full-refresh transform at 1m to
 * 979 MiB RSS while it built silver.events alone; an eighth, 708 MiB, for 1.3 s more of 67 s.
 */
const DAY_CHUNK_SHARE = 0.125;

/** The Bronze files (of `keys`) holding a tombstone without `created`. */
async function bareTombstoneKeys(
  io: { session: DuckSession; stager: Stager },
  keys: readonly string[],
): Promise<Set<string>> {
  await io.stager.stage(keys);
  const rows = await io.session.rows<{ key: string }>(
    `select distinct bronze_key(filename) as key
     from ${readBronzeRelation(
       keys.map((k) => io.stager.localPath(k)),
       payloadType({ created: 'BIGINT' }),
     )}
     where meta.deleted and data.created is null`,
  );
  return new Set(rows.map((r) => r.key));
}
