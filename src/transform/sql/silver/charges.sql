-- Silver charges: types and deduplicates Bronze charges; no business logic.
-- Grain: one row per charge `id`, its latest version across runs and sources.
-- Keys: id (primary). customer_id -> customers, payment_intent_id -> payment_intents,
--       balance_transaction_id -> balance_transactions.
-- Columns: declared once, in src/contracts/silver.ts; the `columns` placeholder types them from `obj`.
with

-- one row per id, its latest version (shared dedup: _latest_versions.sql)
latest as (
    select * from {{latest_versions}}
)

select {{columns}} from latest
