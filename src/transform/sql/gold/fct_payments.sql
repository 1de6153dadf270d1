-- Gold fct_payments
-- Grain: one row per charge; dt = the charge's UTC created date. Key: charge_id.
-- Charges cannot be deleted in Stripe, so none is excluded. The invoice a charge paid is linked
-- from the invoice's side: its payment intent or its charge (invoice_payment objects in current API
-- versions, `payment_intent` / `charge` before 2025); NULL where there is none. Deleted invoices are
-- not linked. (`charge.invoice`, served only before 2025, is not read: Silver would then link a
-- charge or not depending on which version its latest event was created under.)
-- {{dated_<table>}}: the Silver table, or, when only some dts are computed, its partitions of those
-- dts (each row of a dt comes from that table's rows of the same dt: gold-deps.ts `sameDt`).
-- keys_silver_<table>: the table's key, the columns the key index keeps of it and dt, read from
-- the index where it read the very partition (gold-build.ts, state/key-index.ts `INDEX_COLUMNS`).
with

charges as (
    select * from {{dated_charges}}
),

balance_transactions as (
    select * from keys_silver_balance_transactions
),

invoices as (
    select * from keys_silver_invoices where not is_deleted
),

disputes as (
    select * from keys_silver_disputes where not is_deleted
),

-- roll children up to one row per charge before joining, so no join multiplies charges
charge_disputes as (
    select
        charge_id,
        count(*) as dispute_count,
        arg_max(status, struct_pack(created_ts, id)) as dispute_status
    from disputes
    group by charge_id
),

invoice_by_payment_intent as (
    select
        payment_intent_id,
        min(id) as invoice_id
    from invoices
    where payment_intent_id is not null
    group by payment_intent_id
),

invoice_by_charge as (
    select
        charge_id,
        min(id) as invoice_id
    from invoices
    where charge_id is not null
    group by charge_id
),

linked as (
    select
        charges.*,
        coalesce(invoice_by_payment_intent.invoice_id, invoice_by_charge.invoice_id) as linked_invoice_id
    from charges
    left join invoice_by_payment_intent
        on invoice_by_payment_intent.payment_intent_id = charges.payment_intent_id
    left join invoice_by_charge
        on invoice_by_charge.charge_id = charges.id
),

final as (
    select
        -- ids
        linked.id as charge_id,
        linked.created_ts,
        linked.customer_id,
        linked.payment_intent_id,
        invoices.id as invoice_id,
        invoices.subscription_id,
        linked.balance_transaction_id,
        -- amounts (minor units, in currency)
        linked.currency,
        linked.amount,
        linked.amount_refunded,
        balance_transactions.fee,
        balance_transactions.net,
        -- state
        linked.status,
        coalesce(linked.refunded, false) as is_refunded,
        coalesce(linked.disputed, false) or coalesce(charge_disputes.dispute_count, 0) > 0 as is_disputed,
        charge_disputes.dispute_status,
        linked.payment_method_type,
        linked.card_brand,
        linked.dt
    from linked
    left join invoices on invoices.id = linked.linked_invoice_id
    left join balance_transactions on balance_transactions.id = linked.balance_transaction_id
    left join charge_disputes on charge_disputes.charge_id = linked.id
)

select * from final
