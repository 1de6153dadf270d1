-- Gold fct_balance_transactions
-- Grain: one row per balance transaction; dt = its UTC created date. Key: balance_transaction_id.
-- The source (charge, refund, dispute or payout) is resolved by joining each Silver table on its
-- id; the customer is the source charge's customer (none for a payout's own transaction or its
-- failure's return). Balance transactions are never deleted.
-- {{dated_<table>}}: the Silver table, or, when only some dts are computed, its partitions of those
-- dts (each row of a dt comes from that table's rows of the same dt: gold-deps.ts `sameDt`).
-- keys_silver_<table>: the table's key, the columns the key index keeps of it and dt, read from
-- the index where it read the very partition (gold-build.ts, state/key-index.ts `INDEX_COLUMNS`).
with

balance_transactions as (
    select * from {{dated_balance_transactions}}
),

charges as (
    select id, customer_id from keys_silver_charges
),

refunds as (
    select id, charge_id from keys_silver_refunds
),

disputes as (
    select id, charge_id from keys_silver_disputes
),

payouts as (
    select id from keys_silver_payouts
),

sources as (
    select
        balance_transactions.*,
        case
            when charges.id is not null then 'charge'
            when refunds.id is not null then 'refund'
            when disputes.id is not null then 'dispute'
            when payouts.id is not null then 'payout'
        end as source_type,
        coalesce(charges.id, refunds.charge_id, disputes.charge_id) as source_charge_id
    from balance_transactions
    left join charges on charges.id = balance_transactions.source_id
    left join refunds on refunds.id = balance_transactions.source_id
    left join disputes on disputes.id = balance_transactions.source_id
    left join payouts on payouts.id = balance_transactions.source_id
),

final as (
    select
        -- ids
        sources.id as balance_transaction_id,
        sources.created_ts,
        sources.available_on_ts,
        -- amounts (minor units)
        sources.currency,
        sources.amount,
        sources.fee,
        sources.net,
        -- attributes
        sources.type,
        sources.reporting_category,
        sources.status,
        sources.source_type,
        sources.source_id,
        sources.source_charge_id as charge_id,
        source_charges.customer_id,
        sources.dt
    from sources
    left join charges as source_charges on source_charges.id = sources.source_charge_id
)

select * from final
