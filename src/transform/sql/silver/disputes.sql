-- Silver disputes: types and deduplicates Bronze disputes; no business logic.
-- Grain: one row per dispute `id`, its latest version across runs and sources.
-- Keys: id (primary). charge_id -> charges.
-- Columns: declared once, in src/contracts/silver.ts; the `columns` placeholder types them from `obj`.
with

-- one row per id, its latest version (shared dedup: _latest_versions.sql)
latest as (
    select * from {{latest_versions}}
)

select {{columns}} from latest
