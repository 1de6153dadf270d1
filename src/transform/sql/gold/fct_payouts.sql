-- Gold fct_payouts
-- Grain: one row per payout; dt = its arrival date (UTC). Key: payout_id.
-- A payout's transactions are the balance transactions it pays out (payout_balance_transactions:
-- what `?payout=` lists), except its own `payout` transaction (the money leaving, not what it
-- pays). A failed earlier payout's `payout_failure` (money returned to the balance) paid out
-- again by this one is among them, in other_net: SPEC 4.2's invariant counts it. Per reporting_category: charges_amount
-- (charge), refunds_amount (refund, refund_failure), disputes_amount (dispute,
-- dispute_reversal) sum `amount`; fees_amount sums their `fee`; other_net sums the `net` of every
-- other category. So transactions_net = charges + refunds + disputes - fees + other_net, and
-- is_reconciled says transactions_net = amount (Stripe's invariant for a paid automatic payout).
-- Minor units, BIGINT.
-- keys_silver_<table>: the table's key, the columns the key index keeps of it and dt, read from
-- the index where it read the very partition (gold-build.ts, state/key-index.ts `INDEX_COLUMNS`).
with

-- {{scope_dts}}: the arrival dates computed (an incremental run), or NULL (the whole model)
payouts as (
    select * from keys_silver_payouts
    where not is_deleted
        and ({{scope_dts}} is null or arrival_date_ts::DATE::VARCHAR in (select unnest({{scope_dts}})))
),

-- the links of those payouts only: a daily run joins a few thousand, not every link to every
-- balance transaction
payout_links as (
    select * from keys_silver_payout_balance_transactions
    where payout_id in (select id from payouts)
),

balance_transactions as (
    select * from keys_silver_balance_transactions
),

-- each transaction the payout pays, once, with its category
payout_transactions as (
    select distinct on (payout_links.payout_id, balance_transactions.id)
        payout_links.payout_id,
        balance_transactions.amount,
        balance_transactions.fee,
        balance_transactions.net,
        case
            when balance_transactions.reporting_category = 'charge' then 'charge'
            when balance_transactions.reporting_category in ('refund', 'refund_failure') then 'refund'
            when balance_transactions.reporting_category in ('dispute', 'dispute_reversal') then 'dispute'
            else 'other'
        end as category
    from payout_links
    join balance_transactions on balance_transactions.id = payout_links.balance_transaction_id
    join payouts on payouts.id = payout_links.payout_id
    where balance_transactions.id is distinct from payouts.balance_transaction_id
),

-- rolled up to the payout before the join, so the join cannot multiply payouts
payout_totals as (
    select
        payout_id,
        count(*) as transactions_count,
        sum(net) as transactions_net,
        sum(amount) filter (where category = 'charge') as charges_amount,
        sum(amount) filter (where category = 'refund') as refunds_amount,
        sum(amount) filter (where category = 'dispute') as disputes_amount,
        sum(fee) filter (where category <> 'other') as fees_amount,
        sum(net) filter (where category = 'other') as other_net
    from payout_transactions
    group by payout_id
),

final as (
    select
        payouts.id as payout_id,
        payouts.arrival_date_ts::DATE as arrival_date,
        -- amounts (minor units)
        payouts.currency,
        payouts.amount,
        -- state
        payouts.status,
        payouts.automatic,
        -- what it pays: every total of payout_totals, in its order and with its name; 0 for a
        -- payout that pays nothing (or nothing of a category)
        coalesce(columns(payout_totals.* exclude (payout_id)), 0)::BIGINT,
        coalesce(payout_totals.transactions_net, 0) = payouts.amount as is_reconciled,
        -- timestamps
        payouts.created_ts,
        payouts.arrival_date_ts::DATE as dt
    from payouts
    left join payout_totals on payout_totals.payout_id = payouts.id
    where payouts.arrival_date_ts is not null
        -- until the payout-transaction links are produced (an older lake), no payout's
        -- transactions are known: no rows, rather than every payout shown unreconciled
        and exists (select 1 from keys_silver_payout_balance_transactions)
)

select * from final
