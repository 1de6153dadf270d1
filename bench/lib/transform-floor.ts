/**
 * The transform floor (SPEC section 14): DuckDB's own `read_ndjson` -> `COPY … (FORMAT parquet)`
 * of the same Bronze parts, one statement per entity, no typing, no dedup, no Gold. With
 * `union_by_name`, as DuckDB's own error message advises: the schema it detects from a sample of
 * one part fails on another whose `meta` has a key the sample lacked (`event_id`).
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';

/** Seconds per entity and in total. */
export interface TransformFloorResult {
  readonly seconds: number;
  readonly rows: number;
  readonly entities: Record<string, { seconds: number; rows: number }>;
}

const sqlString = (s: string): string => `'${s.replaceAll("'", "''")}'`;

/**
 * Copies each entity's Bronze files (absolute paths) to one Parquet file under `outDir`.
 */
export async function transformFloor(
  filesByEntity: ReadonlyMap<string, readonly string[]>,
  outDir: string,
): Promise<TransformFloorResult> {
  await mkdir(outDir, { recursive: true });
  const inst = await DuckDBInstance.create(':memory:');
  const conn = await inst.connect();
  const entities: Record<string, { seconds: number; rows: number }> = {};
  let rows = 0;
  const t0 = performance.now();
  try {
    for (const [entity, files] of filesByEntity) {
      if (files.length === 0) continue;
      const t = performance.now();
      const reader = await conn.runAndReadAll(
        `COPY (SELECT * FROM read_ndjson([${files.map(sqlString).join(', ')}], union_by_name = true)) TO ${sqlString(join(outDir, `${entity}.parquet`))} (FORMAT parquet)`,
      );
      const n = Number(reader.getRows()[0]?.[0] ?? 0);
      entities[entity] = { seconds: (performance.now() - t) / 1000, rows: n };
      rows += n;
    }
  } finally {
    conn.closeSync();
    inst.closeSync();
  }
  return { seconds: (performance.now() - t0) / 1000, rows, entities };
}
