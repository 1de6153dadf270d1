import type { GoldModelName } from '../contracts/gold.js';
import { sqlIdent } from '../duckdb/sql-template.js';
import type { TableName } from '../entities/entity.js';
import { dtOfKey } from '../storage/layout.js';
import { capped, MAX_EXAMPLES, num } from './examples.js';
import { dtOfFileSql } from './key-index.js';
import {
  goldPartitions,
  goldView,
  keyProfile,
  keysView,
  type QualityContext,
  silverPartitions,
  silverView,
} from './quality-context.js';
import { changedDts } from './scope.js';
import type { CheckResult, PlannedCheck } from './types.js';

/**
 * One Silver-to-Gold comparison: both sides give rows of `keys` + `measures`, summed per key, and
 * must agree to the cent. Aggregates per day (`absentIsZero`) treat a key missing on one side as
 * zeros; row-level models report keys missing from or extra in Gold, and duplicated Gold keys.
 */
export interface Reconciliation {
  readonly name: string;
  readonly keys: readonly string[];
  readonly measures: readonly string[];
  /** SQL over the `silver_*` views: one row per contribution (summed per key) or per key. */
  readonly silver: string;
  /** SQL over the `gold_*` views. */
  readonly gold: string;
  readonly absentIsZero: boolean;
  /**
   * Gold's side is `relation` keyed by `key` (its primary key), unfiltered: its distinct keys are
   * the key profile its schema check computes (`keyProfile`), not counted a second time.
   */
  readonly goldKeys?: { readonly relation: string; readonly key: readonly string[] };
  /**
   * Every key's rows come from one day's partitions on both sides: these Silver tables' rows of
   * dt d, and the Gold model's partition d. The changed scope then compares only the days either
   * side wrote since the last passing run (the other days were equal then, and neither side moved).
   */
  readonly byDay?: {
    readonly silver: readonly TableName[];
    readonly gold: GoldModelName;
    /**
     * Silver tables the model joins by id from any day (read whole): the days their changed rows
     * affect, by SQL over `changed` (the rows of their changed partitions) and the `silver_*` views.
     */
    readonly via?: readonly { readonly table: TableName; readonly days: (changed: string) => string }[];
  };
}

const S = silverView;
const G = goldView;
/**
 * A Silver table's key and index columns (`keysView`): what a comparison reading a whole table
 * reads, when the columns it needs are all there (`INDEX_COLUMNS`).
 */
const K = (table: TableName) => keysView(`silver.${table}`);

/** Gold's side as the model holds it: the keys and measures of `model`, unchanged. */
const goldColumns = (model: GoldModelName, keys: readonly string[], measures: readonly string[]) =>
  `select ${[...keys, ...measures].join(', ')} from ${G(model)}`;

/**
 * A group of daily_overview columns: summed per (date_day, currency), a day absent on one side
 * counting as zeros.
 */
const dailyOverview = (
  group: string,
  measures: readonly string[],
  silver: string,
  tables: readonly TableName[],
): Reconciliation => ({
  name: `reconcile.silver_gold.daily_overview_${group}`,
  keys: ['date_day', 'currency'],
  measures,
  silver,
  gold: goldColumns('daily_overview', ['date_day', 'currency'], measures),
  absentIsZero: true,
  byDay: { silver: tables, gold: 'daily_overview' },
});

/** A row-level Gold model: one row per `key`, each present on both sides. */
const rowLevel = (
  model: GoldModelName,
  key: string,
  measures: readonly string[],
  silver: string,
  /** The Silver table whose row of dt d is the Gold row of partition d, if there is one. */
  sameDayAs?: TableName,
  via?: NonNullable<Reconciliation['byDay']>['via'],
): Reconciliation => ({
  name: `reconcile.silver_gold.${model}`,
  keys: [key],
  measures,
  silver,
  gold: goldColumns(model, [key], measures),
  absentIsZero: false,
  goldKeys: { relation: G(model), key: [key] },
  ...(sameDayAs ? { byDay: { silver: [sameDayAs], gold: model, ...(via ? { via } : {}) } } : {}),
});

/**
 * The reconciliations, each stated the way the Gold SQL defines its columns (see the header of
 * `transform/sql/gold/<model>.sql`), but computed again from Silver independently.
 */
export const RECONCILIATIONS: readonly Reconciliation[] = [
  dailyOverview(
    'sales',
    ['sales_amount', 'sales_count'],
    `select dt as date_day, currency, amount as sales_amount, 1 as sales_count
     from ${S('charges')} where status = 'succeeded'`,
    ['charges'],
  ),
  dailyOverview(
    'failed_charges',
    ['failed_charges_amount', 'failed_charges_count'],
    `select dt as date_day, currency, amount as failed_charges_amount, 1 as failed_charges_count
     from ${S('charges')} where status = 'failed'`,
    ['charges'],
  ),
  dailyOverview(
    'refunds',
    ['refunds_amount', 'refunds_count'],
    `select dt as date_day, currency, amount as refunds_amount, 1 as refunds_count
     from ${S('refunds')} where not is_deleted and status = 'succeeded'`,
    ['refunds'],
  ),
  dailyOverview(
    'disputes',
    ['disputes_amount', 'disputes_count'],
    `select dt as date_day, currency, amount as disputes_amount, 1 as disputes_count
     from ${S('disputes')} where not is_deleted`,
    ['disputes'],
  ),
  dailyOverview(
    'fees',
    ['fees_amount', 'net_amount', 'payouts_amount'],
    `select dt as date_day, currency, fee as fees_amount, net as net_amount,
     case when starts_with(type, 'payout') then net else 0 end as payouts_amount
     from ${S('balance_transactions')}`,
    ['balance_transactions'],
  ),
  dailyOverview(
    'customers',
    ['new_customers', 'paying_customers'],
    `select dt as date_day, currency, 1 as new_customers, 0 as paying_customers
     from ${S('customers')} where not is_deleted and currency is not null
     union all
     select dt as date_day, currency, 0, count(distinct customer_id)
     from ${S('charges')} where status = 'succeeded' group by all`,
    ['customers', 'charges'],
  ),
  rowLevel(
    'fct_payments',
    'charge_id',
    ['amount', 'amount_refunded', 'fee', 'net'],
    `select c.id as charge_id, c.amount, c.amount_refunded, bt.fee, bt.net
     from ${S('charges')} c left join ${K('balance_transactions')} bt on bt.id = c.balance_transaction_id`,
    // a charge is the row of its own day; its balance transaction may sit in another day
    'charges',
    [
      {
        table: 'balance_transactions',
        days: (changed) =>
          `select distinct ${dtOfFileSql} as dt from ${K('charges')}
           where balance_transaction_id in (select id from ${changed})`,
      },
    ],
  ),
  rowLevel(
    'fct_balance_transactions',
    'balance_transaction_id',
    ['amount', 'fee', 'net'],
    `select id as balance_transaction_id, amount, fee, net from ${S('balance_transactions')}`,
    'balance_transactions',
  ),
  rowLevel(
    'fct_invoices',
    'invoice_id',
    ['amount_due', 'amount_paid', 'amount_remaining', 'total'],
    `select id as invoice_id, amount_due, amount_paid, amount_remaining, total
     from ${S('invoices')} where not is_deleted`,
    'invoices',
  ),
  // a customer pays in one currency (its own, else its first charge's); other currencies are
  // left out of its totals
  rowLevel(
    'dim_customers',
    'customer_id',
    ['total_sales_amount', 'total_sales_count', 'total_refunds_amount'],
    // the charges in one grouped pass per customer and currency: each group's first charge and
    // its sales; the first charge's currency is the currency of the group whose first is first (a
    // correlated subquery per customer made this the slowest check: 10.7 s of 33 at 100k charges;
    // a pass for the first currency and another for the sales, 1.1-1.4 s at 1m)
    `with by_currency as (
       select customer_id, currency, min(struct_pack(created_ts, id)) as first,
              sum(amount) filter (where status = 'succeeded') as amount,
              count(*) filter (where status = 'succeeded') as n
       from ${K('charges')} group by customer_id, currency
     ),
     first_currency as (
       select customer_id, arg_min(currency, first) as currency from by_currency group by customer_id
     ),
     cc as (
       select cu.id, coalesce(cu.currency, fc.currency) as currency
       from ${K('customers')} cu left join first_currency fc on fc.customer_id = cu.id
     ),
     sales as (
       select b.customer_id, b.amount, b.n from by_currency b
       join cc on cc.id = b.customer_id and cc.currency = b.currency
     ),
     succeeded_refunds as (
       select charge_id, currency, amount from ${K('refunds')} where not is_deleted and status = 'succeeded'
     ),
     -- each refunded charge with its customer's currency first: joined in another order, refunds
     -- met customers on currency alone (9.9 s at 100k charges); only the refunded ones (57k of
     -- 1.1m at 1m charges)
     charge_currency as materialized (
       select ch.id as charge_id, ch.customer_id, cc.currency
       from ${K('charges')} ch join cc on cc.id = ch.customer_id
       where ch.id in (select charge_id from succeeded_refunds)
     ),
     refunds as (
       select chc.customer_id, sum(r.amount) as amount from succeeded_refunds r
       join charge_currency chc on chc.charge_id = r.charge_id
       where r.currency = chc.currency group by 1
     )
     select cc.id as customer_id, coalesce(sales.amount, 0) as total_sales_amount,
            coalesce(sales.n, 0) as total_sales_count, coalesce(refunds.amount, 0) as total_refunds_amount
     from cc left join sales on sales.customer_id = cc.id left join refunds on refunds.customer_id = cc.id`,
  ),
];

type Row = Record<string, unknown>;

/**
 * Keys a reconciliation compares per pass: both sides aggregated per key and joined take about
 * this many bytes a key with DuckDB's two threads (fct_payments at 1m charges, 1.1m keys, needed
 * over 200 MB and failed at the 384 MB limit once).
 */
const BYTES_PER_KEY = 1000;

/** Adds two SQL sums read back as JSON (strings for big integers), keeping NULL for "no rows". */
function addSums(a: unknown, b: unknown): unknown {
  if (a === null || a === undefined) return b ?? null;
  if (b === null || b === undefined) return a;
  const whole = (v: unknown) => typeof v === 'string' && /^-?\d+$/.test(v);
  return whole(a) && whole(b) ? (BigInt(a as string) + BigInt(b as string)).toString() : num(a) + num(b);
}

/**
 * Runs one reconciliation; details name the keys (day and currency, or id) and both amounts. A
 * row-level model with more keys than fit the memory limit is compared in passes over buckets of
 * its key's hash (each key falls in one), and the counts and sums are added up.
 */
export async function runReconciliation(
  ctx: QualityContext,
  whole: Reconciliation,
  /** Try {@link sameRows} first (false: always compare key by key). */
  fingerprints = true,
): Promise<CheckResult> {
  const days = await changedDays(ctx, whole);
  const r = days ? await overDays(ctx, whole, days) : whole;
  const k = r.keys.map(sqlIdent);
  // measures are plain lower-case identifiers from the code above, so prefixes can be added
  const m = r.measures;
  const same = fingerprints && !r.absentIsZero ? await sameRows(ctx, r, r === whole) : undefined;
  if (same) return passedByFingerprint(whole, r, days, same);
  let buckets = 1;
  if (!r.absentIsZero) {
    const [g] = await ctx.db.rows<{ n: string }>(`select count(*) as n from (${r.gold})`);
    buckets = Math.max(1, Math.ceil((num(g?.n) * BYTES_PER_KEY) / ctx.db.memoryBytes));
  }
  const inBucket = (b: number) => (buckets === 1 ? '' : ` where hash(${k[0]}) % ${buckets} = ${b}`);
  const agg = (sql: string, b: number) =>
    `select ${k.join(', ')}, count(*) as _rows, ${m.map((c) => `sum(${c}) as ${c}`).join(', ')} from (${sql})${inBucket(b)} group by all`;
  const val = (side: string, c: string) => (r.absentIsZero ? `coalesce(${side}.${c}, 0)` : `${side}.${c}`);
  const differs = m.map((c) => `${val('s', c)} is distinct from ${val('g', c)}`).join(' or ');
  const on = k.map((c) => `s.${c} is not distinct from g.${c}`).join(' and ');
  const rel = (b: number) => `s as (${agg(r.silver, b)}), g as (${agg(r.gold, b)}),
    j as (
      select ${k.map((c) => `coalesce(s.${c}, g.${c}) as ${c}`).join(', ')},
             s._rows is not null as in_silver, g._rows is not null as in_gold, coalesce(g._rows, 0) as gold_rows,
             ${m.map((c) => `s.${c} as s_${c}, g.${c} as g_${c}`).join(', ')},
             (${differs}) as differs
      from s full outer join g on ${on}
    )`;
  const kind = r.absentIsZero
    ? `case when differs then 'mismatch' end`
    : `case when not in_gold then 'missing_in_gold' when not in_silver then 'extra_in_gold'
            when gold_rows > 1 then 'duplicated_in_gold' when differs then 'mismatch' end`;
  const totals: Row = {};
  const failingBuckets: number[] = [];
  for (let b = 0; b < buckets; b++) {
    const [t] = await ctx.db.rows<Row>(
      `with ${rel(b)}, p as (select *, ${kind} as problem from j)
       select count(*) filter (where in_silver) as silver_keys, count(*) filter (where in_gold) as gold_keys,
              ${m.map((c) => `sum(s_${c}) as silver_${c}, sum(g_${c}) as gold_${c}`).join(', ')},
              count(*) filter (where problem = 'mismatch') as mismatch,
              count(*) filter (where problem = 'missing_in_gold') as missing_in_gold,
              count(*) filter (where problem = 'extra_in_gold') as extra_in_gold,
              count(*) filter (where problem = 'duplicated_in_gold') as duplicated_in_gold
       from p`,
    );
    for (const [name, v] of Object.entries(t ?? {})) totals[name] = addSums(totals[name], v);
    const problems = ['mismatch', 'missing_in_gold', 'extra_in_gold', 'duplicated_in_gold'];
    if (problems.some((c) => num(t?.[c]) > 0)) failingBuckets.push(b);
  }
  const counts = {
    mismatch: num(totals.mismatch),
    missing_in_gold: num(totals.missing_in_gold),
    extra_in_gold: num(totals.extra_in_gold),
    duplicated_in_gold: num(totals.duplicated_in_gold),
  };
  const failing = Object.values(counts).some((n) => n > 0);
  const examples: Row[] = [];
  for (const b of failingBuckets)
    examples.push(
      ...(await ctx.db.rows<Row>(
        `with ${rel(b)}, p as (select *, ${kind} as problem from j)
         select * from p where problem is not null
         qualify row_number() over (partition by problem order by ${k.join(', ')}) <= ${MAX_EXAMPLES}
         order by ${k.join(', ')}`,
      )),
    );
  // the first examples of each problem in key order, whichever buckets they came from
  const byKey = (a: Row, b: Row) => {
    for (const c of r.keys) {
      const x = String(a[c]);
      const y = String(b[c]);
      if (x !== y) return x < y ? -1 : 1;
    }
    return 0;
  };
  examples.sort(byKey);
  const show = (e: Row) => ({
    ...Object.fromEntries(r.keys.map((c) => [c, e[c]])),
    ...(e.problem === 'duplicated_in_gold' ? { gold_rows: num(e.gold_rows) } : {}),
    silver: e.in_silver ? Object.fromEntries(r.measures.map((c) => [c, nullableNum(e[`s_${c}`])])) : null,
    gold: e.in_gold ? Object.fromEntries(r.measures.map((c) => [c, nullableNum(e[`g_${c}`])])) : null,
  });
  const listOf = (problem: keyof typeof counts) =>
    capped(examples.filter((e) => e.problem === problem).map(show), MAX_EXAMPLES, counts[problem]);
  const totalsOut = Object.fromEntries(
    r.measures.map((c) => [
      c,
      { silver: nullableNum(totals[`silver_${c}`]), gold: nullableNum(totals[`gold_${c}`]) },
    ]),
  );
  return {
    name: r.name,
    severity: 'error',
    passed: !failing,
    details: {
      keys: r.keys,
      compared: 'by key',
      ...(whole.byDay ? { partitions_checked: days ?? 'all' } : {}),
      silver_keys: num(totals.silver_keys),
      gold_keys: num(totals.gold_keys),
      totals: totalsOut,
      mismatches: listOf('mismatch'),
      ...(r.absentIsZero
        ? {}
        : {
            missing_in_gold: listOf('missing_in_gold'),
            extra_in_gold: listOf('extra_in_gold'),
            duplicated_in_gold: listOf('duplicated_in_gold'),
          }),
    },
  };
}

/** Both sides' row counts and measure totals, when {@link sameRows} finds them equal. */
type SameRows = { rows: number; totals: Row };

/**
 * The cheap proof that a row-level reconciliation passes: Silver's rows and Gold's are the same
 * multiset of (key, measures) tuples (equal counts and equal sums of the tuples' 64-bit hashes,
 * summed without overflow) and Gold's keys are distinct. Then every key has one row on each side
 * with equal values: nothing is missing, extra, duplicated or different. One scan of each side,
 * no join of the two by key (fct_payments at 1m charges: 0.4 s against 1.8 s in three key
 * buckets). Anything else (a difference, or a Silver side with several rows a key) returns
 * undefined and the comparison key by key decides, with its examples. Measures hash as DOUBLE, so
 * that an integer and a decimal of equal value agree (exact below 2^53 minor units).
 */
async function sameRows(
  ctx: QualityContext,
  r: Reconciliation,
  /** `r` reads whole views (no day filter): its `goldKeys` profile applies. */
  unfiltered: boolean,
): Promise<SameRows | undefined> {
  const goldKeys =
    unfiltered && r.goldKeys ? keyProfile(ctx, r.goldKeys.relation, r.goldKeys.key) : undefined;
  const tuple = `hash(${[...r.keys.map((c) => `${sqlIdent(c)}::VARCHAR`), ...r.measures.map((c) => `${c}::DOUBLE`)].join(', ')})::HUGEINT`;
  const side = (sql: string, distinctKeys: boolean) =>
    `select count(*) as n, sum(${tuple}) as fp,
            ${distinctKeys ? `count(distinct (${r.keys.map(sqlIdent).join(', ')})) as keys,` : ''}
            ${r.measures.map((c) => `sum(${c}) as ${c}`).join(', ')}
     from (${sql})`;
  const [row] = await ctx.db.rows<Row>(
    `select ${['n', 'fp', ...r.measures].map((c) => `s.${c} as s_${c}, g.${c} as g_${c}`).join(', ')}${goldKeys ? '' : ', g.keys'}
     from (${side(r.silver, false)}) s, (${side(r.gold, !goldKeys)}) g`,
  );
  if (!row) return undefined;
  const n = num(row.s_n);
  const keys = goldKeys ? (await goldKeys).keys : num(row.keys);
  const same = n === num(row.g_n) && String(row.s_fp) === String(row.g_fp) && keys === n;
  if (!same) return undefined;
  const totals: Row = {};
  for (const c of r.measures) {
    totals[`silver_${c}`] = row[`s_${c}`];
    totals[`gold_${c}`] = row[`g_${c}`];
  }
  return { rows: n, totals };
}

/** The passing result of {@link runReconciliation}, as the comparison key by key would give it. */
function passedByFingerprint(
  whole: Reconciliation,
  r: Reconciliation,
  days: readonly string[] | undefined,
  same: SameRows,
): CheckResult {
  const none = capped([], MAX_EXAMPLES, 0);
  return {
    name: r.name,
    severity: 'error',
    passed: true,
    details: {
      keys: r.keys,
      compared: 'row fingerprints',
      ...(whole.byDay ? { partitions_checked: days ?? 'all' } : {}),
      silver_keys: same.rows,
      gold_keys: same.rows,
      totals: Object.fromEntries(
        r.measures.map((c) => [
          c,
          { silver: nullableNum(same.totals[`silver_${c}`]), gold: nullableNum(same.totals[`gold_${c}`]) },
        ]),
      ),
      mismatches: none,
      missing_in_gold: none,
      extra_in_gold: none,
      duplicated_in_gold: none,
    },
  };
}

/**
 * With scope `changed`, the days a by-day reconciliation compares: those whose partition of any
 * of its Silver tables, or of its Gold model, changed since the last passing run (`changedDts`).
 * Undefined: every day.
 */
async function changedDays(ctx: QualityContext, r: Reconciliation): Promise<string[] | undefined> {
  if (!r.byDay || ctx.since === undefined) return undefined;
  const objects = [
    ...r.byDay.silver.flatMap((t) => ctx.silver.get(t) ?? []),
    ...(ctx.gold.get(r.byDay.gold)?.objects ?? []),
  ];
  const days = changedDts(objects, ctx.since, dtOfKey, ctx.verified);
  for (const via of r.byDay.via ?? []) {
    const changed = changedDts(ctx.silver.get(via.table) ?? [], ctx.since, dtOfKey, ctx.verified);
    if (changed.size === 0) continue;
    const rows = await ctx.db.rows<{ dt: string }>(
      `select dt::VARCHAR as dt from (${via.days(await silverPartitions(ctx, via.table, changed))})`,
    );
    for (const { dt } of rows) days.add(dt);
  }
  return [...days].sort();
}

/**
 * The reconciliation over the partitions of `days` only: each view it reads is replaced by a
 * relation over those days' files (view names are whole identifiers: `silver_refunds` never
 * matches inside `silver_payout_...`).
 */
async function overDays(
  ctx: QualityContext,
  r: Reconciliation,
  days: readonly string[],
): Promise<Reconciliation> {
  const byDay = r.byDay!;
  const relations = new Map<string, string>();
  for (const t of byDay.silver) relations.set(S(t), await silverPartitions(ctx, t, days));
  for (const via of byDay.via ?? []) relations.set(S(via.table), S(via.table));
  relations.set(G(byDay.gold), await goldPartitions(ctx, byDay.gold, days));
  const scoped = (sql: string) =>
    sql.replace(/\b(silver|gold)_[a-z_]+\b/g, (name) => {
      const rel = relations.get(name);
      if (!rel) throw new Error(`${r.name}: reads ${name}, which its byDay declaration does not name`);
      return rel;
    });
  return { ...r, silver: scoped(r.silver), gold: scoped(r.gold) };
}

function nullableNum(v: unknown): number | null {
  return v === null || v === undefined ? null : num(v);
}

export function silverGoldChecks(ctx: QualityContext): PlannedCheck[] {
  return RECONCILIATIONS.map((r) => ({
    name: r.name,
    severity: 'error' as const,
    run: () => runReconciliation(ctx, r),
  }));
}
