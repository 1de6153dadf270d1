-- Silver subscriptions: types and deduplicates Bronze subscriptions; no business logic.
-- Grain: one row per subscription `id`, its latest version across runs and sources
--        (customer.subscription.deleted means canceled: status canceled, not a tombstone).
-- Keys: id (primary). customer_id -> customers.
with

-- one row per id, its latest version (shared dedup: _latest_versions.sql)
latest as (
    select * from {{latest_versions}}
),

final as (
    select
        -- ids
        obj.id as id,
        ref_id(obj.customer) as customer_id,
        ref_id(obj.latest_invoice) as latest_invoice_id,
        -- state
        obj.status as status,
        obj.currency as currency,
        obj.collection_method as collection_method,
        obj.cancel_at_period_end as cancel_at_period_end,
        -- timestamps (current API versions keep the period on the items)
        to_timestamp(coalesce(obj.current_period_start, (obj.items -> '$.data[0].current_period_start')::BIGINT))
            as current_period_start_ts,
        to_timestamp(coalesce(obj.current_period_end, (obj.items -> '$.data[0].current_period_end')::BIGINT))
            as current_period_end_ts,
        to_timestamp(obj.start_date) as start_date_ts,
        to_timestamp(obj.cancel_at) as cancel_at_ts,
        to_timestamp(obj.canceled_at) as canceled_at_ts,
        to_timestamp(obj.ended_at) as ended_at_ts,
        to_timestamp(obj.trial_start) as trial_start_ts,
        to_timestamp(obj.trial_end) as trial_end_ts,
        -- nested
        obj.items as items,
        obj.metadata as metadata,
        -- the standard columns (created_ts, dt, livemode, is_deleted, lineage): _latest_versions.sql
        latest.* exclude (obj)
    from latest
)

select * from final
