/**
 * DDL that registers the published lake in another engine (SPEC section 17): every Silver table
 * and Gold model as an external table (Athena, Trino's Hive connector) or a view (DuckDB) over its
 * Hive-partitioned Parquet, `dt` as the partition key, column types from the contracts. The lake
 * itself is the interface: nothing is copied, the engines read the published keys in place.
 */
import type { ColumnDef, ColumnType } from '../contracts/contract.js';
import { GOLD_CONTRACTS } from '../contracts/gold.js';
import { SILVER_CONTRACTS, SILVER_TABLES } from '../contracts/silver.js';
import type { ErrorKind } from '../errors.js';
import { layout } from '../storage/layout.js';

export type CatalogEngine = 'duckdb' | 'athena' | 'trino';
export const CATALOG_ENGINES: readonly CatalogEngine[] = ['duckdb', 'athena', 'trino'];

/** One published table: its name, where its partitions live (relative to the root), its columns. */
export interface CatalogTable {
  readonly layer: 'silver' | 'gold';
  readonly name: string;
  readonly grain: string;
  /** Relative key prefix holding `dt=YYYY-MM-DD/data.parquet`, ending in `/`. */
  readonly prefix: string;
  /** Every column in contract order, `dt` included. */
  readonly columns: readonly ColumnDef[];
}

/** Every Silver table and Gold model, from the contracts. */
export function catalogTables(): CatalogTable[] {
  return [
    ...SILVER_TABLES.map((t) => ({
      layer: 'silver' as const,
      name: t,
      grain: SILVER_CONTRACTS[t].grain,
      prefix: layout.silverEntityPrefix(t),
      columns: SILVER_CONTRACTS[t].columns,
    })),
    ...GOLD_CONTRACTS.map((m) => ({
      layer: 'gold' as const,
      name: m.name,
      grain: m.grain,
      prefix: layout.goldModelPrefix(m.name),
      columns: m.columns,
    })),
  ];
}

/** The partition column every published table has (SPEC section 3.1). */
const PARTITION = 'dt';

/**
 * Column types per engine. Athena and Trino read the Parquet through the Hive table format:
 * TIMESTAMPTZ (Parquet timestamps adjusted to UTC) is Hive `timestamp`, JSON text is a string.
 */
const TYPES: Record<Exclude<CatalogEngine, 'duckdb'>, Record<ColumnType, string>> = {
  athena: {
    VARCHAR: 'string',
    BIGINT: 'bigint',
    INTEGER: 'int',
    DOUBLE: 'double',
    BOOLEAN: 'boolean',
    TIMESTAMPTZ: 'timestamp',
    DATE: 'date',
    JSON: 'string',
    'DECIMAL(18,4)': 'decimal(18,4)',
  },
  trino: {
    VARCHAR: 'varchar',
    BIGINT: 'bigint',
    INTEGER: 'integer',
    DOUBLE: 'double',
    BOOLEAN: 'boolean',
    TIMESTAMPTZ: 'timestamp',
    DATE: 'date',
    JSON: 'varchar',
    'DECIMAL(18,4)': 'decimal(18,4)',
  },
};

/** Options of {@link catalogDdl}. */
export interface CatalogOptions {
  /** Root of the lake: `s3://bucket/prefix` or, for DuckDB, a local directory too. */
  readonly location: string;
  /**
   * Athena database, Trino `catalog.schema` (default `payments` and `hive.payments`); DuckDB: the
   * views go into the current schema.
   */
  readonly database?: string;
  /**
   * DuckDB only: the tables that have at least one published partition. DuckDB binds a view when it
   * is created and cannot bind one over no files, so the others get a comment instead.
   */
  readonly published?: ReadonlySet<string>;
  /** First day Athena's partition projection covers (default 2009-01-01: Stripe's first year). */
  readonly since?: string;
}

/** A bad option of the `catalog` command (a usage error). */
export class CatalogOptionError extends Error {
  override readonly name = 'CatalogOptionError';
  readonly kind: ErrorKind = 'usage';
}

/**
 * The DDL registering every published table in `engine`, as one SQL script (statements end with
 * `;` and are separated by a blank line).
 *
 * @example
 * catalogDdl('athena', { location: 's3://lake/payments' });
 * // CREATE DATABASE IF NOT EXISTS `payments`; CREATE EXTERNAL TABLE IF NOT EXISTS `payments`.`charges` (…
 */
export function catalogDdl(engine: CatalogEngine, opts: CatalogOptions): string {
  const root = opts.location.replace(/\/+$/, '');
  if (engine !== 'duckdb' && !/^s3:\/\/[^/]+/.test(root)) {
    throw new CatalogOptionError(
      `--location: ${engine} reads S3; accepts s3://bucket[/prefix] (got "${opts.location}")`,
    );
  }
  const since = opts.since ?? '2009-01-01';
  if (!/^\d{4}-\d{2}-\d{2}$/.test(since))
    throw new CatalogOptionError(`since: accepts YYYY-MM-DD (got "${since}")`);
  const tables = catalogTables();
  const header = `-- payments-pipeline catalog --engine ${engine}: ${tables.length} tables over ${root}/`;
  let statements: string[];
  switch (engine) {
    case 'duckdb':
      statements = tables.map((t) => duckdbView(t, root, opts.published));
      break;
    case 'athena': {
      const db = opts.database ?? 'payments';
      statements = [
        `CREATE DATABASE IF NOT EXISTS \`${db}\`;`,
        ...tables.map((t) => athenaTable(t, root, db, since)),
      ];
      break;
    }
    case 'trino': {
      const schema = opts.database ?? 'hive.payments';
      const [catalog, name] = schema.includes('.') ? schema.split('.', 2) : ['hive', schema];
      statements = [
        `CREATE SCHEMA IF NOT EXISTS ${catalog}.${name};`,
        ...tables.map((t) => trinoTable(t, root, `${catalog}.${name}`)),
      ];
      break;
    }
  }
  return `${header}\n\n${statements.join('\n\n')}\n`;
}

const dq = (id: string) => `"${id.replace(/"/g, '""')}"`;
const bq = (id: string) => `\`${id.replace(/`/g, '``')}\``;
const sq = (s: string) => `'${s.replace(/'/g, "''")}'`;
/** Hive DDL (Athena) string literals escape with a backslash. */
const hiveSq = (s: string) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

/** A DuckDB view: every contract column cast to its type; `dt` from the partition path. */
function duckdbView(t: CatalogTable, root: string, published: ReadonlySet<string> | undefined): string {
  if (published && !published.has(t.name)) {
    return `-- ${t.name} (${t.layer}): nothing published yet; run the command again after a run publishes it.`;
  }
  const cols = t.columns.map((c) => `  ${dq(c.name)}::${c.type} AS ${dq(c.name)}`).join(',\n');
  const glob = `${root}/${t.prefix}${PARTITION}=*/data.parquet`;
  return (
    `-- ${t.layer}: ${t.grain}\n` +
    `CREATE OR REPLACE VIEW ${dq(t.name)} AS\nSELECT\n${cols}\n` +
    `FROM read_parquet(${sq(glob)}, hive_partitioning = true, hive_types = {${sq(PARTITION)}: DATE}, union_by_name = true);`
  );
}

/** Data columns (everything but the partition key), typed for a Hive-format engine. */
function hiveColumns(t: CatalogTable, engine: 'athena' | 'trino', quote: (s: string) => string): string[] {
  return t.columns
    .filter((c) => c.name !== PARTITION)
    .map((c) => `  ${quote(c.name)} ${TYPES[engine][c.type]}`);
}

/**
 * An Athena external table with partition projection on `dt` (type `date`, `yyyy-MM-dd`, one day
 * apart, from `since` to NOW): new partitions are visible without `MSCK REPAIR` or Glue crawlers.
 * The partition key is a string, as Athena's projection writes it into the location template.
 */
function athenaTable(t: CatalogTable, root: string, db: string, since: string): string {
  const location = `${root}/${t.prefix}`;
  const props: [string, string][] = [
    ['projection.enabled', 'true'],
    [`projection.${PARTITION}.type`, 'date'],
    [`projection.${PARTITION}.format`, 'yyyy-MM-dd'],
    [`projection.${PARTITION}.range`, `${since},NOW`],
    [`projection.${PARTITION}.interval`, '1'],
    [`projection.${PARTITION}.interval.unit`, 'DAYS'],
    ['storage.location.template', `${location}${PARTITION}=\${${PARTITION}}/`],
  ];
  return (
    `CREATE EXTERNAL TABLE IF NOT EXISTS ${bq(db)}.${bq(t.name)} (\n${hiveColumns(t, 'athena', bq).join(',\n')}\n)\n` +
    `COMMENT ${hiveSq(`${t.layer}: ${t.grain}`)}\n` +
    `PARTITIONED BY (${bq(PARTITION)} string)\n` +
    'STORED AS PARQUET\n' +
    `LOCATION ${hiveSq(location)}\n` +
    `TBLPROPERTIES (\n${props.map(([k, v]) => `  ${hiveSq(k)} = ${hiveSq(v)}`).join(',\n')}\n);`
  );
}

/**
 * A Trino Hive-connector external table (partition key last, as the connector requires), then the
 * procedure that registers the partitions there (FULL: adds new ones, drops removed ones); run it
 * again after each batch run.
 */
function trinoTable(t: CatalogTable, root: string, schema: string): string {
  const [catalog, name] = schema.split('.', 2) as [string, string];
  const cols = [...hiveColumns(t, 'trino', dq), `  ${dq(PARTITION)} varchar`];
  return (
    `CREATE TABLE IF NOT EXISTS ${schema}.${dq(t.name)} (\n${cols.join(',\n')}\n)\n` +
    `COMMENT ${sq(`${t.layer}: ${t.grain}`)}\n` +
    `WITH (\n  external_location = ${sq(`${root}/${t.prefix}`)},\n  format = 'PARQUET',\n  partitioned_by = ARRAY[${sq(PARTITION)}]\n);\n` +
    `CALL ${catalog}.system.sync_partition_metadata(${sq(name)}, ${sq(t.name)}, 'FULL');`
  );
}
