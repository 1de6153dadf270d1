-- Shared fragment, not a model: the children of every version of a child table's parents
-- (SPEC 4.1, 7.1: "a child follows the latest version of its parent"). Each child model selects
-- from it (as `parent_versions`) and keeps the versions it needs.
-- Fills: object_versions (_object_versions.sql over the parent's Bronze and webhook deliveries),
--        version_order, child_rank (see the last select), embedded_list, embedded_partial and
--        embedded_child (the parent's embedded list: its children, whether it is incomplete, and
--        one child typed; from the list read as JSON, or typed by the reader itself), child_pages
--        (the child table's own Bronze: the pages fetched by parent, each record's
--        meta.parent = {id, version_ts, count}), page_key (a fetched child's page key, from
--        `pages._page_file`; a check that reads no key leaves it NULL: 1 s of the payout
--        transactions' check at 1m).
-- Returns one row per (parent version, child): obj (the child, typed), parent (the parent
--        version), _rank (1 = the latest version of its parent, by the shared order),
--        _child_rank (1 = the child's row from the latest parent version listing it), and the
--        lineage of the parent version: _version_ts, _source, _run_id, _event_id, _ingested_at,
--        _is_tombstone, and _bronze_key (the page's key for a fetched child).
-- Which children a version has: its embedded list when that is complete (has_more false); else
-- the complete fetch made for that version (meta.parent.version_ts = its version_ts); for the
-- latest version, else the latest complete fetch of the parent; else what the list embeds.
with

-- every version of every parent (_object_versions.sql)
versions as (
    select * from {{object_versions}}
),

ranked as (
    select
        versions.*,
        row_number() over (partition by obj.id order by {{version_order}}) as _rank,
        {{embedded_list}} as _embedded,
        {{embedded_partial}} as _embedded_partial
    from versions
),

-- the children fetched by parent; only fetches whose every page is in Bronze count
pages as (
    select
        data as obj,
        meta.parent.id as parent_id,
        meta.parent.version_ts as parent_version_ts,
        meta.parent.count as fetch_count,
        -- the page's key is made where it is read (page_key): this CTE is materialized
        filename as _page_file
    from {{child_pages}}
),

complete_fetches as (
    select parent_id, parent_version_ts
    from pages
    group by parent_id, parent_version_ts
    having count(distinct obj.id) = max(fetch_count)
),

latest_fetch as (
    select parent_id, max(parent_version_ts) as parent_version_ts
    from complete_fetches
    group by parent_id
),

-- the fetch each partial version reads: its own, or for the latest version the parent's latest
chosen as (
    select
        ranked.obj.id as parent_id,
        ranked._version_ts,
        ranked._rank,
        coalesce(own.parent_version_ts, case when ranked._rank = 1 then latest_fetch.parent_version_ts end)
            as fetch_version_ts
    from ranked
    left join complete_fetches own
        on own.parent_id = ranked.obj.id and own.parent_version_ts = ranked._version_ts
    left join latest_fetch on latest_fetch.parent_id = ranked.obj.id
    where ranked._embedded_partial
),

embedded as (
    select
        {{embedded_child}} as obj,
        ranked.* exclude (obj, _embedded, _embedded_partial),
        ranked.obj as parent
    from ranked
    -- a version with a fetch of its own reads that instead
    anti join (select * from chosen where fetch_version_ts is not null) c
        on c.parent_id = ranked.obj.id and c._version_ts = ranked._version_ts and c._rank = ranked._rank
    where _embedded is not null
),

fetched as (
    select
        pages.obj,
        ranked.* exclude (obj, _embedded, _embedded_partial, _bronze_key),
        {{page_key}} as _bronze_key,
        ranked.obj as parent
    from chosen
    join ranked on ranked.obj.id = chosen.parent_id and ranked._rank = chosen._rank
    join pages on pages.parent_id = chosen.parent_id and pages.parent_version_ts = chosen.fetch_version_ts
    where chosen.fetch_version_ts is not null
),

children as (
    select * from embedded
    union all by name
    select * from fetched
)

-- per child, its rows latest first (the latest parent version listing it, then the shared order):
-- child_rank is `row_number() over (partition by parent.id, obj.id order by _rank, <version
-- order>)` (CHILD_RANK in silver-sql.ts), or NULL for a check that never reads it (DuckDB
-- computes a window even when nothing reads it: 1.2 s of the payout transactions' check at 1m)
select
    children.*,
    {{child_rank}} as _child_rank
from children
