-- Silver disputes: types and deduplicates Bronze disputes; no business logic.
-- Grain: one row per dispute `id`, its latest version across runs and sources.
-- Keys: id (primary). charge_id -> charges.
with

entity_bronze as (
    select * from {{bronze}}
),

webhook_bronze as (
    select * from {{webhooks}}
),

known_created as (
    select * from {{known_created}}
),

-- every version of every object: the entity's Bronze (api + events passes) and the objects of
-- webhook-delivered events, routed by `data.object.object`
versions as (
    select
        data as obj,
        meta.version_ts as _version_ts,
        meta.source as _source,
        meta.run_id as _run_id,
        meta.event_id as _event_id,
        meta.ingested_at as _ingested_at,
        coalesce(meta.deleted, data.deleted, false) as _is_tombstone,
        bronze_key(filename) as _bronze_key
    from entity_bronze
    union all
    select
        data.data.object as obj,
        meta.version_ts as _version_ts,
        meta.source as _source,
        meta.run_id as _run_id,
        coalesce(meta.event_id, data.id) as _event_id,
        meta.ingested_at as _ingested_at,
        list_contains({{delete_event_types}}, data.type) or coalesce(data.data.object.deleted, false)
            as _is_tombstone,
        bronze_key(filename) as _bronze_key
    from webhook_bronze
    where data.data.object.object = {{object_name}}
),

-- latest version first: version time, then source (api > events > webhook), then run, then a
-- deterministic last tie-break
ranked as (
    select
        *,
        row_number() over (
            partition by obj.id
            order by
                _version_ts desc,
                source_rank(_source) desc,
                _run_id desc,
                _event_id desc nulls last,
                _bronze_key desc,
                _ingested_at desc
        ) as _rank,
        -- a tombstone ({id, object, deleted}) has no `created`: take it from the other versions
        max(obj.created) over (partition by obj.id) as _any_created
    from versions
),

latest as (
    select
        ranked.*,
        coalesce(ranked.obj.created, ranked._any_created, known_created.created) as _created
    from ranked
    left join known_created on known_created.id = ranked.obj.id
    where ranked._rank = 1
),

final as (
    select
        -- ids
        obj.id as id,
        ref_id(obj.charge) as charge_id,
        ref_id(obj.payment_intent) as payment_intent_id,
        -- amounts (minor units)
        obj.amount as amount,
        obj.currency as currency,
        -- state
        obj.status as status,
        obj.reason as reason,
        obj.is_charge_refundable as is_charge_refundable,
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
