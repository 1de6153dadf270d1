-- Shared fragment, not a model: an incremental Silver build. Merges the rows typed from new
-- Bronze into the current Silver rows of the partitions they touch, instead of re-reading the
-- Bronze behind those rows. Both sides are typed Silver rows carrying their lineage, so the latest
-- version of an id is chosen by the full dedup's own order (_version_order.sql). Silver keeps no
-- event id, and needs none here: a current row and an incoming one always come from different
-- Bronze objects, and the order compares Bronze keys before event ids.
-- Fills: current (the Silver rows of the touched partitions), incoming (rows typed from new
--        Bronze by the table's model: one per id), columns (the contract's columns, in order),
--        version_order.
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
        row_number() over (partition by id order by {{version_order}}) as _rank
    from (select *, NULL::VARCHAR as _event_id from contested) as contested
),

merged as (
    select current_rows.* from current_rows anti join incoming on incoming.id = current_rows.id
    union all by name
    select incoming.* from incoming anti join current_rows on current_rows.id = incoming.id
    union all by name
    select * exclude (_rank, _event_id) from ranked where _rank = 1
)

select {{columns}} from merged
