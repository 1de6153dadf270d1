-- Gold mrr_movements
-- Grain: one row per month and currency, from the currency's first month with MRR to the month
-- of the run's as-of time; dt = the month's first day. Key: (month, currency).
-- Movements of a customer from month M-1 (MRR p) to month M (MRR m), per currency (SPEC 8.1):
-- new if p = 0 < m and it had no MRR in any earlier month; reactivation if p = 0 < m and it had;
-- expansion m - p if 0 < p < m; contraction m - p (negative) if 0 < m < p; churned -p (negative)
-- if p > 0 = m. So ending_mrr = starting_mrr + the movements, and a month's starting_mrr is the
-- previous month's ending_mrr. Minor units, DECIMAL(18,4).
with

mrr as (
    select * from fct_mrr
),

as_of as (
    select
        {{as_of_ts}} as as_of_ts,
        date_trunc('month', {{as_of_ts}})::DATE as as_of_month
),

-- each customer's first month with MRR in a currency
first_months as (
    select customer_id, currency, min(month) as first_month
    from mrr
    group by all
),

-- the (customer, currency, month) pairs where something may move: a month with MRR, and the
-- month after one (where it may churn), up to the as-of month
customer_months as (
    select customer_id, currency, month from mrr
    union
    select customer_id, currency, (month + interval 1 month)::DATE as month
    from mrr
    where month < (select as_of_month from as_of)
),

customer_changes as (
    select
        customer_months.month,
        customer_months.customer_id,
        customer_months.currency,
        coalesce(previous.mrr_amount, 0) as p,
        coalesce(current.mrr_amount, 0) as m,
        first_months.first_month < customer_months.month as had_mrr_before
    from customer_months
    join first_months using (customer_id, currency)
    left join mrr as previous
        on previous.customer_id = customer_months.customer_id
        and previous.currency = customer_months.currency
        and previous.month = (customer_months.month - interval 1 month)::DATE
    left join mrr as current
        on current.customer_id = customer_months.customer_id
        and current.currency = customer_months.currency
        and current.month = customer_months.month
),

classified as (
    select
        *,
        case
            when p = 0 and m > 0 and not had_mrr_before then 'new'
            when p = 0 and m > 0 then 'reactivation'
            when p > 0 and m = 0 then 'churned'
            when p < m then 'expansion'
            when m < p then 'contraction'
        end as movement
    from customer_changes
),

currency_changes as (
    select
        month,
        currency,
        sum(p) as starting_mrr,
        sum(m - p) filter (where movement = 'new') as new_mrr,
        sum(m - p) filter (where movement = 'expansion') as expansion_mrr,
        sum(m - p) filter (where movement = 'contraction') as contraction_mrr,
        sum(m - p) filter (where movement = 'churned') as churned_mrr,
        sum(m - p) filter (where movement = 'reactivation') as reactivation_mrr,
        sum(m) as ending_mrr,
        count(*) filter (where p > 0) as customers_start,
        count(*) filter (where movement = 'new') as customers_new,
        count(*) filter (where movement = 'churned') as customers_churned,
        count(*) filter (where movement = 'reactivation') as customers_reactivated,
        count(*) filter (where m > 0) as customers_end
    from classified
    group by all
),

-- every month of a currency from its first month with MRR, also months where nothing moved
currency_months as (
    select
        currency,
        unnest(generate_series(first_month, as_of.as_of_month, interval 1 month))::DATE as month
    from (select currency, min(month) as first_month from mrr group by currency)
    cross join as_of
),

-- a month where no customer had MRR before or after is all zeros (both sides empty)
final as (
    select
        currency_months.month,
        currency_months.currency,
        coalesce(starting_mrr, 0)::DECIMAL(18, 4) as starting_mrr,
        coalesce(new_mrr, 0)::DECIMAL(18, 4) as new_mrr,
        coalesce(expansion_mrr, 0)::DECIMAL(18, 4) as expansion_mrr,
        coalesce(contraction_mrr, 0)::DECIMAL(18, 4) as contraction_mrr,
        coalesce(churned_mrr, 0)::DECIMAL(18, 4) as churned_mrr,
        coalesce(reactivation_mrr, 0)::DECIMAL(18, 4) as reactivation_mrr,
        coalesce(ending_mrr, 0)::DECIMAL(18, 4) as ending_mrr,
        coalesce(customers_start, 0)::BIGINT as customers_start,
        coalesce(customers_new, 0)::BIGINT as customers_new,
        coalesce(customers_churned, 0)::BIGINT as customers_churned,
        coalesce(customers_reactivated, 0)::BIGINT as customers_reactivated,
        coalesce(customers_end, 0)::BIGINT as customers_end,
        -- the instant ending_mrr is measured at: the month's last second, or the as-of time
        case
            when currency_months.month = as_of.as_of_month then as_of.as_of_ts
            else currency_months.month::TIMESTAMPTZ + interval 1 month - interval 1 second
        end as measured_at_ts,
        currency_months.month as dt
    from currency_months
    cross join as_of
    left join currency_changes using (month, currency)
)

select * from final
