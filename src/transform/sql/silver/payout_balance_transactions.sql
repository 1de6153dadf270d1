-- Silver payout_balance_transactions: which balance transactions each automatic payout paid out
-- (SPEC 4.1, 7.1), as `GET /v1/balance_transactions?payout=` listed them at the payout's latest
-- complete read (made when the payout was first seen and again at its final status).
-- Grain: one row per (payout_id, balance_transaction_id). dt = the payout's created date.
-- Keys: (payout_id, balance_transaction_id) (primary). payout_id -> payouts,
--       balance_transaction_id -> balance_transactions.
-- Columns: declared once, in src/contracts/silver.ts; the `columns` placeholder types them from
--          `obj` (the balance transaction), and takes the ones computed below by name.
with

children as (
    select * from {{parent_versions}}
),

latest as (
    select *
    from children
    where _rank = 1 and _child_rank = 1
),

derived as (
    select
        latest.*,
        parent.id as payout_id,
        to_timestamp(parent.created) as created_ts,
        to_timestamp(parent.created)::DATE as dt,
        coalesce(parent.livemode, obj.livemode) as livemode,
        _is_tombstone as is_deleted
    from latest
)

select {{columns}} from derived
