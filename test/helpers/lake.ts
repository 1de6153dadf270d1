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

/** Every object of `/_mock/truth/<entity>` (NDJSON). */
export async function fetchTruth(mockUrl: string, entity: string): Promise<Record<string, unknown>[]> {
  const res = await fetch(`${mockUrl}/_mock/truth/${entity}`);
  if (!res.ok) throw new Error(`truth ${entity}: HTTP ${res.status}`);
  const text = await res.text();
  return text
    .split('\n')
    .filter((l) => l.trim().length > 0)
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** Moves the mock's clock. */
export async function advanceMockClock(mockUrl: string, seconds: number): Promise<void> {
  const res = await fetch(`${mockUrl}/_mock/clock`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ advance_seconds: seconds }),
  });
  if (!res.ok) throw new Error(`clock: HTTP ${res.status}`);
}

/** Sets the mock's fault configuration. */
export async function configureMock(mockUrl: string, config: Record<string, number>): Promise<void> {
  const res = await fetch(`${mockUrl}/_mock/config`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(config),
  });
  if (!res.ok) throw new Error(`config: HTTP ${res.status}`);
}
