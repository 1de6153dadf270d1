import { mkdir } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { SOURCE_RANK } from '../bronze/envelope.js';
import { sqlString } from './sql-template.js';

/** Rows a partitioned COPY buffers per partition before writing them (bounded memory). */
export const PARTITIONED_WRITE_FLUSH_ROWS = 20_000;

/** Partition files a partitioned COPY keeps open (each buffers up to a row group). */
export const PARTITIONED_WRITE_MAX_OPEN_FILES = 16;

/** Memory a DuckDB thread may keep cached after freeing it, and the bulk-free threshold. */
const ALLOCATOR_FLUSH = '8MB';

/**
 * Input up to which a session's work runs with DuckDB's own allocator caching (128 MB per thread,
 * bulk frees past 512 MB) instead of `ALLOCATOR_FLUSH`: handing freed memory back at once and
 * faulting it in again cost the tiny quick start 16% of its CPU (14.2 against 16.6 CPU-s, peak
 * 413 against 337 MiB), a price worth paying only where the peak could near SPEC 14's 1 GiB.
 * Bronze JSON bytes, or Parquet bytes times `PARQUET_EXPANSION`.
 */
export const CACHING_ALLOCATOR_UP_TO_BYTES = 256 * 1024 ** 2;

/** How many times its Parquet size a Silver partition may take in memory (wide JSON columns). */
export const PARQUET_EXPANSION = 8;

/**
 * DuckDB's memory limit when the caller gives none (the pipeline passes the `DUCKDB_MEMORY_LIMIT`
 * setting). Beyond it DuckDB spills to the session's temp directory.
 */
export const DEFAULT_MEMORY_LIMIT = '384MB';

/** Bytes of a DuckDB size setting such as `512MB`, `1GB` or `768MiB` (decimal and binary units). */
export function sizeBytes(size: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(KB|MB|GB|KiB|MiB|GiB)$/i.exec(size.trim());
  if (!m) throw new Error(`not a size: "${size}" (expected e.g. 512MB or 1GB)`);
  const unit = m[2]!.toLowerCase();
  const base = unit.endsWith('ib') ? 1024 : 1000;
  const power = { k: 1, m: 2, g: 3 }[unit[0] as 'k' | 'm' | 'g'];
  return Math.round(Number(m[1]) * base ** power);
}

export interface DuckSession {
  readonly conn: DuckDBConnection;
  /** The session's memory limit in bytes. */
  readonly memoryBytes: number;
  /** Runs a query and returns its rows as JSON-friendly objects. */
  rows<T = Record<string, unknown>>(sql: string): Promise<T[]>;
  /**
   * Another connection to the same database (macros and views shared, temp tables not), with the
   * same connection settings, for independent statements in parallel.
   */
  connect(): Promise<DuckDBConnection>;
  /**
   * Sizes the allocator's caches to the input of the work that follows (bytes, as for
   * `CACHING_ALLOCATOR_UP_TO_BYTES`): a session opens with the tight setting, the safe one.
   */
  fitAllocator(inputBytes: number): Promise<void>;
  close(): void;
}

/**
 * One in-memory DuckDB per transform run: threads = cores (or `threads`), a memory limit with
 * spilling to a temp directory, UTC session time zone (dt is a UTC date), and the helper macros
 * the models use.
 */
export async function openDuckSession(opts: {
  workDir: string;
  pathBase: string;
  memoryLimit?: string;
  /** DuckDB's threads (the `DUCKDB_THREADS` setting); default the CPUs Node.js may use. */
  threads?: number | undefined;
}): Promise<DuckSession> {
  const tmp = join(opts.workDir, 'duckdb-tmp');
  await mkdir(tmp, { recursive: true });
  const instance = await DuckDBInstance.create(':memory:');
  const conn = await instance.connect();
  const base = opts.pathBase.replace(/\\/g, '/').replace(/\/+$/, '');
  const rankCases = Object.entries(SOURCE_RANK)
    .map(([s, r]) => `when ${sqlString(s)} then ${r}`)
    .join(' ');
  // Settings of the connection (DuckDB keeps these per connection): every connection gets them.
  const connectionSettings = [
    `set TimeZone = 'UTC'`,
    // checks and Gold read the same Parquet files many times: keep their footers
    'set parquet_metadata_cache = true',
    // A partitioned COPY buffers rows per partition until this many (default 524,288): with
    // wide Stripe rows (~2 KB) that is over the memory limit before anything is written
    // (silver.events at 100k charges failed with "Out of Memory"); flush far sooner.
    `set partitioned_write_flush_threshold = ${PARTITIONED_WRITE_FLUSH_ROWS}`,
    // ...and every open partition file buffers its row group: at 1m charges (3,200 wide rows a
    // day) 100 open files (the default) hold over 512 MB. Fewer open files: a partition seen
    // again after its file was closed gets a second file, which the per-partition rewrite merges.
    `set partitioned_write_max_open_files = ${PARTITIONED_WRITE_MAX_OPEN_FILES}`,
  ];
  for (const stmt of [
    `set threads = ${opts.threads ?? availableParallelism()}`,
    `set memory_limit = ${sqlString(opts.memoryLimit ?? DEFAULT_MEMORY_LIMIT)}`,
    `set temp_directory = ${sqlString(tmp)}`,
    // DuckDB's copy of the file ranges it read: our files are local (S3 objects are staged on
    // disk), where the OS caches them anyway, and freeing it made every close take 0.8 s on the
    // main thread at 100k charges (transform's and quality's: 1.6 s of a 26 s daily run).
    'set enable_external_file_cache = false',
    ...connectionSettings,
    // Freed memory goes back sooner (DuckDB keeps up to 128 MB per thread cache by default, and
    // flushes in bulk past 512 MB): a full-refresh transform of the 1m lake peaked at 739 and
    // 767 MiB with these against 804 and 881 MiB without (SPEC 14's 1 GiB).
    `set allocator_flush_threshold = ${sqlString(ALLOCATOR_FLUSH)}`,
    `set allocator_bulk_deallocation_flush_threshold = ${sqlString(ALLOCATOR_FLUSH)}`,
    'set allocator_background_threads = true',
    // api > events > webhook on equal version time (SPEC section 7), from the envelope's table
    `create or replace macro source_rank(s) as case s ${rankCases} else 0 end`,
    // a reference is an id string, or an expanded object carrying the id
    `create or replace macro ref_id(j) as case when json_type(j) = 'OBJECT' then j ->> '$.id' else j ->> '$' end`,
    `create or replace macro bronze_key(p) as substr(replace(p, '\\', '/'), ${base.length + 2})`,
  ]) {
    await conn.run(stmt);
  }
  let caching = false;
  return {
    conn,
    memoryBytes: sizeBytes(opts.memoryLimit ?? DEFAULT_MEMORY_LIMIT),
    async fitAllocator(inputBytes) {
      const want = inputBytes <= CACHING_ALLOCATOR_UP_TO_BYTES;
      if (want === caching) return;
      for (const name of ['allocator_flush_threshold', 'allocator_bulk_deallocation_flush_threshold'])
        await conn.run(want ? `reset ${name}` : `set ${name} = ${sqlString(ALLOCATOR_FLUSH)}`);
      caching = want;
    },
    async rows<T>(sql: string): Promise<T[]> {
      const reader = await conn.runAndReadAll(sql);
      return reader.getRowObjectsJson() as T[];
    },
    async connect() {
      const other = await instance.connect();
      for (const stmt of connectionSettings) await other.run(stmt);
      return other;
    },
    close() {
      conn.closeSync();
      instance.closeSync();
    },
  };
}
