-- Silver invoices: types and deduplicates Bronze invoices; no business logic.
-- Grain: one row per invoice `id`, its latest version across runs and sources.
-- Keys: id (primary). customer_id -> customers, subscription_id -> subscriptions.
-- Columns: declared once, in src/contracts/silver.ts; the `columns` placeholder types them from `obj`, and
--          takes the ones computed below by name.
-- Links: current API versions link an invoice to its payment through `payments` (a list of
--        invoice_payment objects); older ones through `payment_intent` / `charge`: both are read.
with

-- one row per id, its latest version (shared dedup: _latest_versions.sql)
latest as (
    select * from {{latest_versions}}
),

-- what typing alone cannot give: links that moved between API versions, counts, nested times
derived as (
    select
        latest.*,
        coalesce(ref_id(obj.subscription), obj.parent ->> '$.subscription_details.subscription')
            as subscription_id,
        coalesce(ref_id(obj.payment_intent), obj.payments ->> '$.data[0].payment.payment_intent')
            as payment_intent_id,
        coalesce(ref_id(obj.charge), obj.payments ->> '$.data[0].payment.charge') as charge_id,
        coalesce((obj.lines -> '$.total_count')::BIGINT, json_array_length(obj.lines, '$.data')::BIGINT)
            as line_item_count,
        to_timestamp((obj.status_transitions -> '$.paid_at')::BIGINT) as paid_at_ts
    from latest
)

select {{columns}} from derived
