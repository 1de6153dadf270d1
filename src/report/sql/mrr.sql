-- Report: MRR and its movements per month and currency, from the published mrr_movements.
-- Grain: one row per month and currency (the model's own grain). Key: (month, currency).
with

movements as (
    select * from mrr_movements
),

final as (
    select
        cast(month as varchar) as month,
        currency,
        cast(starting_mrr as double) as starting_mrr,
        cast(new_mrr as double) as new_mrr,
        cast(expansion_mrr as double) as expansion_mrr,
        cast(contraction_mrr as double) as contraction_mrr,
        cast(churned_mrr as double) as churned_mrr,
        cast(reactivation_mrr as double) as reactivation_mrr,
        cast(ending_mrr as double) as ending_mrr,
        customers_end
    from movements
)

select * from final order by currency, month
