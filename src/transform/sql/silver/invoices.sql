-- Silver invoices: types and deduplicates Bronze invoices; no business logic.
-- Grain: one row per invoice `id`, its latest version across runs and sources.
-- Keys: id (primary). customer_id -> customers, subscription_id -> subscriptions.
-- Links: current API versions link an invoice to its payment through `payments` (a list of
--        invoice_payment objects); older ones through `payment_intent` / `charge`: both are read.
with

-- one row per id, its latest version (shared dedup: _latest_versions.sql)
latest as (
    select * from {{latest_versions}}
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
        -- the standard columns (created_ts, dt, livemode, is_deleted, lineage): _latest_versions.sql
        latest.* exclude (obj)
    from latest
)

select * from final
