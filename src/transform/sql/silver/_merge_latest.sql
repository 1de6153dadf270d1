-- Shared fragment, not a model: an incremental Silver build. Merges the rows typed from new
-- Bronze into the current Silver rows of the partitions they touch, instead of re-reading the
-- Bronze behind those rows. Both sides are typed Silver rows carrying their lineage, so the latest
-- version of an id is chosen by the order of the full dedup (_latest_versions.sql,
-- _latest_events.sql): version time, then source (api > events > webhook), then run, then Bronze
-- key, then ingestion time. (The full dedup breaks a tie within one run by event id before the
-- Bronze key; a current row and an incoming one tie on run only when a run id is reused.)
-- Fills: current (the Silver rows of the touched partitions), incoming (rows typed from new
--        Bronze by the table's model: one per id), columns (the contract's columns, in order).
-- Grain: one row per `id`. Keys: id (primary).
with

current_rows as not materialized (
    select * from {{current}}
),

incoming as not materialized (
    select * from {{incoming}}
),

-- ids with a row on both sides: only they need ranking (at most two rows each)
contested as (
    select current_rows.* from current_rows semi join incoming on incoming.id = current_rows.id
    union all by name
    select incoming.* from incoming semi join current_rows on current_rows.id = incoming.id
),

ranked as (
    select
        contested.*,
        row_number() over (
            partition by id
            order by
                _version_ts desc,
                source_rank(_source) desc,
                _run_id desc,
                _bronze_key desc,
                _ingested_at desc
        ) as _rank
    from contested
),

merged as (
    select current_rows.* from current_rows anti join incoming on incoming.id = current_rows.id
    union all by name
    select incoming.* from incoming anti join current_rows on current_rows.id = incoming.id
    union all by name
    select * exclude (_rank) from ranked where _rank = 1
)

select {{columns}} from merged
