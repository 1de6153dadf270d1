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
        -- the standard columns (created_ts, dt, livemode, is_deleted, lineage): _latest_versions.sql
        latest.* exclude (obj)
    from latest
)

select * from final
