-- Silver payout_balance_transactions: which balance transactions each automatic payout paid out
-- (SPEC 4.1, 7.1), as `GET /v1/balance_transactions?payout=` listed them at the payout's latest
-- complete read (made when the payout was first seen and again at its final status).
-- Grain: one row per (payout_id, balance_transaction_id). dt = the payout's created date.
-- Keys: (payout_id, balance_transaction_id) (primary). payout_id -> payouts,
--       balance_transaction_id -> balance_transactions.
-- Columns: declared once, in src/contracts/silver.ts; the `columns` placeholder types them from
--          `obj` (the balance transaction), and takes the ones computed below by name; the
--          latest payout version's children, dt and is_deleted come from _latest_children.sql.
with

derived as (
    select
        latest.*,
        parent.id as payout_id,
        coalesce(parent.livemode, obj.livemode) as livemode
    from {{latest_children}} as latest
)

select {{columns}} from derived
