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
        -- timestamps and lineage
        to_timestamp(_created) as created_ts,
        -- a tombstone whose creation is unknown everywhere lands on its deletion date
        coalesce(to_timestamp(_created), to_timestamp(_version_ts))::DATE as dt,
        obj.livemode as livemode,
        _is_tombstone as is_deleted,
        _version_ts,
        _source,
        _run_id,
        _ingested_at::TIMESTAMPTZ as _ingested_at,
        _bronze_key
    from latest
)

select * from final
