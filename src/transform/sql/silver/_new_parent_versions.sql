-- Shared fragment, not a model: whether a child table dated by itself (subscription items) can be
-- merged from its changed parents' new versions alone (_merge_children.sql), or must be rebuilt
-- from every version of them (_parent_versions.sql over their created days' Bronze).
-- Fills: object_versions (_object_versions.sql over the new Bronze and webhook deliveries only,
--        the changed parents only), embedded_partial (a version's embedded list is incomplete, or
--        it has none: its children then come from a fetch, which may be an older one),
--        current_parents (the changed parents' current Silver rows, where they have one),
--        version_order.
-- Returns one row per changed parent: id, partial (a new version whose children its embedded list
--        alone does not give), stale (its current Silver version is later than every new one: the
--        new versions are late deliveries, or events read again, and the current version stays
--        the latest).
with

new_versions as (
    select
        obj.id as id,
        _version_ts,
        _source,
        _run_id,
        _event_id,
        _ingested_at,
        _bronze_key,
        {{embedded_partial}} as _partial,
        false as _current
    from {{object_versions}}
),

current_versions as (
    select
        id,
        _version_ts,
        _source,
        _run_id,
        NULL::VARCHAR as _event_id,
        _ingested_at,
        _bronze_key,
        false as _partial,
        true as _current
    from {{current_parents}}
),

ranked as (
    select
        id,
        _partial,
        _current,
        -- a current row that is a new version itself (the parent built first this run) is not later
        row_number() over (partition by id order by {{version_order}}, _current) as _rank
    from (select * from new_versions union all by name select * from current_versions)
)

select
    id,
    bool_or(_partial) as partial,
    bool_or(_rank = 1 and _current) as stale
from ranked
group by id
