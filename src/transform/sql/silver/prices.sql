-- Silver prices: types and deduplicates Bronze prices; no business logic.
-- Grain: one row per price `id`, its latest version across runs and sources; a deleted price is its
--        tombstone (is_deleted, NULL attributes) in its creation partition; an archived one has active = false.
-- Keys: id (primary). product_id -> products.
-- Columns: declared once, in src/contracts/silver.ts; the `columns` placeholder types them from `obj`.
with

-- one row per id, its latest version (shared dedup: _latest_versions.sql)
latest as (
    select * from {{latest_versions}}
)

select {{columns}} from latest
