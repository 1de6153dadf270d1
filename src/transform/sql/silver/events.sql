-- Silver events: types and deduplicates the events read from /v1/events (Bronze entity=events).
-- Grain: one row per event `id` (an event is immutable: re-reads across runs collapse to one).
-- Keys: id (primary).
-- Columns: declared once, in src/contracts/silver.ts; the `columns` placeholder types them from `obj`.
with

-- one row per event id (shared dedup: _latest_events.sql)
latest as (
    select * from {{latest_events}}
)

select {{columns}} from latest
