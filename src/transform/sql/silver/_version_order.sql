-- Shared fragment, not a model: the one "which version wins" order, latest first. Filled into
-- `order by` of the full dedups (_latest_versions.sql, _latest_events.sql) and of the incremental
-- merge (_merge_latest.sql), so the full and incremental paths can never disagree.
-- Version time (the source's clock), then source (api > events > webhook), then run, then the
-- Bronze object, then the event id (ties inside one Bronze object), then ingestion time.
-- The Bronze key comes before the event id on purpose: Bronze objects are append-only and never
-- shared between builds, so a current Silver row and an incoming one (which carries no event id)
-- are always told apart by their keys, exactly as the full dedup tells them apart.
_version_ts desc,
source_rank(_source) desc,
_run_id desc,
_bronze_key desc,
_event_id desc nulls last,
_ingested_at desc
