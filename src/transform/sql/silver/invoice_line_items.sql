-- Silver invoice_line_items: the lines of each invoice's latest version (SPEC 4.1, 7.1); no
-- business logic beyond "a child follows the latest version of its parent".
-- Grain: one row per line `id` of the latest version of its invoice (a line dropped by a later
--        version is gone). dt = the invoice's created date (lines have no `created`).
-- Keys: id (primary). invoice_id -> invoices, subscription_id -> subscriptions, price_id -> prices.
-- Columns: declared once, in src/contracts/silver.ts; the `columns` placeholder types them from
--          `obj` (the line), and takes the ones computed below by name; the latest invoice
--          version's lines, dt and is_deleted come from _latest_children.sql.
-- Links: current API versions name the subscription and the proration under `parent`
--        (`subscription_item_details`); older ones as `subscription`, `proration`, `type`.
with

derived as (
    select
        latest.*,
        parent.id as invoice_id,
        ref_id(parent.customer) as customer_id,
        coalesce(
            obj.parent ->> '$.subscription_item_details.subscription',
            ref_id(obj.subscription),
            ref_id(parent.subscription),
            parent.parent ->> '$.subscription_details.subscription'
        ) as subscription_id,
        coalesce(
            obj.parent ->> '$.subscription_item_details.subscription_item', ref_id(obj.subscription_item)
        ) as subscription_item_id,
        coalesce(obj.pricing ->> '$.price_details.price', ref_id(obj.price)) as price_id,
        coalesce(obj.pricing ->> '$.price_details.product', ref_id(obj.price -> '$.product')) as product_id,
        coalesce(
            obj.type,
            case obj.parent ->> '$.type'
                when 'subscription_item_details' then 'subscription'
                when 'invoice_item_details' then 'invoiceitem'
            end
        ) as line_type,
        coalesce(
            obj.proration,
            (obj.parent ->> '$.subscription_item_details.proration')::BOOLEAN,
            (obj.parent ->> '$.invoice_item_details.proration')::BOOLEAN
        ) as is_proration,
        coalesce(
            list_sum(list_transform(from_json(obj.discount_amounts, '[{"amount":"BIGINT"}]'), d -> d.amount))::BIGINT,
            0
        ) as discount_amount,
        to_timestamp((obj.period ->> '$.start')::BIGINT) as period_start_ts,
        to_timestamp((obj.period ->> '$.end')::BIGINT) as period_end_ts,
        parent.status as invoice_status,
        coalesce(obj.livemode, parent.livemode) as livemode
    from {{latest_children}} as latest
)

select {{columns}} from derived
