-- Report: payouts per arrival day and currency, from the published fct_payouts.
-- Grain: one row per arrival date and currency. Key: (arrival_date, currency).
with

payouts as (
    select * from fct_payouts
),

per_day as (
    select
        cast(arrival_date as varchar) as arrival_date,
        currency,
        sum(amount) filter (where status <> 'failed') as paid_amount,
        count(*) as payouts,
        count(*) filter (where status = 'failed') as failed,
        count(*) filter (where not is_reconciled) as unreconciled
    from payouts
    group by all
),

final as (
    select
        arrival_date,
        currency,
        coalesce(paid_amount, 0) as paid_amount,
        payouts,
        failed,
        unreconciled
    from per_day
)

select * from final order by currency, arrival_date
