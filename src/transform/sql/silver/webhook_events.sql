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
        -- the standard columns (created_ts, dt, livemode, is_deleted, lineage): _latest_events.sql
        latest.* exclude (obj)
    from latest
)

select * from final
