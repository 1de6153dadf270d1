-- Shared fragment, not a model: the latest version of every object of one entity, across runs
-- and sources. Each entity model selects from it (as `latest_versions`) and only types columns.
-- Fills: object_versions (_object_versions.sql over the entity's Bronze and webhook deliveries),
--        known_created (id -> created already in Silver), version_order.
-- Returns one row per `obj.id`: obj, then the standard columns every Silver table ends with, in
--        the contract's order (COMMON_SILVER_COLUMNS): created_ts, dt, livemode, is_deleted,
--        _version_ts, _source, _run_id, _ingested_at, _bronze_key.
with

known_created as (
    select * from {{known_created}}
),

-- every version of every object (_object_versions.sql). Read twice (narrow ids, then whole
-- rows), streamed both times rather than materialised.
versions as not materialized (
    select * from {{object_versions}}
),

-- ids with more than one version (across runs, sources or deliveries): only they need ranking.
-- On a first load nearly every id has one version, and ranking them all would sort every wide row
-- (time, and memory beyond DuckDB's limit at 1m charges); this pass reads ids only.
repeated as (
    select obj.id as id
    from versions
    group by obj.id
    having count(*) > 1
),

-- latest version first, by the shared order (_version_order.sql)
ranked as (
    select
        versions.*,
        row_number() over (partition by obj.id order by {{version_order}}) as _rank,
        -- a tombstone ({id, object, deleted}) has no `created`: take it from the other versions
        max(obj.created) over (partition by obj.id) as _any_created
    from versions
    semi join repeated on repeated.id = versions.obj.id
),

-- one row per id: the only version, or the first ranked
winners as (
    select versions.*, versions.obj.created as _any_created
    from versions
    anti join repeated on repeated.id = versions.obj.id
    union all by name
    select * exclude (_rank) from ranked where _rank = 1
),

latest as (
    select
        winners.obj,
        winners._version_ts,
        winners._source,
        winners._run_id,
        winners._event_id,
        winners._ingested_at,
        winners._is_tombstone,
        winners._bronze_key,
        coalesce(winners.obj.created, winners._any_created, known_created.created) as _created
    from winners
    left join known_created on known_created.id = winners.obj.id
),

-- the standard columns, typed as the contract says
final as (
    select
        obj,
        to_timestamp(_created) as created_ts,
        -- a tombstone whose creation is unknown everywhere lands on its deletion date
        coalesce(to_timestamp(_created), to_timestamp(_version_ts))::DATE as dt,
        obj.livemode as livemode,
        _is_tombstone as is_deleted,
        _version_ts,
        _source,
        _run_id,
        _ingested_at,
        _bronze_key
    from latest
)

select * from final
