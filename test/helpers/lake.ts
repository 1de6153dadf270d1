import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';

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
