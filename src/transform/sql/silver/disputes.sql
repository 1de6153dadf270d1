-- Silver disputes: types and deduplicates Bronze disputes; no business logic.
-- Grain: one row per dispute `id`, its latest version across runs and sources.
-- Keys: id (primary). charge_id -> charges.
with

-- one row per id, its latest version (shared dedup: _latest_versions.sql)
latest as (
    select * from {{latest_versions}}
),

final as (
    select
        -- ids
        obj.id as id,
        ref_id(obj.charge) as charge_id,
        ref_id(obj.payment_intent) as payment_intent_id,
        -- amounts (minor units)
        obj.amount as amount,
        obj.currency as currency,
        -- state
        obj.status as status,
        obj.reason as reason,
        obj.is_charge_refundable as is_charge_refundable,
        obj.metadata as metadata,
        -- the standard columns (created_ts, dt, livemode, is_deleted, lineage): _latest_versions.sql
        latest.* exclude (obj)
    from latest
)

select * from final
