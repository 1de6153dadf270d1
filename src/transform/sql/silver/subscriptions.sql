-- Silver subscriptions: types and deduplicates Bronze subscriptions; no business logic.
-- Grain: one row per subscription `id`, its latest version across runs and sources
--        (customer.subscription.deleted means canceled: status canceled, not a tombstone).
-- Keys: id (primary). customer_id -> customers.
-- Columns: declared once, in src/contracts/silver.ts; the `columns` placeholder types them from `obj`
--          (the billing period: on the items in current API versions, on the subscription before
--          2025; the contract names both places).
with

-- one row per id, its latest version (shared dedup: _latest_versions.sql)
latest as (
    select * from {{latest_versions}}
)

select {{columns}} from latest
