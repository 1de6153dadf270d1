import { existsSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import pLimit from 'p-limit';
import type { ObjectStore } from '../../src/storage/object-store.js';

/**
 * Reads of one lake inspection (or mirror) at once: on S3 every object is a round trip, and the lakes hold
 * hundreds to thousands of small objects (one after the other, reliability-s3 and publish-staged
 * spent most of their time in them).
 */
const READS_AT_ONCE = 16;

/** `fn` of every item, at most READS_AT_ONCE at a time; results in the items' order. */
export async function mapReads<T, R>(items: readonly T[], fn: (item: T) => Promise<R>): Promise<R[]> {
  const limit = pLimit(READS_AT_ONCE);
  return Promise.all(items.map((item) => limit(() => fn(item))));
}

/** Reads every row of a Silver table or Gold model under a local data root with DuckDB. */
export async function readLayer(
  root: string,
  layer: 'silver' | 'gold',
  table: string,
  columns = '*',
): Promise<Record<string, unknown>[]> {
  const dir =
    layer === 'silver'
      ? join(root, 'silver', 'source=stripe', `entity=${table}`)
      : join(root, 'gold', `model=${table}`);
  if (!existsSync(dir)) return [];
  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  try {
    const glob = join(dir, '*', 'data.parquet').replace(/'/g, "''");
    const reader = await conn.runAndReadAll(
      `select ${columns} from read_parquet('${glob}', hive_partitioning = false, union_by_name = true)`,
    );
    return reader.getRowObjectsJson() as Record<string, unknown>[];
  } finally {
    conn.closeSync();
    db.closeSync();
  }
}

/**
 * Mirrors the objects under `prefixes` of a store into a local directory, so that the local-root
 * helpers (readLayer, silverVsTruth, readGold) read an S3 lake too. Incremental: `seen` (key ->
 * ETag, kept by the caller between calls) skips unchanged objects; local files whose object is
 * gone are removed.
 */
export async function mirrorLake(
  store: ObjectStore,
  dir: string,
  prefixes: readonly string[],
  seen: Map<string, string>,
): Promise<void> {
  const listed = new Set<string>();
  for (const prefix of prefixes) {
    const objects = await store.list(prefix);
    await mapReads(objects, async (o) => {
      listed.add(o.key);
      const tag = o.etag ?? `${o.size}/${o.modifiedMs}`;
      if (seen.get(o.key) === tag) return;
      const bytes = await store.get(o.key);
      if (!bytes) throw new Error(`mirror: ${o.key} listed but not readable`);
      await mkdir(dirname(join(dir, o.key)), { recursive: true });
      await writeFile(join(dir, o.key), bytes);
      seen.set(o.key, tag);
    });
    for (const key of [...seen.keys()])
      if (key.startsWith(prefix) && !listed.has(key)) {
        await rm(join(dir, key), { force: true });
        seen.delete(key);
      }
  }
}
