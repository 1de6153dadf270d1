-- Silver invoices: types and deduplicates Bronze invoices; no business logic.
-- Grain: one row per invoice `id`, its latest version across runs and sources.
-- Keys: id (primary). customer_id -> customers, subscription_id -> subscriptions.
-- Columns: declared once, in src/contracts/silver.ts; the `columns` placeholder types them from `obj`, and
--          takes the ones computed below by name.
-- Links: current API versions link an invoice to its subscription through `parent` and to its
--        payment through `payments` (invoice_payment objects); older ones through `subscription`,
--        `payment_intent` / `charge`: the contract names both places of each.
with

-- one row per id, its latest version (shared dedup: _latest_versions.sql)
latest as (
    select * from {{latest_versions}}
),

-- what typing alone cannot give: counts, nested times
derived as (
    select
        latest.*,
        coalesce((obj.lines -> '$.total_count')::BIGINT, json_array_length(obj.lines, '$.data')::BIGINT)
            as line_item_count,
        to_timestamp((obj.status_transitions -> '$.paid_at')::BIGINT) as paid_at_ts
    from latest
)

select {{columns}} from derived
