-- Silver refunds: types and deduplicates Bronze refunds; no business logic.
-- Grain: one row per refund `id`, its latest version across runs and sources.
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
        ref_id(obj.balance_transaction) as balance_transaction_id,
        -- amounts (minor units)
        obj.amount as amount,
        obj.currency as currency,
        -- state
        obj.status as status,
        obj.reason as reason,
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
