-- Report: daily sales, refunds, fees and net per currency, from the published daily_overview.
-- Grain: one row per UTC day and currency (the model's own grain). Key: (date_day, currency).
-- Amounts in minor units, as published; the report converts them for display. Net is the day's
-- net activity: daily_overview's net_amount less its payouts_amount (money moved to the bank is
-- not earned, and would otherwise pull each day's net down by its payout).
with

daily as (
    select * from daily_overview
),

final as (
    select
        cast(date_day as varchar) as date_day,
        currency,
        sales_amount,
        sales_count,
        refunds_amount,
        refunds_count,
        disputes_count,
        failed_charges_count,
        fees_amount,
        net_amount - payouts_amount as net_amount
    from daily
)

select * from final order by currency, date_day
