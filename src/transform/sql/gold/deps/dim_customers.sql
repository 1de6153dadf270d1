-- Gold dim_customers: the customers whose row a change of the Silver rows it reads may change
-- (gold-build.ts computes only theirs; the others keep the previous snapshot's row, with its as-of
-- month the same).
-- Grain: one row per touched customer_id (never NULL).
-- chgrows_<table> holds the rows of a table that differ from the published Silver, new versions
-- and the ones they replace; fresh_fct_balance_transactions the Gold rows recomputed this run.
-- keys_silver_charges: the charges' key, index columns and dt (see deps/fct_payments.sql).
select id as customer_id from chgrows_customers
union
-- a charge counts for its customer (its currency, totals, first charge): old and new one
select customer_id from chgrows_charges where customer_id is not null
union
-- a refund for its charge's customer
select customer_id from keys_silver_charges
where id in (select charge_id from chgrows_refunds) and customer_id is not null
union
-- fees and net: the transactions recomputed, by their customer
select customer_id from fresh_fct_balance_transactions where customer_id is not null
