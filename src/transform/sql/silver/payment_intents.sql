-- Silver payment_intents: types and deduplicates Bronze payment intents; no business logic.
-- Grain: one row per payment intent `id`, its latest version across runs and sources.
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
        ref_id(obj.latest_charge) as latest_charge_id,
        -- amounts (minor units)
        obj.amount as amount,
        obj.amount_received as amount_received,
        obj.amount_capturable as amount_capturable,
        obj.currency as currency,
        -- state
        obj.status as status,
        obj.capture_method as capture_method,
        obj.cancellation_reason as cancellation_reason,
        to_timestamp(obj.canceled_at) as canceled_at_ts,
        obj.description as description,
        obj.metadata as metadata,
        -- the standard columns (created_ts, dt, livemode, is_deleted, lineage): _latest_versions.sql
        latest.* exclude (obj)
    from latest
)

select * from final
