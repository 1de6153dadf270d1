import type { TableName } from '../entities/entity.js';
import { dtOfKey } from '../storage/layout.js';
import type { ObjectInfo } from '../storage/object-store.js';
import { capped, MAX_EXAMPLES, num } from './examples.js';
import { dtOfFileSql } from './key-index.js';
import {
  goldPartitions,
  goldView,
  keysView,
  type QualityContext,
  silverPartitions,
} from './quality-context.js';
import { type Reconciliation, runReconciliation } from './reconcile-silver-gold.js';
import { changedDts } from './scope.js';
import type { CheckResult, PlannedCheck } from './types.js';

/**
 * The SaaS reconciliations of SPEC section 9: `reconcile.mrr` and `reconcile.payouts` (error).
 * Each recomputes its Gold model from Silver by SPEC 8.1's definition, in SQL of its own (a range
 * join of lines and month instants, where the model walks each line's months), and compares
 * row by row, naming the rows that differ.
 */

const G = goldView;
/** A Silver table's key and index columns (`keysView`, `INDEX_COLUMNS`): all these checks read. */
const K = (table: TableName) => keysView(`silver.${table}`);

/**
 * MRR per month, customer and currency recomputed from Silver. Each month is measured at its last
 * second; the as-of month at the instant Gold measured it (`measured_at_ts`, the run's as-of
 * time), else at the check's `until`. Each line's monthly amount rounded to 4 decimals, as the
 * model documents, so the two sides agree exactly.
 */
function mrrFromSilver(until: number): string {
  return `with
    as_of as (
      select coalesce((select max(measured_at_ts) from ${G('mrr_movements')}), to_timestamp(${until})) as as_of_ts
    ),
    lines as (
      select l.customer_id, l.currency, l.subscription_id, l.period_start_ts, l.period_end_ts,
             -- k = (periods per year) / (12 n), computed in the model's order so both round alike
             round((l.amount - coalesce(l.discount_amount, 0)) * (case p.recurring_interval
               when 'month' then 12 when 'year' then 1 when 'week' then 52 when 'day' then 365
             end)::DOUBLE / (12 * p.recurring_interval_count), 4)::DECIMAL(18, 4) as monthly
      from ${K('invoice_line_items')} l
      join ${K('prices')} p on p.id = l.price_id
      where l.line_type = 'subscription' and l.is_proration = false and l.invoice_status in ('open', 'paid')
        and not l.is_deleted and p.recurring_interval_count > 0
    ),
    instants as (
      select m::DATE as month,
             least(m + interval 1 month - interval 1 second, (select as_of_ts from as_of)) as t
      from (select unnest(generate_series(
              date_trunc('month', (select min(period_start_ts) from lines)),
              date_trunc('month', (select as_of_ts from as_of)),
              interval 1 month)) as m)
    )
    select i.month, l.customer_id, l.currency, sum(l.monthly) as mrr_amount,
           count(distinct l.subscription_id) as subscriptions
    from instants i join lines l on l.period_start_ts <= i.t and i.t < l.period_end_ts
    group by all
    having sum(l.monthly) > 0`;
}

const mrrReconciliation = (until: number): Reconciliation => ({
  name: 'reconcile.mrr',
  keys: ['month', 'customer_id', 'currency'],
  measures: ['mrr_amount', 'subscriptions'],
  silver: mrrFromSilver(until),
  gold: `select month, customer_id, currency, mrr_amount, subscriptions from ${G('fct_mrr')}`,
  absentIsZero: false,
});

type Row = Record<string, unknown>;

/**
 * The movement identities, per month and currency: ending = starting + the five movements;
 * starting = the previous month's ending (0 in a currency's first month); months follow each
 * other without gaps; `fct_mrr` sums and counts to ending_mrr and customers_end.
 */
async function movementIdentityFailures(ctx: QualityContext): Promise<{ count: number; examples: Row[] }> {
  const sql = `with
    m as (
      select *,
             lag(ending_mrr) over w as previous_ending,
             lag(month) over w as previous_month
      from ${G('mrr_movements')}
      window w as (partition by currency order by month)
    ),
    f as (
      select month, currency, sum(mrr_amount) as mrr_sum, count(*) as customers
      from ${G('fct_mrr')} group by all
    ),
    j as (
      select coalesce(m.month, f.month) as month, coalesce(m.currency, f.currency) as currency,
             m.starting_mrr, m.new_mrr, m.expansion_mrr, m.contraction_mrr, m.churned_mrr,
             m.reactivation_mrr, m.ending_mrr, m.previous_ending, m.previous_month, m.customers_end,
             coalesce(f.mrr_sum, 0) as fct_mrr_sum, coalesce(f.customers, 0) as fct_mrr_customers,
             m.month is null as missing_month
      from m full outer join f on f.month = m.month and f.currency = m.currency
    ),
    p as (
      select *, case
          when missing_month then 'fct_mrr month missing from mrr_movements'
          when ending_mrr <> starting_mrr + new_mrr + expansion_mrr + contraction_mrr + churned_mrr + reactivation_mrr
            then 'ending_mrr <> starting_mrr + movements'
          when starting_mrr <> coalesce(previous_ending, 0) then 'starting_mrr <> previous ending_mrr'
          when previous_month is not null and month <> (previous_month + interval 1 month)::DATE then 'a month is missing'
          when ending_mrr <> fct_mrr_sum or customers_end <> fct_mrr_customers
            then 'fct_mrr does not sum to ending_mrr / customers_end'
        end as rule
      from j
    )
    select * from p where rule is not null order by currency, month`;
  const rows = await ctx.db.rows<Row>(sql);
  const shown = rows.slice(0, MAX_EXAMPLES).map((r) => ({
    month: r.month,
    currency: r.currency,
    rule: r.rule,
    starting_mrr: r.starting_mrr === null ? null : num(r.starting_mrr),
    movements:
      r.ending_mrr === null
        ? null
        : num(r.new_mrr) +
          num(r.expansion_mrr) +
          num(r.contraction_mrr) +
          num(r.churned_mrr) +
          num(r.reactivation_mrr),
    ending_mrr: r.ending_mrr === null ? null : num(r.ending_mrr),
    previous_ending_mrr: r.previous_ending === null ? null : num(r.previous_ending),
    fct_mrr_sum: num(r.fct_mrr_sum),
  }));
  return { count: rows.length, examples: shown };
}

/** `reconcile.mrr`: fct_mrr equals MRR recomputed from Silver, and mrr_movements' identities hold. */
export async function checkMrr(ctx: QualityContext): Promise<CheckResult> {
  const values = await runReconciliation(ctx, mrrReconciliation(ctx.until));
  const identities = await movementIdentityFailures(ctx);
  return {
    name: 'reconcile.mrr',
    severity: 'error',
    passed: values.passed && identities.count === 0,
    details: {
      ...values.details,
      identity_failures: capped(identities.examples, MAX_EXAMPLES, identities.count),
    },
  };
}

/**
 * `reconcile.payouts`: for every paid automatic payout, its transactions (from Silver) sum to its
 * amount, and fct_payouts' category sums equal Silver's. `unreconciled` is Silver's
 * sum(net) - amount against the 0 it must be, so a payout that does not add up fails even when
 * Gold copied it faithfully. `scope`: a relation of payout ids (`id`) to compare, instead of
 * every payout.
 */
function payoutsReconciliation(scope?: string, gold: string = G('fct_payouts')): Reconciliation {
  const inScope = (col: string) => (scope ? ` and ${col} in (select id from ${scope})` : '');
  return {
    name: 'reconcile.payouts',
    keys: ['payout_id'],
    measures: [
      'transactions_count',
      'transactions_net',
      'charges_amount',
      'refunds_amount',
      'disputes_amount',
      'fees_amount',
      'other_net',
      'unreconciled',
    ],
    silver: `with
    paid as (
      select id, amount from ${K('payouts')}
      where status = 'paid' and automatic and not is_deleted${inScope('id')}
        -- as fct_payouts: nothing to reconcile before the payout-transaction links exist
        and exists (select 1 from ${K('payout_balance_transactions')})
    ),
    -- no distinct (the model's distinct on): each side's key is unique, which the schema checks
    -- prove, and a copy would count twice here and fail this check too
    -- with a scope, the links of its payouts before any join: joined whole, every link against
    -- every balance transaction, they cost a daily run 1.3 s at 1m charges
    links as ${scope ? 'materialized ' : ''}(
      select payout_id, balance_transaction_id from ${K('payout_balance_transactions')}
      where true${inScope('payout_id')}
    ),
    txns as (
      select pbt.payout_id, bt.id, bt.amount, bt.fee, bt.net, bt.reporting_category as cat
      from links pbt
      join ${K('balance_transactions')} bt on bt.id = pbt.balance_transaction_id
      join ${K('payouts')} po on po.id = pbt.payout_id
      -- all that ?payout= lists but the payout's own transaction (a re-paid failure counts)
      where bt.id is distinct from po.balance_transaction_id
    )
    select paid.id as payout_id,
           count(txns.id) as transactions_count,
           coalesce(sum(txns.net), 0) as transactions_net,
           coalesce(sum(txns.amount) filter (where cat = 'charge'), 0) as charges_amount,
           coalesce(sum(txns.amount) filter (where cat in ('refund', 'refund_failure')), 0) as refunds_amount,
           coalesce(sum(txns.amount) filter (where cat in ('dispute', 'dispute_reversal')), 0) as disputes_amount,
           coalesce(sum(txns.fee) filter (where cat in ('charge', 'refund', 'refund_failure', 'dispute', 'dispute_reversal')), 0) as fees_amount,
           coalesce(sum(txns.net) filter (where cat not in ('charge', 'refund', 'refund_failure', 'dispute', 'dispute_reversal')), 0) as other_net,
           coalesce(sum(txns.net), 0) - any_value(paid.amount) as unreconciled
    from paid left join txns on txns.payout_id = paid.id
    group by paid.id`,
    gold: `select payout_id, transactions_count, transactions_net, charges_amount, refunds_amount,
                disputes_amount, fees_amount, other_net,
                -- what must hold: a paid automatic payout's transactions sum to its amount
                0 as unreconciled
         from ${gold} where status = 'paid' and automatic${inScope('payout_id')}`,
    absentIsZero: false,
  };
}

/**
 * With scope `changed`, the payouts whose row either side may have changed since the last passing
 * run: those in changed partitions of Silver payouts or payout_balance_transactions, those linked
 * to a balance transaction in a changed partition, and those in changed fct_payouts partitions
 * (a payout Gold dropped or moved included). As a SQL relation of `id`; undefined: every payout.
 * A payout's row reads nothing else, so the others were equal at that run and neither side moved.
 */
async function changedPayouts(ctx: QualityContext): Promise<{ sql: string; parts: string[] } | undefined> {
  if (ctx.since === undefined) return undefined;
  const changed = (objects: readonly ObjectInfo[]) => changedDts(objects, ctx.since, dtOfKey, ctx.verified);
  const parts: string[] = [];
  const payouts = changed(ctx.silver.get('payouts') ?? []);
  if (payouts.size > 0) parts.push(`select id from ${await silverPartitions(ctx, 'payouts', payouts)}`);
  const links = changed(ctx.silver.get('payout_balance_transactions') ?? []);
  if (links.size > 0)
    parts.push(
      `select payout_id as id from ${await silverPartitions(ctx, 'payout_balance_transactions', links)}`,
    );
  const bts = changed(ctx.silver.get('balance_transactions') ?? []);
  if (bts.size > 0)
    parts.push(
      `select payout_id as id from ${K('payout_balance_transactions')}
       where balance_transaction_id in (select id from ${await silverPartitions(ctx, 'balance_transactions', bts)})`,
    );
  const gold = changed(ctx.gold.get('fct_payouts')?.objects ?? []);
  if (gold.size > 0)
    parts.push(`select payout_id as id from ${await goldPartitions(ctx, 'fct_payouts', gold)}`);
  const count = (name: string, dts: Set<string>) => (dts.size > 0 ? [`${name}: ${dts.size}`] : []);
  return {
    sql: parts.length > 0 ? parts.join(' union ') : 'select NULL::VARCHAR as id limit 0',
    parts: [
      ...count('payouts', payouts),
      ...count('payout_balance_transactions', links),
      ...count('balance_transactions', bts),
      ...count('fct_payouts', gold),
    ],
  };
}

/** `reconcile.payouts` over the payouts {@link changedPayouts} names (scope `changed`), else all. */
export async function checkPayouts(ctx: QualityContext): Promise<CheckResult> {
  const scope = await changedPayouts(ctx);
  if (!scope) return runReconciliation(ctx, payoutsReconciliation());
  const table = 'q_payouts_in_scope';
  await ctx.db.conn.run(`create or replace temp table ${table} as select distinct id from (${scope.sql})`);
  try {
    // Gold's side from the partitions holding those payouts now (the Gold key index: a payout's
    // dt), not every arrival day's file (370 at 100k; on S3 a download each)
    const dts = await ctx.db.rows<{ dt: string }>(
      `select distinct ${dtOfFileSql} as dt from ${keysView('gold.fct_payouts')}
       where payout_id in (select id from ${table})`,
    );
    const gold = await goldPartitions(
      ctx,
      'fct_payouts',
      dts.map((r) => r.dt),
    );
    const result = await runReconciliation(ctx, payoutsReconciliation(table, gold));
    // what was compared: the payouts of the changed partitions (counted per partition kind)
    return {
      ...result,
      details: { ...result.details, payouts_checked: 'changed', changed_partitions: scope.parts },
    };
  } finally {
    await ctx.db.conn.run(`drop table if exists ${table}`);
  }
}

/** The two SaaS checks, both error severity. */
export function saasChecks(ctx: QualityContext): PlannedCheck[] {
  return [
    { name: 'reconcile.mrr', severity: 'error', run: () => checkMrr(ctx) },
    {
      name: 'reconcile.payouts',
      severity: 'error',
      run: () => checkPayouts(ctx),
    },
  ];
}
