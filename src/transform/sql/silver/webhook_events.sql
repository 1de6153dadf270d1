-- Silver webhook_events: types and deduplicates webhook deliveries (Bronze entity=webhook_events,
-- partitioned there by received date; here dt = the event's created date).
-- Grain: one row per event `id`, however many copies were delivered.
-- Keys: id (primary).
with

-- one row per event id (shared dedup: _latest_events.sql)
latest as (
    select * from {{latest_events}}
),

final as (
    select
        -- ids
        obj.id as id,
        obj.type as type,
        obj.api_version as api_version,
        obj.data ->> '$.object.id' as data_object_id,
        obj.data ->> '$.object.object' as data_object_type,
        obj.pending_webhooks as pending_webhooks,
        obj.request ->> '$.id' as request_id,
        -- nested
        obj.data as data,
        obj.data -> '$.previous_attributes' as previous_attributes,
        -- timestamps and lineage
        to_timestamp(obj.created) as created_ts,
        coalesce(to_timestamp(obj.created), to_timestamp(_version_ts))::DATE as dt,
        obj.livemode as livemode,
        false as is_deleted,
        _version_ts,
        _source,
        _run_id,
        _ingested_at::TIMESTAMPTZ as _ingested_at,
        _bronze_key
    from latest
)

select * from final
