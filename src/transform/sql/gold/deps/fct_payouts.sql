-- Gold fct_payouts: the dts (arrival dates) a change of the Silver rows it reads affects (declared
-- in gold-deps.ts; no Silver table shares its date: payouts sit in their created date's partition).
-- Grain: one row per affected dt (DATE); a NULL dt means "cannot tell: compute the model whole".
-- A payout's row depends on the payout, its links (payout_balance_transactions) and the balance
-- transactions linked. chg_<table> holds the rows of the changed Silver partitions of a table;
-- prev_fct_payouts is the model's current Gold (key, index columns, dt), for the date a changed
-- payout leaves.
-- keys_silver_<table> is the table's key, index columns and dt (gold-build.ts: from the quality
-- key index where it read the very partition, else from the file; state/key-index.ts).
with

changed_payouts as (
    select id from chg_payouts
    union
    select payout_id as id from chg_payout_balance_transactions
    union
    select payout_id as id from keys_silver_payout_balance_transactions
    where balance_transaction_id in (select id from chg_balance_transactions)
)

select arrival_date_ts::DATE as dt from keys_silver_payouts
where id in (select id from changed_payouts) and arrival_date_ts is not null
union
select dt from prev_fct_payouts
where payout_id in (select id from changed_payouts)
union
-- no row yet (no payout link existed, so the model held nothing): once links appear, every
-- payout gets its row
select NULL::DATE as dt where not exists (select 1 from prev_fct_payouts)
