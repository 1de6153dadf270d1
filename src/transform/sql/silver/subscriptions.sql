-- Silver subscriptions: types and deduplicates Bronze subscriptions; no business logic.
-- Grain: one row per subscription `id`, its latest version across runs and sources
--        (customer.subscription.deleted means canceled: status canceled, not a tombstone).
-- Keys: id (primary). customer_id -> customers.
-- Columns: declared once, in src/contracts/silver.ts; the `columns` placeholder types them from `obj`
--          (the billing period: on the items in current API versions, on the subscription before
--          2025; the contract names both places), and takes `items` computed below by name.
with

-- one row per id, its latest version (shared dedup: _latest_versions.sql)
latest as (
    select * from {{latest_versions}}
),

-- `items` in the current version's shape whichever version the latest event was created under:
-- before 2025 the billing period was the subscription's own, so it goes onto each item
derived as (
    select
        latest.*,
        case
            when obj.current_period_start is null then obj.items
            else json_merge_patch(obj.items, json_object('data', to_json(list_transform(
                json_extract(obj.items, '$.data[*]'),
                item -> json_merge_patch(item, json_object(
                    'current_period_start', obj.current_period_start,
                    'current_period_end', obj.current_period_end
                ))
            ))))
        end as items
    from latest
)

select {{columns}} from derived
