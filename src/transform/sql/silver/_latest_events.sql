-- Shared fragment, not a model: one row per Stripe event `id` (an event is immutable, so its
-- copies across runs and deliveries collapse to one). The events and webhook_events models select
-- from it (as `latest_events`) and only type columns.
-- Fills: latest_per_id (_latest_per_id.sql over _event_versions.sql, over the table's Bronze).
-- Returns one row per `obj.id`: obj, then the standard columns every Silver table ends with, in
--        the contract's order (COMMON_SILVER_COLUMNS): created_ts, dt, livemode, is_deleted (always
--        false: events are never deleted), _version_ts, _source, _run_id, _ingested_at, _bronze_key.
with

-- one row per event id (_latest_per_id.sql over _event_versions.sql): the copies of an event are
-- equal but for lineage, the latest by the shared order is kept
winners as (
    select * from {{latest_per_id}}
),

-- the standard columns, typed as the contract says
latest as (
    select
        obj,
        to_timestamp(obj.created) as created_ts,
        coalesce(to_timestamp(obj.created), to_timestamp(_version_ts))::DATE as dt,
        obj.livemode as livemode,
        false as is_deleted,
        _version_ts,
        _source,
        _run_id,
        _ingested_at,
        _bronze_key
    from winners
)

select * from latest
