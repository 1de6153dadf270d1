-- Silver invoices: types and deduplicates Bronze invoices; no business logic.
-- Grain: one row per invoice `id`, its latest version across runs and sources.
-- Keys: id (primary). customer_id -> customers, subscription_id -> subscriptions.
-- Links: current API versions link an invoice to its payment through `payments` (a list of
--        invoice_payment objects); older ones through `payment_intent` / `charge`: both are read.
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
        ref_id(obj.customer) as customer_id,
        coalesce(ref_id(obj.subscription), obj.parent ->> '$.subscription_details.subscription')
            as subscription_id,
        coalesce(ref_id(obj.payment_intent), obj.payments ->> '$.data[0].payment.payment_intent')
            as payment_intent_id,
        coalesce(ref_id(obj.charge), obj.payments ->> '$.data[0].payment.charge') as charge_id,
        -- attributes
        obj.number as number,
        obj.status as status,
        obj.billing_reason as billing_reason,
        obj.collection_method as collection_method,
        -- amounts (minor units)
        obj.currency as currency,
        obj.amount_due as amount_due,
        obj.amount_paid as amount_paid,
        obj.amount_remaining as amount_remaining,
        obj.subtotal as subtotal,
        obj.total as total,
        coalesce((obj.lines -> '$.total_count')::BIGINT, json_array_length(obj.lines, '$.data')::BIGINT)
            as line_item_count,
        -- timestamps
        to_timestamp(obj.period_start) as period_start_ts,
        to_timestamp(obj.period_end) as period_end_ts,
        to_timestamp(obj.due_date) as due_date_ts,
        to_timestamp((obj.status_transitions -> '$.paid_at')::BIGINT) as paid_at_ts,
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
