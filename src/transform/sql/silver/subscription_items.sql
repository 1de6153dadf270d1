-- Silver subscription_items: the items of every subscription version (SPEC 4.1, 7.1); no
-- business logic beyond "a child follows the latest version of its parent".
-- Grain: one row per item `id` that any version of its subscription listed, taken from the
--        latest version listing it; is_deleted = the latest version of the subscription no
--        longer lists it (the item was removed). dt = the item's created date.
-- Keys: id (primary). subscription_id -> subscriptions, price_id -> prices.
-- Columns: declared once, in src/contracts/silver.ts; the `columns` placeholder types them from
--          `obj` (the item), and takes the ones computed below by name.
with

children as (
    select * from {{parent_versions}}
),

-- per item, the latest subscription version listing it (a removal keeps the last that did)
latest as (
    select * from children where _child_rank = 1
),

derived as (
    select
        latest.*,
        ref_id(parent.customer) as customer_id,
        coalesce(ref_id(obj.price), ref_id(obj.plan)) as price_id,
        coalesce(ref_id(obj.price -> '$.product'), ref_id(obj.plan -> '$.product')) as product_id,
        to_timestamp(coalesce(obj.current_period_start, parent.current_period_start)) as current_period_start_ts,
        to_timestamp(coalesce(obj.current_period_end, parent.current_period_end)) as current_period_end_ts,
        to_timestamp(obj.created) as created_ts,
        coalesce(to_timestamp(obj.created), to_timestamp(parent.created))::DATE as dt,
        coalesce(obj.livemode, parent.livemode) as livemode,
        _rank > 1 or _is_tombstone as is_deleted
    from latest
)

select {{columns}} from derived
