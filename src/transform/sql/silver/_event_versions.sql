-- Shared fragment, not a model: every copy of every Stripe event in a table's Bronze (a re-read
-- overlap, a duplicated delivery), with its lineage. Read by _latest_events.sql (through
-- _latest_per_id.sql), as _object_versions.sql is by _latest_versions.sql.
-- Fills: bronze (the table's Bronze).
-- Returns one row per copy: obj (the event), _version_ts, _source, _run_id, _event_id (the
--        event's own id: constant per id, there for the shared order), _ingested_at
--        (TIMESTAMPTZ), _bronze_key.
select
    data as obj,
    meta.version_ts as _version_ts,
    meta.source as _source,
    meta.run_id as _run_id,
    data.id as _event_id,
    meta.ingested_at::TIMESTAMPTZ as _ingested_at,
    bronze_key(filename) as _bronze_key
from {{bronze}}
