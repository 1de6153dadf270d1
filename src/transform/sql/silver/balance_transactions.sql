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
        -- the standard columns (created_ts, dt, livemode, is_deleted, lineage): _latest_versions.sql
        latest.* exclude (obj)
    from latest
)

select * from final
