-- Silver subscriptions: types and deduplicates Bronze subscriptions; no business logic.
-- Grain: one row per subscription `id`, its latest version across runs and sources
--        (customer.subscription.deleted means canceled: status canceled, not a tombstone).
-- Keys: id (primary). customer_id -> customers.
-- Columns: declared once, in src/contracts/silver.ts; the `columns` placeholder types them from `obj`, and
--          takes the ones computed below by name.
with

-- one row per id, its latest version (shared dedup: _latest_versions.sql)
latest as (
    select * from {{latest_versions}}
),

-- current API versions keep the billing period on the items, older ones on the subscription
derived as (
    select
        latest.*,
        to_timestamp(coalesce(obj.current_period_start, (obj.items -> '$.data[0].current_period_start')::BIGINT))
            as current_period_start_ts,
        to_timestamp(coalesce(obj.current_period_end, (obj.items -> '$.data[0].current_period_end')::BIGINT))
            as current_period_end_ts
    from latest
)

select {{columns}} from derived
