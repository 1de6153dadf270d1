-- Shared fragment, not a model: one row per Stripe event `id` (an event is immutable, so its
-- copies across runs and deliveries collapse to one). The events and webhook_events models select
-- from it (as `latest_events`) and only type columns.
-- Fills: bronze (the table's Bronze), version_order.
-- Returns one row per `obj.id`: obj, then the standard columns every Silver table ends with, in
--        the contract's order (COMMON_SILVER_COLUMNS): created_ts, dt, livemode, is_deleted (always
--        false: events are never deleted), _version_ts, _source, _run_id, _ingested_at, _bronze_key.
with

bronze as not materialized (
    select * from {{bronze}}
),

-- read twice (narrow ids, then whole rows), streamed both times rather than materialised
versions as not materialized (
    select
        data as obj,
        meta.version_ts as _version_ts,
        meta.source as _source,
        meta.run_id as _run_id,
        -- the object is the event: its own id (constant per id, there for the shared order)
        data.id as _event_id,
        meta.ingested_at as _ingested_at,
        bronze_key(filename) as _bronze_key
    from bronze
),

-- ids seen more than once (a re-read overlap, a duplicated delivery): only they need ranking;
-- ranking every event would sort every wide row. This pass reads ids only.
repeated as (
    select obj.id as id
    from versions
    group by obj.id
    having count(*) > 1
),

-- the copies of an event are equal but for lineage: keep the latest by the shared order
-- (_version_order.sql)
ranked as (
    select
        versions.*,
        row_number() over (partition by obj.id order by {{version_order}}) as _rank
    from versions
    semi join repeated on repeated.id = versions.obj.id
),

winners as (
    select versions.*
    from versions
    anti join repeated on repeated.id = versions.obj.id
    union all by name
    select * exclude (_rank) from ranked where _rank = 1
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
    from winners
)

select * from latest
