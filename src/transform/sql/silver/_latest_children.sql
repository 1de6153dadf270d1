-- Shared fragment, not a model: the children of the latest version of each parent (SPEC 4.1,
-- 7.1: "a child follows the latest version of its parent"), for the child tables that hold the
-- latest version's children only (a child the latest version dropped is gone). Each such model
-- selects from it (as `latest_children`) and only types its columns.
-- Fills: parent_versions (_parent_versions.sql over the parent's Bronze, the webhook deliveries
--        and the child table's own Bronze).
-- Returns one row per (parent, child): what _parent_versions.sql returns for the latest parent
--        version, and the standard columns a child of it takes from that version: created_ts and
--        dt (the parent's created; children have no `created`), is_deleted (the parent's
--        tombstone).
select
    children.*,
    to_timestamp(parent.created) as created_ts,
    to_timestamp(parent.created)::DATE as dt,
    _is_tombstone as is_deleted
from {{parent_versions}} as children
where _rank = 1 and _child_rank = 1
