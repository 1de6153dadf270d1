import { rm } from 'node:fs/promises';
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { createStager } from '../duckdb/stager.js';
import { readLatest } from '../state/publish.js';
import type { ObjectStore } from '../storage/object-store.js';
import { makeScratchDir } from '../storage/scratch-dir.js';

/** One view of the published lake: a Silver entity or a Gold model, and the objects behind it. */
export interface LakeTable {
  readonly name: string;
  readonly layer: 'silver' | 'gold';
  readonly keys: readonly string[];
}

const SILVER_ROOT = 'silver/source=stripe/';
const LATEST_ROOT = '_state/manifests/_latest/';

/**
 * What readers may see (SPEC section 12.1): Gold through the keys of its `_latest` pointers (a
 * failed run's rebuilt partitions are not named by a pointer), Silver as published (its staged
 * partitions live under `_staging/`, never under `silver/`).
 */
export async function listPublishedTables(
  store: ObjectStore,
  layers: readonly LakeTable['layer'][] = ['silver', 'gold'],
): Promise<LakeTable[]> {
  const silver = new Map<string, string[]>();
  // Silver is listed only when asked for: 4,600 objects at 100k charges, 0.15 s on disk
  for (const o of layers.includes('silver') ? await store.list(SILVER_ROOT) : []) {
    const m = /^silver\/source=stripe\/entity=([^/]+)\/dt=[^/]+\/data\.parquet$/.exec(o.key);
    if (!m) continue;
    const keys = silver.get(m[1]!) ?? [];
    keys.push(o.key);
    silver.set(m[1]!, keys);
  }
  const out: LakeTable[] = [...silver].map(([name, keys]) => ({ name, layer: 'silver', keys }));
  const models = (layers.includes('gold') ? await store.list(LATEST_ROOT) : [])
    .map((o) => o.key.slice(LATEST_ROOT.length))
    .filter((k) => k.endsWith('.json') && !k.includes('/'))
    .map((k) => k.slice(0, -'.json'.length));
  for (const model of models) {
    const pointer = await readLatest(store, model);
    // A model published with no rows has no partition: no view rather than a failing one.
    if (pointer && pointer.keys.length > 0) out.push({ name: model, layer: 'gold', keys: pointer.keys });
  }
  return out.sort((a, b) => a.layer.localeCompare(b.layer) || a.name.localeCompare(b.name));
}

export interface PublishedLake {
  readonly conn: DuckDBConnection;
  /** `conn` and the other connections asked for, to read side by side. */
  readonly conns: readonly DuckDBConnection[];
  /** The tables that have a view, by name. */
  readonly tables: readonly LakeTable[];
  close(): Promise<void>;
}

const sqlString = (s: string) => `'${s.replace(/'/g, "''")}'`;
const ident = (s: string) => `"${s.replace(/"/g, '""')}"`;

/**
 * An in-memory DuckDB with one view per published table, named as the table is
 * (`select * from charges`, `from daily_overview`). `only` picks the tables that get a view; on
 * S3 just their objects are downloaded into a scratch directory (DuckDB has no S3 access here),
 * on disk the files are read in place.
 *
 * @example
 * const lake = await openPublishedLake(store, { only: (t) => t.name === 'daily_overview' });
 * try { await lake.conn.runAndReadAll('select * from daily_overview'); } finally { await lake.close(); }
 */
export async function openPublishedLake(
  store: ObjectStore,
  opts: {
    only?: (t: LakeTable) => boolean;
    layers?: readonly LakeTable['layer'][];
    /** Connections to open (default 1); all before the configuration is locked. */
    connections?: number;
    /** The objects a table's view reads, of its published ones (default all); none: no view. */
    keysOf?: (t: LakeTable) => readonly string[];
  } = {},
): Promise<PublishedLake> {
  const tables = (await listPublishedTables(store, opts.layers))
    .filter(opts.only ?? (() => true))
    .map((t) => (opts.keysOf ? { ...t, keys: opts.keysOf(t) } : t))
    .filter((t) => t.keys.length > 0);
  const scratch = await makeScratchDir('query');
  const instance = await DuckDBInstance.create(':memory:');
  const conns = await Promise.all(
    Array.from({ length: Math.max(1, opts.connections ?? 1) }, () => instance.connect()),
  );
  const conn = conns[0]!;
  const close = async () => {
    for (const c of conns) c.closeSync();
    instance.closeSync();
    await rm(scratch, { recursive: true, force: true });
  };
  try {
    const stager = createStager(store, scratch);
    await stager.stage(tables.flatMap((t) => t.keys));
    // a setting of each connection; views read each file's footer when bound (union_by_name
    // reads every file's schema), and a query binds its view again: keep the footers
    for (const c of conns) {
      await c.run(`set TimeZone = 'UTC'`);
      await c.run('set parquet_metadata_cache = true');
    }
    for (const t of tables) {
      const files = t.keys.map((k) => sqlString(stager.localPath(k))).join(', ');
      // `dt` is a column of every table already; union_by_name: old partitions may lack a column
      // added since (it reads as NULL).
      await conn.run(
        `create view ${ident(t.name)} as select * from read_parquet([${files}], hive_partitioning = false, union_by_name = true)`,
      );
    }
    // Reads stay within what was staged or published: no other file, no network, no extension.
    const dirs = [stager.base, scratch].map((d) => sqlString(d.endsWith('/') ? d : `${d}/`)).join(', ');
    await conn.run(`set allowed_directories = [${dirs}]`);
    await conn.run('set enable_external_access = false');
    await conn.run('set autoinstall_known_extensions = false');
    await conn.run('set autoload_known_extensions = false');
    await conn.run('set lock_configuration = true');
  } catch (err) {
    await close();
    throw err;
  }
  return { conn, conns, tables, close };
}

/** The published tables a SQL text names (as whole words), so that only those are staged. */
export function tablesNamedIn(sql: string): (t: LakeTable) => boolean {
  const words = new Set(sql.toLowerCase().match(/[a-z_][a-z0-9_]*/g) ?? []);
  return (t) => words.has(t.name.toLowerCase());
}
