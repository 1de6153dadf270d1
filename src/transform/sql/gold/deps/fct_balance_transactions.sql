-- Gold fct_balance_transactions: the dts (transaction created dates) a change of the Silver rows
-- it reads affects, besides the changed balance transaction partitions (declared in gold-deps.ts).
-- Grain: one row per affected dt (DATE). A transaction depends on its source (charge, refund,
-- dispute or payout, by id) and, for its customer, on the charge of a refund or dispute source.
-- chg_<table> holds the rows of the changed Silver partitions of a table.
-- keys_silver_<table> is the table's key, index columns and dt (gold-build.ts: from the quality
-- key index where it read the very partition, else from the file; state/key-index.ts).
with

changed_sources as (
    select id from chg_charges
    union select id from chg_refunds
    union select id from chg_disputes
    union select id from chg_payouts
    union select id from keys_silver_refunds where charge_id in (select id from chg_charges)
    union select id from keys_silver_disputes where charge_id in (select id from chg_charges)
)

select dt from keys_silver_balance_transactions
where source_id in (select id from changed_sources)
