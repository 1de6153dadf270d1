-- Shared fragment, not a model: the latest version of every object of one entity, across runs
-- and sources. Each entity model selects from it (as `latest_versions`) and only types columns.
-- Fills: bronze (the entity's Bronze), webhooks (webhook deliveries), known_created
--        (id -> created already in Silver), delete_event_types, object_name.
-- Returns one row per `obj.id`: obj, then the standard columns every Silver table ends with, in
--        the contract's order (COMMON_SILVER_COLUMNS): created_ts, dt, livemode, is_deleted,
--        _version_ts, _source, _run_id, _ingested_at, _bronze_key.
with

entity_bronze as (
    select * from {{bronze}}
),

webhook_bronze as (
    select * from {{webhooks}}
),

known_created as (
    select * from {{known_created}}
),

-- every version of every object: the entity's Bronze (api + events passes) and the objects of
-- webhook-delivered events, routed by `data.object.object`
versions as (
    select
        data as obj,
        meta.version_ts as _version_ts,
        meta.source as _source,
        meta.run_id as _run_id,
        meta.event_id as _event_id,
        meta.ingested_at as _ingested_at,
        coalesce(meta.deleted, data.deleted, false) as _is_tombstone,
        bronze_key(filename) as _bronze_key
    from entity_bronze
    union all
    select
        data.data.object as obj,
        meta.version_ts as _version_ts,
        meta.source as _source,
        meta.run_id as _run_id,
        coalesce(meta.event_id, data.id) as _event_id,
        meta.ingested_at as _ingested_at,
        list_contains({{delete_event_types}}, data.type) or coalesce(data.data.object.deleted, false)
            as _is_tombstone,
        bronze_key(filename) as _bronze_key
    from webhook_bronze
    where data.data.object.object = {{object_name}}
),

-- latest version first: version time, then source (api > events > webhook), then run, then a
-- deterministic last tie-break
ranked as (
    select
        *,
        row_number() over (
            partition by obj.id
            order by
                _version_ts desc,
                source_rank(_source) desc,
                _run_id desc,
                _event_id desc nulls last,
                _bronze_key desc,
                _ingested_at desc
        ) as _rank,
        -- a tombstone ({id, object, deleted}) has no `created`: take it from the other versions
        max(obj.created) over (partition by obj.id) as _any_created
    from versions
),

latest as (
    select
        ranked.obj,
        ranked._version_ts,
        ranked._source,
        ranked._run_id,
        ranked._event_id,
        ranked._ingested_at,
        ranked._is_tombstone,
        ranked._bronze_key,
        coalesce(ranked.obj.created, ranked._any_created, known_created.created) as _created
    from ranked
    left join known_created on known_created.id = ranked.obj.id
    where ranked._rank = 1
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
        _ingested_at::TIMESTAMPTZ as _ingested_at,
        _bronze_key
    from latest
)

select * from final
