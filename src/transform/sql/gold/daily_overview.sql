-- Gold daily_overview
-- Grain: one row per UTC day and currency; dt = date_day. Key: (date_day, currency).
-- sales: charges with status succeeded, by the charge's created date and currency; failed
-- charges: status failed; refunds: refunds with status succeeded, by the refund's created date;
-- disputes: every dispute by its created date; fees/net: every balance transaction by its created
-- date (payouts included, as SPEC 8 defines them); payouts_amount: the net of the payout
-- transactions among them (type payout*; negative = moved to the bank), so net_amount -
-- payouts_amount is the day's net activity; paying_customers: distinct customers with a succeeded charge that day and currency;
-- new_customers: customers created that day in that currency. A deleted customer is a tombstone
-- without a currency, so it is left out of new_customers (it no longer exists).
-- {{dated_<table>}}: the Silver table, or, when only some dts are computed, its partitions of those
-- dts (each row of a dt comes from that table's rows of the same dt: gold-deps.ts `sameDt`).
with

charges as (
    select * from {{dated_charges}}
),

refunds as (
    select * from {{dated_refunds}} where not is_deleted
),

disputes as (
    select * from {{dated_disputes}} where not is_deleted
),

balance_transactions as (
    select * from {{dated_balance_transactions}}
),

customers as (
    select * from {{dated_customers}} where not is_deleted
),

charge_days as (
    select
        dt as date_day,
        currency,
        sum(amount) filter (where status = 'succeeded') as sales_amount,
        count(*) filter (where status = 'succeeded') as sales_count,
        sum(amount) filter (where status = 'failed') as failed_charges_amount,
        count(*) filter (where status = 'failed') as failed_charges_count,
        count(distinct customer_id) filter (where status = 'succeeded') as paying_customers
    from charges
    group by all
),

refund_days as (
    select
        dt as date_day,
        currency,
        sum(amount) as refunds_amount,
        count(*) as refunds_count
    from refunds
    where status = 'succeeded'
    group by all
),

dispute_days as (
    select
        dt as date_day,
        currency,
        sum(amount) as disputes_amount,
        count(*) as disputes_count
    from disputes
    group by all
),

balance_days as (
    select
        dt as date_day,
        currency,
        sum(fee) as fees_amount,
        sum(net) as net_amount,
        sum(net) filter (where starts_with(type, 'payout')) as payouts_amount
    from balance_transactions
    group by all
),

customer_days as (
    select
        dt as date_day,
        currency,
        count(*) as new_customers
    from customers
    where currency is not null
    group by all
),

days as (
    select date_day, currency from charge_days
    union
    select date_day, currency from refund_days
    union
    select date_day, currency from dispute_days
    union
    select date_day, currency from balance_days
    union
    select date_day, currency from customer_days
),

final as (
    select
        days.date_day,
        days.currency,
        coalesce(charge_days.sales_amount, 0)::BIGINT as sales_amount,
        coalesce(charge_days.sales_count, 0)::BIGINT as sales_count,
        coalesce(refund_days.refunds_amount, 0)::BIGINT as refunds_amount,
        coalesce(refund_days.refunds_count, 0)::BIGINT as refunds_count,
        coalesce(dispute_days.disputes_amount, 0)::BIGINT as disputes_amount,
        coalesce(dispute_days.disputes_count, 0)::BIGINT as disputes_count,
        coalesce(charge_days.failed_charges_amount, 0)::BIGINT as failed_charges_amount,
        coalesce(charge_days.failed_charges_count, 0)::BIGINT as failed_charges_count,
        coalesce(balance_days.fees_amount, 0)::BIGINT as fees_amount,
        coalesce(balance_days.net_amount, 0)::BIGINT as net_amount,
        coalesce(balance_days.payouts_amount, 0)::BIGINT as payouts_amount,
        coalesce(customer_days.new_customers, 0)::BIGINT as new_customers,
        coalesce(charge_days.paying_customers, 0)::BIGINT as paying_customers,
        days.date_day as dt
    from days
    left join charge_days using (date_day, currency)
    left join refund_days using (date_day, currency)
    left join dispute_days using (date_day, currency)
    left join balance_days using (date_day, currency)
    left join customer_days using (date_day, currency)
    where days.currency is not null and days.date_day is not null
)

select * from final
