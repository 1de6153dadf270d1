-- Silver payouts: types and deduplicates Bronze payouts; no business logic.
-- Grain: one row per payout `id`, its latest version across runs and sources (pending ->
--        in_transit -> paid or failed); payouts are never deleted.
-- Keys: id (primary). balance_transaction_id, failure_balance_transaction_id -> balance_transactions.
-- Columns: declared once, in src/contracts/silver.ts; the `columns` placeholder types them from `obj`.
with

-- one row per id, its latest version (shared dedup: _latest_versions.sql)
latest as (
    select * from {{latest_versions}}
)

select {{columns}} from latest
