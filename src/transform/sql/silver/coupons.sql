-- Silver coupons: types and deduplicates Bronze coupons; no business logic.
-- Grain: one row per coupon `id`, its latest version across runs and sources; a deleted coupon is its tombstone
--        (is_deleted, NULL attributes) in its creation partition.
-- Keys: id (primary).
-- Columns: declared once, in src/contracts/silver.ts; the `columns` placeholder types them from `obj`.
with

-- one row per id, its latest version (shared dedup: _latest_versions.sql)
latest as (
    select * from {{latest_versions}}
)

select {{columns}} from latest
