-- Silver customers: types and deduplicates Bronze customers; no business logic.
-- Grain: one row per customer `id`, its latest version across runs and sources; a deleted
--        customer is its tombstone (is_deleted, NULL attributes) in its creation partition.
-- Keys: id (primary).
with

-- one row per id, its latest version (shared dedup: _latest_versions.sql)
latest as (
    select * from {{latest_versions}}
),

final as (
    select
        -- ids
        obj.id as id,
        -- attributes
        obj.email as email,
        obj.name as name,
        obj.description as description,
        obj.currency as currency,
        obj.balance as balance,
        obj.delinquent as is_delinquent,
        obj.metadata as metadata,
        -- timestamps and lineage
        to_timestamp(_created) as created_ts,
        -- a tombstone whose creation is unknown everywhere lands on its deletion date
        coalesce(to_timestamp(_created), to_timestamp(_version_ts))::DATE as dt,
        obj.livemode as livemode,
        _is_tombstone as is_deleted,
        _version_ts,
        _source,
        _run_id,
        _ingested_at::TIMESTAMPTZ as _ingested_at,
        _bronze_key
    from latest
)

select * from final
