-- Shared fragment, not a model: one row per Stripe event `id` (an event is immutable, so its
-- copies across runs and deliveries collapse to one). The events and webhook_events models select
-- from it (as `latest_events`) and only type columns.
-- Fills: bronze (the table's Bronze).
-- Returns one row per `obj.id`: obj, then the standard columns every Silver table ends with, in
--        the contract's order (COMMON_SILVER_COLUMNS): created_ts, dt, livemode, is_deleted (always
--        false: events are never deleted), _version_ts, _source, _run_id, _ingested_at, _bronze_key.
with

bronze as (
    select * from {{bronze}}
),

versions as (
    select
        data as obj,
        meta.version_ts as _version_ts,
        meta.source as _source,
        meta.run_id as _run_id,
        meta.ingested_at as _ingested_at,
        bronze_key(filename) as _bronze_key
    from bronze
),

ranked as (
    select
        *,
        row_number() over (
            partition by obj.id
            order by
                _version_ts desc,
                source_rank(_source) desc,
                _run_id desc,
                _bronze_key desc,
                _ingested_at desc
        ) as _rank
    from versions
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
        _ingested_at::TIMESTAMPTZ as _ingested_at,
        _bronze_key
    from ranked
    where _rank = 1
)

select * from latest
