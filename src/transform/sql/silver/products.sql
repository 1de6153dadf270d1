-- Silver products: types and deduplicates Bronze products; no business logic.
-- Grain: one row per product `id`, its latest version across runs and sources; a deleted (draft) product is its tombstone
--        (is_deleted, NULL attributes) in its creation partition.
-- Keys: id (primary). default_price_id names a price of the product (not a checked reference).
-- Columns: declared once, in src/contracts/silver.ts; the `columns` placeholder types them from `obj`.
with

-- one row per id, its latest version (shared dedup: _latest_versions.sql)
latest as (
    select * from {{latest_versions}}
)

select {{columns}} from latest
