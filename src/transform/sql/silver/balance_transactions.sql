-- Silver balance_transactions: types and deduplicates Bronze balance transactions.
-- Grain: one row per balance transaction `id`, its latest version across runs and sources
--        (re-read over a lookback: status turns available without an event).
-- Keys: id (primary). source_id -> charges | refunds | disputes (polymorphic, by id prefix).
with

-- one row per id, its latest version (shared dedup: _latest_versions.sql)
latest as (
    select * from {{latest_versions}}
),

final as (
    select
        -- ids
        obj.id as id,
        ref_id(obj.source) as source_id,
        -- amounts (minor units)
        obj.amount as amount,
        obj.fee as fee,
        obj.net as net,
        obj.currency as currency,
        -- attributes
        obj.type as type,
        obj.reporting_category as reporting_category,
        obj.status as status,
        to_timestamp(obj.available_on) as available_on_ts,
        obj.exchange_rate as exchange_rate,
        obj.description as description,
        obj.fee_details as fee_details,
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
