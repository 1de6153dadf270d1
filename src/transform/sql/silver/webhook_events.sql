-- Silver webhook_events: types and deduplicates webhook deliveries (Bronze entity=webhook_events,
-- partitioned there by received date; here dt = the event's created date).
-- Grain: one row per event `id`, however many copies were delivered.
-- Keys: id (primary).
-- Columns: declared once, in src/contracts/silver.ts; the `columns` placeholder types them from `obj`.
with

-- one row per event id (shared dedup: _latest_events.sql)
latest as (
    select * from {{latest_events}}
)

select {{columns}} from latest
