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
with

line_items as (
    select * from silver_invoice_line_items where not is_deleted
),

prices as (
    select * from silver_prices
),

as_of as (
    select
        {{as_of_ts}} as as_of_ts,
        date_trunc('month', {{as_of_ts}})::DATE as as_of_month
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
-- month), each with its instant T, kept where the line's period covers T
covered_months as (
    select
        monthly_lines.*,
        month,
        case
            when month = as_of.as_of_month then as_of.as_of_ts
            else month::TIMESTAMPTZ + interval 1 month - interval 1 second
        end as measured_at
    from monthly_lines
    cross join as_of
    cross join lateral (
        select unnest(generate_series(
            date_trunc('month', period_start_ts),
            least(date_trunc('month', period_end_ts), as_of.as_of_month::TIMESTAMPTZ),
            interval 1 month
        ))::DATE as month
    )
),

lines_at_month_end as (
    select * from covered_months
    where period_start_ts <= measured_at and measured_at < period_end_ts
),

customer_months as (
    select
        month,
        customer_id,
        currency,
        sum(monthly_amount)::DECIMAL(18, 4) as mrr_amount,
        count(distinct subscription_id)::BIGINT as subscriptions,
        any_value(measured_at) as measured_at_ts
    from lines_at_month_end
    group by all
),

final as (
    select
        month,
        customer_id,
        currency,
        mrr_amount,
        subscriptions,
        measured_at_ts,
        month as dt
    from customer_months
    where mrr_amount > 0
)

select * from final
