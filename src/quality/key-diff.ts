import type { DuckSession } from '../duckdb/session.js';
import { capped, type Examples, MAX_EXAMPLES, num } from './examples.js';

/**
 * The two sides of a Bronze -> Silver reconciliation by key, as SQL relations. Both
 * `reconcile.bronze_silver.<table>` checks (entities by id, child tables by their key) compare
 * them the same way: `diffKeys`.
 */
export interface KeySides {
  /** The keys Bronze says Silver must hold, one row each: `(k, bronze_key)`. */
  readonly expected: string;
  /** The Silver rows checked for keys Bronze lacks and for copies: `(k, dt, …)`. */
  readonly rows: string;
  /**
   * Where an expected key is looked for: all of Silver when only some partitions are checked (a
   * key's row may sit outside them); `rows` by default.
   */
  readonly lookup?: string;
  /** What the examples call the key: `id` (entities) or `key` (child tables). */
  readonly keyName: 'id' | 'key';
  /** `rows`' key profile where another check may have computed it already (`keyProfile`). */
  readonly rowsProfile?: () => Promise<KeyProfile>;
}

type Keyed<T> = T & Partial<Record<'id' | 'key', string | null>>;

/** How the sides differ: counts, and a few examples of each difference (`MAX_EXAMPLES`). */
export interface KeyDiff {
  readonly expected: number;
  readonly rows: number;
  /** Expected keys with no Silver row, with the Bronze object holding them (by Bronze key, then key). */
  readonly missing: Examples<Keyed<{ bronze_key: string }>>;
  /** Silver rows whose key is null or not expected (by dt, then key). */
  readonly extra: Examples<Keyed<{ dt: string }>>;
  /** Keys with more than one Silver row, with their partitions. */
  readonly duplicated: Examples<Keyed<{ copies: number; dts: string[] }>>;
}

/** A relation's keys in one row: its rows, its distinct non-null keys, the sum of their hashes. */
export interface KeyProfile {
  readonly rows: number;
  readonly keys: number;
  /** sum(hash(key)) as a 128-bit integer, in decimal. */
  readonly fp: string;
}

/** The key profile of `rel`, a relation with the key as column `k`. */
export async function profileKeys(db: DuckSession, rel: string): Promise<KeyProfile> {
  const [f] = await db.rows<Record<'n' | 'keys' | 'fp', string>>(
    `select count(*) as n, count(distinct k) as keys, sum(hash(k)::HUGEINT) as fp from ${rel}`,
  );
  return { rows: num(f?.n), keys: num(f?.keys), fp: String(f?.fp) };
}

/**
 * The cheap proof that the sides agree: as many rows as expected keys, the rows' keys distinct and
 * not null, and equal sums of the keys' 64-bit hashes (summed without overflow): then the keys
 * are the expected ones exactly. No join of the two (a million keys each at 1m charges). Returns
 * the diff with nothing in it, or undefined when the sides may differ (`diffKeys` then tells).
 */
export async function keysAgree(
  db: DuckSession,
  sides: Pick<KeySides, 'expected' | 'rows' | 'rowsProfile'>,
): Promise<KeyDiff | undefined> {
  const s = await (sides.rowsProfile?.() ?? profileKeys(db, sides.rows));
  const [e] = await db.rows<{ n: string; fp: string }>(
    `select count(*) as n, sum(hash(k)::HUGEINT) as fp from ${sides.expected}`,
  );
  const n = s.rows;
  if (n !== num(e?.n) || n !== s.keys || s.fp !== String(e?.fp)) return undefined;
  const none = capped<never>([], MAX_EXAMPLES, 0);
  return { expected: n, rows: n, missing: none, extra: none, duplicated: none };
}

/** Compares the expected keys with the Silver rows (see `KeySides`). */
export async function diffKeys(db: DuckSession, sides: KeySides): Promise<KeyDiff> {
  const { expected, rows, keyName } = sides;
  const notInRows = `from ${expected} e where not exists (select 1 from ${rows} s where s.k = e.k)`;
  // an expected key outside the checked rows is looked for in `lookup` (all of Silver) only when
  // there is one: reading every file of the table for nothing was most of a daily run's check
  const missingWhere = sides.lookup
    ? `${notInRows} and not exists (select 1 from ${sides.lookup} s where s.k = e.k)`
    : notInRows;
  const extraWhere = `from ${rows} s where s.k is null or not exists (select 1 from ${expected} e where e.k = s.k)`;
  const dupsFrom = `from ${rows} group by k having count(*) > 1`;
  // Any difference goes to the comparison below, which counts it and gives examples.
  const agreeing = await keysAgree(db, sides);
  if (agreeing) return agreeing;
  // One pass: Silver's keys grouped once (copies and null keys with them), joined once to the
  // expected keys (one row each). Counting each difference in a query of its own hashed a
  // million keys three times at 1m charges.
  const [c] = await db.rows<Record<'expected' | 'rows' | 'not_in_rows' | 'extra' | 'dups', string>>(
    `with s as (select k, count(*) as n from ${rows} group by k),
       e as (select k, true as present from ${expected})
     select
       count(e.present) as expected,
       coalesce(sum(s.n), 0) as rows,
       count(*) filter (where e.present and s.n is null) as not_in_rows,
       coalesce(sum(s.n) filter (where e.present is null), 0) as extra,
       count(*) filter (where s.n > 1) as dups
     from e full outer join s on e.k = s.k`,
  );
  const notInRowsCount = num(c?.not_in_rows);
  const missingCount =
    notInRowsCount === 0 || !sides.lookup
      ? notInRowsCount
      : num((await db.rows<{ n: string }>(`select count(*) as n ${missingWhere}`))[0]?.n);
  const examples = async <T>(n: number, sql: string): Promise<Examples<T>> =>
    capped(n === 0 ? [] : await db.rows<T>(`${sql} limit ${MAX_EXAMPLES}`), MAX_EXAMPLES, n);
  const duplicated = await examples<Keyed<{ copies: string; dts: string[] }>>(
    num(c?.dups),
    `select k as ${keyName}, count(*) as copies, list(distinct dt::VARCHAR order by dt::VARCHAR) as dts
     ${dupsFrom} order by k`,
  );
  return {
    expected: num(c?.expected),
    rows: num(c?.rows),
    missing: await examples(
      missingCount,
      `select e.k as ${keyName}, e.bronze_key ${missingWhere} order by e.bronze_key, e.k`,
    ),
    extra: await examples(
      num(c?.extra),
      `select s.k as ${keyName}, s.dt::VARCHAR as dt ${extraWhere} order by s.dt, s.k`,
    ),
    duplicated: {
      count: duplicated.count,
      examples: duplicated.examples.map((d) => ({ ...d, copies: num(d.copies) })),
    },
  };
}
