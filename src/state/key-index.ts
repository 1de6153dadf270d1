import type { TableContract } from '../contracts/contract.js';
import { sqlString } from '../duckdb/sql-template.js';
import { dtOfKey, layout } from '../storage/layout.js';
import type { ObjectInfo, ObjectStore } from '../storage/object-store.js';
import { fingerprintOf } from './verified-index.js';

/**
 * The key -> partition index of every Silver table and Gold model (SPEC 14: "uniqueness across
 * partitions through the id -> partition index you keep"). A changed-scope check of a table's
 * keys (its primary key unique across partitions, a foreign key's targets) reads the keys of the
 * partitions it did not change from here, one small file, instead of opening every partition of
 * the table (366 a year) for one column.
 *
 * Sound because a partition's keys are taken from the index only while the partition is the very
 * object they were read from: each index file records, per partition (dt), the fingerprint (size
 * and ETag or mtime) of the object its keys came from, and a partition whose object has another
 * fingerprint now is read from its file. Written only by a quality run that passed, from what its
 * checks read; the index holds nothing a check did not read from a file, that run or before.
 * Scope `all` ignores it (every key from the files) and rewrites it whole.
 *
 * `_state/quality/keys.json` is the commit point: files are written first, under new names, and
 * only files it names are read. Each file: the table's key columns and `dt`.
 *
 * A file is immutable, so a partition read again from its object later stays in the older file:
 * the record keeps it there as retired (`null`), and a reader filters it out. (Version 1 dropped
 * such a partition from the record, so the next reader took its old keys as well: version 1
 * records are not read.)
 */
export interface KeyIndexRecord {
  readonly version: 2;
  readonly run_id: string;
  /** By `<layer>.<table>`. */
  readonly tables: Readonly<Record<string, TableKeyIndex>>;
}

export interface TableKeyIndex {
  /** The key columns the files hold (a changed contract key makes the entry unusable). */
  readonly key: readonly string[];
  /**
   * Oldest first; `parts`: every dt the file holds rows of -> the fingerprint of the object they
   * were read from, or `null` once they are not current (retired: always filtered out).
   */
  readonly files: readonly {
    readonly name: string;
    readonly parts: Readonly<Record<string, string | null>>;
  }[];
}

/**
 * Columns the index keeps beside a table's key: those that reads of a table's whole history
 * need (Gold's models computed from every day and its joins by id, quality's recomputations of
 * them, and the foreign keys the checks and Gold's dependency queries trace a changed row
 * through). A daily run then reads them from the index, a few files, instead of opening every
 * partition: DuckDB pays per file opened (376 charge partitions: 107 ms cold, 45 warm, against 10
 * for one file). Sound for the reason the changed scope is: a partition is taken from the index
 * only while it is the very object (same fingerprint) a passing run read those values from; the
 * others, and every partition in scope `all` or without an index, are read from their files.
 */
export const INDEX_COLUMNS: Readonly<Record<string, readonly string[]>> = {
  // dim_customers (sales by the customer's currency), fct_payments (amounts, its transaction,
  // its payment intent's invoice)
  'silver.charges': [
    'customer_id',
    'currency',
    'created_ts',
    'status',
    'amount',
    'amount_refunded',
    'balance_transaction_id',
    'payment_intent_id',
  ],
  // dim_customers' attributes
  'silver.customers': ['currency', 'email', 'name', 'created_ts', 'is_deleted', 'is_delinquent'],
  'silver.refunds': ['charge_id', 'currency', 'amount', 'status', 'is_deleted'],
  // fct_payments: a charge's disputes and the invoice it paid
  'silver.disputes': ['charge_id', 'status', 'created_ts', 'is_deleted'],
  'silver.invoices': ['payment_intent_id', 'charge_id', 'subscription_id', 'is_deleted'],
  // fct_payments (fee, net), the payouts' transactions, and the source a transaction is of
  'silver.balance_transactions': ['amount', 'fee', 'net', 'reporting_category', 'source_id'],
  // fct_payouts and its reconciliation
  'silver.payouts': [
    'status',
    'automatic',
    'is_deleted',
    'amount',
    'currency',
    'balance_transaction_id',
    'arrival_date_ts',
    'created_ts',
  ],
  // MRR from every subscription line (fct_mrr, and quality's recomputation)
  'silver.invoice_line_items': [
    'customer_id',
    'currency',
    'subscription_id',
    'price_id',
    'period_start_ts',
    'period_end_ts',
    'amount',
    'discount_amount',
    'line_type',
    'is_proration',
    'invoice_status',
    'is_deleted',
  ],
  'silver.prices': ['recurring_interval', 'recurring_interval_count'],
  // a changed parent's items, wherever they sit (items are dated by their own creation)
  'silver.subscription_items': ['subscription_id', 'is_deleted'],
  // the invoice a payment is of (Gold's dependency query of fct_payments)
  'gold.fct_payments': ['invoice_id'],
  // dim_customers' fees and net, by customer: the touched customers' transactions, read from here
  'gold.fct_balance_transactions': ['customer_id', 'currency', 'fee', 'net'],
  // freshness of a model whose partitions do not follow its business time
  'gold.fct_payouts': ['created_ts'],
};

/** The columns a table's index files hold, `dt` aside: its key, then its INDEX_COLUMNS. */
export function indexColumns(table: string, contract: TableContract): string[] {
  const extra = (INDEX_COLUMNS[table] ?? []).filter((c) => !contract.primaryKey.includes(c));
  return [...contract.primaryKey, ...extra];
}

/** Where the index files are: `<prefix><layer>.<table>/<name>.parquet`. */
export const KEY_INDEX_PREFIX = '_state/quality/keys/';
export const keyIndexFile = (table: string, name: string) => `${KEY_INDEX_PREFIX}${table}/${name}.parquet`;
/**
 * The name of a file a run writes (`suffix`, without `_`, keeps a rerun of the same run id apart).
 */
export const keyIndexFileName = (runId: string, suffix: string) => `run_${runId}_${suffix}`;
/**
 * The run that wrote a file, exactly: its name's run id (which may hold `_`) up to the last `_`.
 * A prefix test would take run `r1_x`'s files for run `r1`'s.
 */
export const keyIndexFileWriter = (name: string): string | undefined =>
  name.startsWith('run_') && name.lastIndexOf('_') > 3 ? name.slice(4, name.lastIndexOf('_')) : undefined;

/** How a table's keys are read this run: which index files give which partitions, which files the rest. */
export interface KeyPlan<T> {
  /**
   * `dts`: the partitions taken from the file; `skip`: every other partition it holds rows of
   * (retired, or whose objects changed or are gone), few in a daily run, so a reader filters them
   * out rather than the taken ones in.
   */
  readonly fromIndex: readonly {
    readonly name: string;
    readonly dts: readonly string[];
    readonly skip: readonly string[];
  }[];
  readonly fromFiles: readonly T[];
}

/**
 * For each object (one partition each), the newest index file that read the object as it is now
 * (same dt, same fingerprint); the objects none did are read from their files.
 */
export function planKeys<T extends Pick<ObjectInfo, 'key' | 'size' | 'modifiedMs' | 'etag'>>(
  entry: TableKeyIndex | undefined,
  key: readonly string[],
  objects: readonly T[],
): KeyPlan<T> {
  const usable = entry && entry.key.length === key.length && entry.key.every((k, i) => k === key[i]);
  const byFile = new Map<string, string[]>();
  const fromFiles: T[] = [];
  for (const o of objects) {
    const dt = dtOfKey(o.key);
    const fp = fingerprintOf(o);
    const file =
      usable && dt !== undefined ? [...entry.files].reverse().find((f) => f.parts[dt] === fp) : undefined;
    if (!file || dt === undefined) {
      fromFiles.push(o);
      continue;
    }
    const dts = byFile.get(file.name) ?? [];
    dts.push(dt);
    byFile.set(file.name, dts);
  }
  return {
    fromIndex: [...byFile].map(([name, dts]) => {
      const taken = new Set(dts);
      const parts = Object.keys(entry?.files.find((f) => f.name === name)?.parts ?? {});
      return { name, dts: dts.sort(), skip: parts.filter((dt) => !taken.has(dt)).sort() };
    }),
    fromFiles,
  };
}

/** The record, or undefined when there is none or it cannot be read (the checks then read files). */
export async function loadKeyIndex(store: ObjectStore): Promise<KeyIndexRecord | undefined> {
  const body = await store.get(layout.qualityKeyIndex());
  if (!body) return undefined;
  try {
    const parsed = JSON.parse(Buffer.from(body).toString('utf8')) as KeyIndexRecord;
    return parsed.version === 2 && typeof parsed.tables === 'object' && parsed.tables ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/**
 * After a promote: the partitions it moved carry their published fingerprint in the index (as in
 * `refreshVerified`: the quality run read them staged, and a move may re-time them), so the next
 * run takes their keys from the index. Only what this run's quality wrote is updated: the files
 * it wrote, in a record it wrote (a partition moved that an older file holds was not read by this
 * run, and keeps the old fingerprint, so it is read from its object next time), and never a
 * retired partition.
 */
export async function refreshKeyIndex(
  store: ObjectStore,
  runId: string,
  published: ReadonlyMap<string, Pick<ObjectInfo, 'size' | 'modifiedMs' | 'etag'>>,
): Promise<void> {
  const record = await loadKeyIndex(store);
  if (!record || record.run_id !== runId) return;
  let changed = false;
  const tables = Object.fromEntries(
    Object.entries(record.tables).map(([table, entry]) => {
      const [layer, name = ''] = table.split('.');
      const keyOf = (dt: string) =>
        layer === 'gold' ? layout.goldPartition(name, dt) : layout.silverPartition(name, dt);
      const files = entry.files.map((f) => {
        if (keyIndexFileWriter(f.name) !== runId) return f;
        const parts = { ...f.parts };
        for (const dt of Object.keys(parts)) {
          const info = published.get(keyOf(dt));
          if (info && parts[dt] !== null && parts[dt] !== fingerprintOf(info)) {
            parts[dt] = fingerprintOf(info);
            changed = true;
          }
        }
        return { ...f, parts };
      });
      return [table, { ...entry, files }];
    }),
  );
  if (changed) await store.put(layout.qualityKeyIndex(), `${JSON.stringify({ ...record, tables })}\n`);
}

/**
 * SQL filtering an index file's rows down to the partitions taken from it: those not skipped (a
 * literal list of the few skipped; a subquery of the taken ones, every partition of the table,
 * cost the 1m references probe a second).
 */
export function skipSql(skip: readonly string[]): string {
  return skip.length === 0 ? '' : ` where dt not in (${skip.map(sqlString).join(', ')})`;
}
