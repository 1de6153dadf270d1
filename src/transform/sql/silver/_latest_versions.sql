-- Shared fragment, not a model: the latest version of every object of one entity, across runs
-- and sources. Each entity model selects from it (as `latest_versions`) and only types columns.
-- Fills: latest_per_id (_latest_per_id.sql over _object_versions.sql, over the entity's Bronze
--        and webhook deliveries), known_created (id -> created already in Silver).
-- Returns one row per `obj.id`: obj, then the standard columns every Silver table ends with, in
--        the contract's order (COMMON_SILVER_COLUMNS): created_ts, dt, livemode, is_deleted,
--        _version_ts, _source, _run_id, _ingested_at, _bronze_key.
with

known_created as (
    select * from {{known_created}}
),

-- the latest version of each id (_latest_per_id.sql over _object_versions.sql)
winners as (
    select * from {{latest_per_id}}
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
        -- a tombstone has no `created`: another version's, else Silver's
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
