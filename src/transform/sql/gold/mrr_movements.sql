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

-- each customer's months with MRR in a currency, with its previous and next month with MRR
customer_series as (
    select
        *,
        lag(month) over customer_months as previous_mrr_month,
        lag(mrr_amount) over customer_months as previous_mrr_amount,
        lead(month) over customer_months as next_mrr_month
    from mrr
    window customer_months as (partition by customer_id, currency order by month)
),

-- into each month with MRR: p is last month's MRR, 0 after a month without
arrivals as (
    select
        month,
        customer_id,
        currency,
        case
            when previous_mrr_month = (month - interval 1 month)::DATE then previous_mrr_amount
            else 0
        end as p,
        mrr_amount as m,
        previous_mrr_month is not null as had_mrr_before
    from customer_series
),

-- into the month after the last of a run of months with MRR, up to the as-of month: m is 0
departures as (
    select
        (month + interval 1 month)::DATE as month,
        customer_id,
        currency,
        mrr_amount as p,
        0 as m,
        true as had_mrr_before
    from customer_series
    where (next_mrr_month is null or next_mrr_month > (month + interval 1 month)::DATE)
        and month < date_trunc('month', {{as_of_ts}})::DATE
),

customer_changes as (
    select * from arrivals
    union all
    select * from departures
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
        unnest(generate_series(first_month, date_trunc('month', {{as_of_ts}})::DATE, interval 1 month))::DATE as month
    from (select currency, min(month) as first_month from mrr group by currency)
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
            when currency_months.month = date_trunc('month', {{as_of_ts}})::DATE then {{as_of_ts}}
            else currency_months.month::TIMESTAMPTZ + interval 1 month - interval 1 second
        end as measured_at_ts,
        currency_months.month as dt
    from currency_months
    left join currency_changes using (month, currency)
)

select * from final
