-- Shared fragment, not a model: every version of every object of one entity, across runs and
-- sources: the entity's Bronze (api + events passes) and the objects of webhook-delivered events,
-- routed by `data.object.object`. Read by the dedups of entities (_latest_versions.sql) and of
-- child tables' parents (_parent_versions.sql), so both see the same versions with the same
-- lineage and tombstones.
-- Fills: bronze (the entity's Bronze), webhooks (webhook deliveries), delete_event_types (the
--        entity's), object_name (the entity's `object`).
-- Returns one row per version: obj, _version_ts, _source, _run_id, _event_id, _ingested_at
--        (TIMESTAMPTZ, as Silver stores it and the incremental merge compares it), _is_tombstone,
--        _bronze_key.
select
    data as obj,
    meta.version_ts as _version_ts,
    meta.source as _source,
    meta.run_id as _run_id,
    meta.event_id as _event_id,
    meta.ingested_at::TIMESTAMPTZ as _ingested_at,
    coalesce(meta.deleted, data.deleted, false) as _is_tombstone,
    bronze_key(filename) as _bronze_key
from {{bronze}}
union all
select
    data.data.object as obj,
    meta.version_ts as _version_ts,
    meta.source as _source,
    meta.run_id as _run_id,
    coalesce(meta.event_id, data.id) as _event_id,
    meta.ingested_at::TIMESTAMPTZ as _ingested_at,
    list_contains({{delete_event_types}}, data.type) or coalesce(data.data.object.deleted, false)
        as _is_tombstone,
    bronze_key(filename) as _bronze_key
from {{webhooks}}
where data.data.object.object = {{object_name}}
