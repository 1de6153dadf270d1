-- Shared fragment, not a model: one row per `obj.id` of the versions it is given, the latest by
-- the shared order (_version_order.sql). The dedup of entities (_latest_versions.sql, over
-- _object_versions.sql) and of events (_latest_events.sql, over _event_versions.sql).
-- Fills: versions (one row per version: obj and the lineage the order reads), version_order.
-- Returns one row per `obj.id`: the winning version's columns, and _any_created: the latest
--        `created` of any version of the id (for a tombstone {id, object, deleted}, which has
--        none of its own).
with

-- read twice (narrow ids, then whole rows), streamed both times rather than materialised
versions as not materialized (
    select * from {{versions}}
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

-- latest version first, by the shared order
ranked as (
    select
        versions.*,
        row_number() over (partition by obj.id order by {{version_order}}) as _rank,
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
)

select * from winners
