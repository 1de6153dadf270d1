-- Gold fct_mrr
-- Grain: one row per month, customer and currency with MRR > 0; dt = the month's first day.
-- Key: (month, customer_id, currency).
-- MRR (SPEC section 8.1) of a customer at an instant T, per currency: the sum, over subscription
-- lines (not prorations) of open or paid invoices whose period covers T (start <= T < end), of
-- (amount - discount_amount) * k, k from the line's price: month 1/n, year 1/(12n), week
-- 52/(12n), day 365/(12n), n = recurring_interval_count. A month's T is its last second (UTC);
-- for the month of the run's as-of time, that time (measured_at_ts). Minor units, DECIMAL(18,4):
-- each line's monthly amount is rounded to 4 decimals, then summed exactly (so a month's value
-- never depends on the order DuckDB adds lines in).
-- keys_silver_<table>: the table's key, the columns the key index keeps of it and dt, read from
-- the index where it read the very partition (gold-build.ts, state/key-index.ts `INDEX_COLUMNS`).
with

line_items as (
    select * from keys_silver_invoice_line_items where not is_deleted
),

prices as (
    select * from keys_silver_prices
),

-- the lines that are recurring revenue
recurring_lines as (
    select
        id as line_id,
        customer_id,
        subscription_id,
        currency,
        price_id,
        amount - coalesce(discount_amount, 0) as net_amount,
        period_start_ts,
        period_end_ts
    from line_items
    where line_type = 'subscription'
        and not is_proration
        and invoice_status in ('open', 'paid')
        and period_end_ts > period_start_ts
        -- a customer's MRR: a line without one (never on a subscription invoice) has no owner
        and customer_id is not null
),

-- each line's amount per month: k = (periods per year) / (12 * n)
monthly_lines as (
    select
        recurring_lines.*,
        round(
            net_amount * (case prices.recurring_interval
                when 'month' then 12 when 'year' then 1 when 'week' then 52 when 'day' then 365
            end)::DOUBLE / (12 * prices.recurring_interval_count),
            4
        )::DECIMAL(18, 4) as monthly_amount
    from recurring_lines
    join prices on prices.id = recurring_lines.price_id
    where prices.recurring_interval in ('month', 'year', 'week', 'day')
        and prices.recurring_interval_count > 0
),

-- the months a line may cover (from its start's month to its end's, never past the as-of
-- month), as month numbers (year * 12 + month - 1): integer steps, not calendar arithmetic per row
line_months as (
    select
        monthly_lines.*,
        epoch(period_start_ts) as start_epoch,
        epoch(period_end_ts) as end_epoch,
        unnest(generate_series(
            year(period_start_ts) * 12 + month(period_start_ts) - 1,
            least(year(period_end_ts) * 12 + month(period_end_ts) - 1, {{as_of_month_number}})
        )) as month_number
    from monthly_lines
),

-- every month up to the as-of month with its instant T: its last second, or the as-of time
calendar as (
    select
        month_number,
        make_date((month_number // 12)::INTEGER, (month_number % 12 + 1)::INTEGER, 1) as month,
        case
            when month_number = {{as_of_month_number}} then epoch({{as_of_ts}})
            else epoch(make_date(((month_number + 1) // 12)::INTEGER, ((month_number + 1) % 12 + 1)::INTEGER, 1)) - 1
        end as measured_epoch
    from (select unnest(generate_series(min(month_number), {{as_of_month_number}})) as month_number from line_months)
),

-- the lines whose period covers their month's instant T
lines_at_month_end as (
    select line_months.*, calendar.month, calendar.measured_epoch
    from line_months
    join calendar using (month_number)
    where start_epoch <= measured_epoch and measured_epoch < end_epoch
),

-- per subscription first, then per customer: counting subscriptions needs no distinct
subscription_months as (
    select
        month,
        customer_id,
        currency,
        subscription_id,
        sum(monthly_amount) as mrr_amount
    from lines_at_month_end
    group by all
),

customer_months as (
    select
        month,
        customer_id,
        currency,
        sum(mrr_amount)::DECIMAL(18, 4) as mrr_amount,
        count(*)::BIGINT as subscriptions
    from subscription_months
    group by all
),

final as (
    select
        month,
        customer_id,
        currency,
        mrr_amount,
        subscriptions,
        to_timestamp(calendar.measured_epoch) as measured_at_ts,
        month as dt
    from customer_months
    join calendar using (month)
    where mrr_amount > 0
)

select * from final
