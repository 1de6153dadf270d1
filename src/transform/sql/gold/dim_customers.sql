-- Gold dim_customers
-- Grain: one row per customer, deleted ones included (is_deleted; their attributes are NULL as
-- Stripe shows them); a snapshot: dt = the run's as-of date. Key: customer_id.
-- A customer pays in one currency: its own, else that of its first charge. Sums never add
-- currencies: charges in another currency are left out and counted in other_currency_charges.
-- Sales = succeeded charges (gross); refunds = succeeded refunds of its charges; fees and net =
-- balance transactions whose source is one of its charges, refunds or disputes.
-- The placeholder touched_customers is the customers whose rows are computed: every customer, or
-- in an incremental run those a change of the rows read touched (deps/dim_customers.sql); the
-- others are the previous snapshot's rows (gold-build.ts).
-- keys_silver_<table>: the table's key, the columns the key index keeps of it and dt, read from
-- the index where it read the very partition (gold-build.ts, state/key-index.ts `INDEX_COLUMNS`);
-- keys_gold_fct_balance_transactions the same of the Gold model built before this one: the rows
-- it computed this run, the partitions it kept through the index.
with

customers as (
    select * from keys_silver_customers
    where id in (select customer_id from {{touched_customers}})
),

charges as (
    select * from keys_silver_charges
    where customer_id in (select customer_id from {{touched_customers}})
),

refunds as (
    select * from keys_silver_refunds where not is_deleted and status = 'succeeded'
),

balance_transactions as (
    select * from keys_gold_fct_balance_transactions
    where customer_id in (select customer_id from {{touched_customers}})
),

-- the currency of each customer's first charge, for customers without one of their own
first_charge_currency as (
    select
        customer_id,
        arg_min(currency, struct_pack(created_ts, id)) as currency
    from charges
    group by customer_id
),

customer_currency as (
    select
        customers.id as customer_id,
        coalesce(customers.currency, first_charge_currency.currency) as currency
    from customers
    left join first_charge_currency on first_charge_currency.customer_id = customers.id
),

-- each refunded charge with its customer's currency, materialised so that refunds join it by
-- charge: left to reorder, the optimiser joined refunds to customers on currency alone first
charge_currency as materialized (
    select
        charges.id as charge_id,
        charges.customer_id,
        customer_currency.currency
    from charges
    join customer_currency on customer_currency.customer_id = charges.customer_id
    where charges.id in (select charge_id from refunds)
),

charge_totals as (
    select
        charges.customer_id,
        sum(amount) filter (where status = 'succeeded' and same_currency) as total_sales_amount,
        count(*) filter (where status = 'succeeded' and same_currency) as total_sales_count,
        sum(amount) filter (
            where status = 'succeeded' and same_currency
                and date_trunc('month', created_ts) = date_trunc('month', {{as_of_date}}::TIMESTAMPTZ)
        ) as this_month_sales_amount,
        min(created_ts) filter (where status = 'succeeded' and same_currency) as first_sale_ts,
        max(created_ts) filter (where status = 'succeeded' and same_currency) as last_sale_ts,
        count(*) filter (where status = 'failed' and same_currency) as failed_charges_count,
        count(*) filter (where not same_currency) as other_currency_charges
    from (
        select charges.*, charges.currency is not distinct from customer_currency.currency as same_currency
        from charges
        join customer_currency on customer_currency.customer_id = charges.customer_id
    ) as charges
    group by charges.customer_id
),

refund_totals as (
    select
        charge_currency.customer_id,
        sum(refunds.amount) as total_refunds_amount
    from refunds
    join charge_currency
        on charge_currency.charge_id = refunds.charge_id
        and charge_currency.currency = refunds.currency
    group by charge_currency.customer_id
),

balance_totals as (
    select
        balance_transactions.customer_id,
        sum(fee) as total_fees,
        sum(net) as total_net
    from balance_transactions
    join customer_currency on customer_currency.customer_id = balance_transactions.customer_id
    where balance_transactions.currency = customer_currency.currency
    group by balance_transactions.customer_id
),

final as (
    select
        customers.id as customer_id,
        customers.email,
        customers.name,
        customers.created_ts,
        customers.is_deleted,
        customers.is_delinquent,
        customer_currency.currency,
        coalesce(charge_totals.total_sales_amount, 0)::BIGINT as total_sales_amount,
        coalesce(charge_totals.total_sales_count, 0)::BIGINT as total_sales_count,
        coalesce(refund_totals.total_refunds_amount, 0)::BIGINT as total_refunds_amount,
        coalesce(balance_totals.total_fees, 0)::BIGINT as total_fees,
        coalesce(balance_totals.total_net, 0)::BIGINT as total_net,
        coalesce(charge_totals.this_month_sales_amount, 0)::BIGINT as this_month_sales_amount,
        charge_totals.first_sale_ts,
        charge_totals.last_sale_ts,
        coalesce(charge_totals.failed_charges_count, 0)::BIGINT as failed_charges_count,
        coalesce(charge_totals.other_currency_charges, 0)::BIGINT as other_currency_charges,
        {{as_of_date}} as dt
    from customers
    join customer_currency on customer_currency.customer_id = customers.id
    left join charge_totals on charge_totals.customer_id = customers.id
    left join refund_totals on refund_totals.customer_id = customers.id
    left join balance_totals on balance_totals.customer_id = customers.id
)

select * from final
