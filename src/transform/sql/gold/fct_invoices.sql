-- Gold fct_invoices
-- Grain: one row per invoice that still exists (deleted draft invoices are excluded);
-- dt = its UTC created date. Key: invoice_id.
-- {{dated_<table>}}: the Silver table, or, when only some dts are computed, its partitions of those
-- dts (each row of a dt comes from that table's rows of the same dt: gold-deps.ts `sameDt`).
with

invoices as (
    select * from {{dated_invoices}} where not is_deleted
),

final as (
    select
        -- ids
        id as invoice_id,
        created_ts,
        customer_id,
        subscription_id,
        payment_intent_id,
        number,
        -- state
        status,
        billing_reason,
        -- amounts (minor units)
        currency,
        amount_due,
        amount_paid,
        amount_remaining,
        subtotal,
        total,
        line_item_count,
        -- timestamps
        period_start_ts,
        period_end_ts,
        paid_at_ts,
        dt
    from invoices
)

select * from final
