-- Silver balance_transactions: types and deduplicates Bronze balance transactions.
-- Grain: one row per balance transaction `id`, its latest version across runs and sources
--        (re-read over a lookback: status turns available without an event).
-- Keys: id (primary). source_id -> charges | refunds | disputes (polymorphic, by id prefix).
-- Columns: declared once, in src/contracts/silver.ts; the `columns` placeholder types them from `obj`.
with

-- one row per id, its latest version (shared dedup: _latest_versions.sql)
latest as (
    select * from {{latest_versions}}
)

select {{columns}} from latest
