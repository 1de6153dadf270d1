import type { TableContract } from '../contracts/contract.js';
import { GOLD_CONTRACTS } from '../contracts/gold.js';
import { SILVER_CONTRACTS, SILVER_TABLES } from '../contracts/silver.js';
import { sqlIdent } from '../duckdb/sql-template.js';
import { dtOfKey } from '../storage/layout.js';
import type { ObjectInfo } from '../storage/object-store.js';
import { capped, MAX_EXAMPLES, num } from './examples.js';
import {
  goldPartitions,
  goldView,
  keyProfile,
  keysView,
  type QualityContext,
  readFileColumns,
  silverPartitions,
  silverView,
} from './quality-context.js';
import { changedDts } from './scope.js';
import type { CheckResult, PlannedCheck } from './types.js';

/** DuckDB spells some types two ways; the contracts use the short names. */
const TYPE_ALIASES: Readonly<Record<string, string>> = {
  'TIMESTAMP WITH TIME ZONE': 'TIMESTAMPTZ',
  INT64: 'BIGINT',
  INT8: 'BIGINT',
  INT4: 'INTEGER',
  INT: 'INTEGER',
  FLOAT8: 'DOUBLE',
  BOOL: 'BOOLEAN',
  STRING: 'VARCHAR',
  TEXT: 'VARCHAR',
};

export function normalizeType(type: string): string {
  const t = type.trim().toUpperCase();
  return TYPE_ALIASES[t] ?? t;
}

/** How one file's columns differ from the contract. */
export interface ColumnDiff {
  missing: string[];
  extra: string[];
  wrong_type: { column: string; expected: string; actual: string }[];
  /** Same columns and types, different order. */
  order_differs: boolean;
}

/** Compares actual columns (name, DuckDB type, in file order) with a contract, exactly. */
export function diffColumns(
  expected: TableContract['columns'],
  actual: readonly { name: string; type: string }[],
): ColumnDiff {
  const want = new Map(expected.map((c) => [c.name, normalizeType(c.type)]));
  const have = new Map(actual.map((c) => [c.name, normalizeType(c.type)]));
  const missing = expected.map((c) => c.name).filter((n) => !have.has(n));
  const extra = actual.map((c) => c.name).filter((n) => !want.has(n));
  const wrong_type = expected
    .filter((c) => have.has(c.name) && have.get(c.name) !== want.get(c.name))
    .map((c) => ({ column: c.name, expected: want.get(c.name)!, actual: have.get(c.name)! }));
  const sameSet = missing.length === 0 && extra.length === 0;
  const order_differs = sameSet && expected.some((c, i) => actual[i]?.name !== c.name);
  return { missing, extra, wrong_type, order_differs };
}

export function diffIsEmpty(d: ColumnDiff): boolean {
  return d.missing.length === 0 && d.extra.length === 0 && d.wrong_type.length === 0 && !d.order_differs;
}

/** Columns of each Parquet file: as the context read them when it made the views, else read now. */
async function fileColumns(
  ctx: QualityContext,
  paths: readonly string[],
): Promise<Map<string, readonly { name: string; type: string }[]>> {
  const known = paths.every((p) => ctx.fileColumns.has(p));
  if (known) return new Map(paths.map((p) => [p, ctx.fileColumns.get(p)!]));
  return readFileColumns(ctx.db, paths);
}

/**
 * Duplicated and NULL primary keys over a view, with the partitions holding each duplicate.
 * A composite key is reported as an object per key.
 */
async function primaryKeyProblems(
  ctx: QualityContext,
  whole: string,
  key: readonly string[],
  /** The rows of the changed partitions (scope `changed`): only their keys are checked. */
  changed?: string,
  /** The table's keys and `_file` (`keysView`): what the changed keys are looked up in. */
  keys = whole,
): Promise<Record<string, unknown>> {
  const cols = key.map(sqlIdent);
  const keyExpr =
    key.length === 1
      ? cols[0]!
      : `struct_pack(${key.map((k) => `${sqlIdent(k)} := ${sqlIdent(k)}`).join(', ')})`;
  // Scope `changed`: a key duplicated between two unchanged partitions was unique when they were
  // verified; a new duplicate has a copy in a changed partition. So the rows of every partition
  // whose key is one of the changed rows' (the changed keys hashed, the table's keys scanned
  // against them, rather than all of its keys grouped), the unchanged partitions' from the key index.
  if (!changed) {
    // as many distinct keys as rows: none NULL, none twice (the profile is shared with the
    // table's Bronze -> Silver reconciliation, which reads the same keys)
    const p = await keyProfile(ctx, whole, key);
    if (p.rows === p.keys) return { null_keys: 0, duplicated_keys: capped([], MAX_EXAMPLES, 0) };
  }
  const view = changed
    ? `(select * from ${keys} semi join (select distinct ${cols.join(', ')} from ${changed}) using (${cols.join(', ')}))`
    : whole;
  const nulls = await ctx.db.rows<{ n: string; files: string[] }>(
    `select count(*) as n, list(distinct _file) as files from ${changed ?? whole} where ${cols.map((c) => `${c} is null`).join(' or ')}`,
  );
  const dupCount = await ctx.db.rows<{ n: string }>(
    `select count(*) as n from (select 1 from ${view} group by ${cols.join(', ')} having count(*) > 1)`,
  );
  // Files only for the example keys: a list per key over every group held each group's list state
  // at once (2.6 s and 700 MB over 1.1m charges) to report none of them.
  const dups =
    num(dupCount[0]?.n) === 0
      ? []
      : await ctx.db.rows<{ key: unknown; copies: string; files: string[] }>(
          `with examples as (
             select ${cols.join(', ')}, count(*) as copies from ${view}
             where ${cols.map((c) => `${c} is not null`).join(' and ')}
             group by ${cols.join(', ')} having count(*) > 1 order by ${cols.join(', ')} limit ${MAX_EXAMPLES}
           )
           select ${keyExpr} as key, any_value(examples.copies) as copies,
                  list(distinct v._file order by v._file) as files
           from examples join ${view} v using (${cols.join(', ')})
           group by ${cols.join(', ')} order by 1`,
        );
  const nullRows = num(nulls[0]?.n);
  return {
    null_keys: nullRows === 0 ? 0 : { count: nullRows, partitions: (nulls[0]?.files ?? []).map(partitionOf) },
    duplicated_keys: capped(
      dups.map((d) => ({ key: d.key, copies: num(d.copies), partitions: d.files.map(partitionOf) })),
      MAX_EXAMPLES,
      num(dupCount[0]?.n),
    ),
  };
}

/** `dt=…` of a local path (a person recognises the partition, not a temp path). */
function partitionOf(path: string): string {
  return dtOfKey(path.replace(/\\/g, '/')) ?? path;
}

/**
 * `schema.<layer>.<table>`: every Parquet file's columns and DuckDB types equal the contract
 * exactly (missing, extra, wrong type, order, each with the partitions affected); primary key
 * non-null and unique across all partitions.
 */
export async function checkTableSchema(
  ctx: QualityContext,
  opts: {
    name: string;
    contract: TableContract;
    view: string;
    /** The table's keys (`QualityContext.keys`): looked up in its view (`keysView`) when given. */
    keyIndex?: { readonly view: string; readonly fromIndex: number };
    keys: readonly string[];
    /** Keys that should exist but do not (Gold state naming a vanished partition). */
    missingKeys?: readonly string[];
    /** Which keys to check (scope `changed`: the changed partitions', see primaryKeyProblems). */
    keyScope?: () => Promise<KeyScope>;
  },
): Promise<CheckResult> {
  const paths = opts.keys.map((k) => ctx.stager.localPath(k));
  const columns = await fileColumns(ctx, paths);
  // group files by their difference from the contract: usually one group, reported once
  const groups = new Map<string, { diff: ColumnDiff; partitions: string[] }>();
  for (const [path, cols] of columns) {
    const diff = diffColumns(opts.contract.columns, cols);
    if (diffIsEmpty(diff)) continue;
    const sig = JSON.stringify(diff);
    const g = groups.get(sig) ?? { diff, partitions: [] };
    g.partitions.push(partitionOf(path));
    groups.set(sig, g);
  }
  const pk = opts.contract.primaryKey;
  let keyProblems: Record<string, unknown>;
  let keyOk: boolean;
  let scope: KeyScope = 'all';
  try {
    scope = (await opts.keyScope?.()) ?? 'all';
    keyProblems =
      scope === 'none'
        ? { null_keys: 0, duplicated_keys: capped([], MAX_EXAMPLES, 0) }
        : await primaryKeyProblems(
            ctx,
            opts.view,
            pk,
            scope === 'all' ? undefined : scope.rows,
            opts.keyIndex?.view,
          );
    keyOk = keyProblems.null_keys === 0 && (keyProblems.duplicated_keys as { count: number }).count === 0;
  } catch (err) {
    keyProblems = { primary_key_error: (err as Error).message };
    keyOk = false;
  }
  const columnProblems = [...groups.values()].map((g) => ({
    ...Object.fromEntries(
      Object.entries(g.diff).filter(([, v]) => (Array.isArray(v) ? v.length > 0 : v === true)),
    ),
    partitions: capped(g.partitions.sort()),
  }));
  const missingKeys = opts.missingKeys ?? [];
  return {
    name: opts.name,
    severity: 'error',
    passed: columnProblems.length === 0 && keyOk && missingKeys.length === 0,
    details: {
      partitions: opts.keys.length,
      primary_key: pk,
      keys_checked: scope === 'all' ? 'all' : 'changed partitions',
      // the unchanged partitions whose keys the changed ones were looked up in came from the index
      ...(typeof scope === 'object' && opts.keyIndex
        ? { partitions_from_key_index: opts.keyIndex.fromIndex }
        : {}),
      ...(columnProblems.length > 0 ? { column_mismatches: columnProblems } : {}),
      ...(missingKeys.length > 0 ? { missing_partitions: capped(missingKeys) } : {}),
      ...keyProblems,
    },
  };
}

/** Every `schema.silver.<table>` and `schema.gold.<model>` check. */
export function schemaChecks(ctx: QualityContext): PlannedCheck[] {
  const planned = (opts: Parameters<typeof checkTableSchema>[1]): PlannedCheck => ({
    name: opts.name,
    severity: 'error',
    run: () => checkTableSchema(ctx, opts),
  });
  return [
    ...SILVER_TABLES.map((table) =>
      planned({
        name: `schema.silver.${table}`,
        contract: SILVER_CONTRACTS[table],
        view: silverView(table),
        keyIndex: keyIndexOf(ctx, `silver.${table}`),
        keys: (ctx.silver.get(table) ?? []).map((o) => o.key),
        keyScope: () =>
          changedKeyScope(ctx, ctx.silver.get(table) ?? [], (dts) => silverPartitions(ctx, table, dts)),
      }),
    ),
    ...GOLD_CONTRACTS.map((contract) =>
      planned({
        name: `schema.gold.${contract.name}`,
        contract,
        view: goldView(contract.name),
        keyIndex: keyIndexOf(ctx, `gold.${contract.name}`),
        keys: ctx.gold.get(contract.name)?.keys ?? [],
        missingKeys: ctx.gold.get(contract.name)?.missing ?? [],
        keyScope: () =>
          changedKeyScope(ctx, ctx.gold.get(contract.name)?.objects ?? [], (dts) =>
            goldPartitions(ctx, contract.name, dts),
          ),
      }),
    ),
  ];
}

/** A table's keys view, and how many of its partitions' keys come from the key index. */
function keyIndexOf(ctx: QualityContext, name: string): { view: string; fromIndex: number } {
  const read = ctx.keys.get(name);
  return {
    view: keysView(name),
    fromIndex: read?.plan.fromIndex.reduce((n, f) => n + f.dts.length, 0) ?? 0,
  };
}

/** Keys a schema check checks: every key, none, or those of some rows (a relation). */
export type KeyScope = 'all' | 'none' | { readonly rows: string };

/**
 * Scope `changed`: the rows of the partitions of `objects` changed since the last passing run
 * (`none` when none changed); scope `all`: every key.
 */
async function changedKeyScope(
  ctx: QualityContext,
  objects: readonly ObjectInfo[],
  relation: (dts: Set<string>) => Promise<string>,
): Promise<KeyScope> {
  if (ctx.since === undefined) return 'all';
  const dts = changedDts(objects, ctx.since, dtOfKey, ctx.verified);
  return dts.size === 0 ? 'none' : { rows: await relation(dts) };
}
