-- Shared fragment, not a model: an incremental build of a child table dated by itself
-- (subscription items) from its changed parents' new versions alone, when _new_parent_versions.sql
-- allows it (every new version lists its children whole). A child's row is taken from the latest
-- parent version listing it (SPEC 7.1): that is the later of its current Silver row (the latest
-- older version listing it) and its row from the new versions, by the shared order. Whether it is
-- gone from the parent's latest version (is_deleted): when a new version is the latest, a child
-- whose row is its current one is gone, and a new row says it itself; when the current version
-- stays the latest (`stale`: the new versions are older), a current row keeps its flag, and a
-- row from an older new version is gone. The other rows of the touched partitions stay.
-- Fills: current (the Silver rows of the touched partitions), incoming (the changed parents'
--        children typed by the model from the new Bronze alone: one row per id, is_deleted when
--        not listed by the latest new version or listed by a tombstone), parent_ids (relation
--        `(id)` of the changed parents), parent_flags (relation `(id, stale)` of
--        _new_parent_versions.sql), parent_key (the column naming the parent), columns,
--        version_order.
-- Grain: one row per `id`. Keys: id (primary).
with

current_rows as not materialized (
    select * from {{current}}
),

candidates as (
    select *, false as _old from {{incoming}}
    union all by name
    select *, true as _old from current_rows
    where {{parent_key}} in (select id from {{parent_ids}})
),

ranked as (
    select
        candidates.*,
        row_number() over (partition by id order by {{version_order}}, _old) as _rank
    from (select *, NULL::VARCHAR as _event_id from candidates) as candidates
),

merged as (
    select ranked.* exclude (_rank, _old, _event_id) replace (
        case when flags.stale then ranked.is_deleted or not ranked._old
            else ranked.is_deleted or ranked._old end as is_deleted
    )
    from ranked
    left join {{parent_flags}} as flags on flags.id = ranked.{{parent_key}}
    where ranked._rank = 1
    union all by name
    select * from current_rows
    where {{parent_key}} is null or {{parent_key}} not in (select id from {{parent_ids}})
)

select {{columns}} from merged
