-- Gold fct_payments: the dts (charge created dates) a change of Silver rows it reads affects,
-- besides the changed charge partitions themselves (declared in gold-deps.ts).
-- Grain: one row per affected dt (DATE); a NULL dt means "cannot tell: compute the model whole".
-- chg_<table> holds the rows of the changed Silver partitions of a table; prev_fct_payments is the
-- model's current Gold (its key, index columns and dt), for links a changed row no longer has (an invoice that linked a charge).
-- keys_silver_<table> is the table's key, index columns and dt (gold-build.ts: from the quality
-- key index where it read the very partition, else from the file; state/key-index.ts).
-- one scan of the charges for every link a changed row may add
select dt from keys_silver_charges
where balance_transaction_id in (select id from chg_balance_transactions)
    or id in (select charge_id from chg_disputes)
    or payment_intent_id in (select payment_intent_id from chg_invoices)
    or id in (select charge_id from chg_invoices)
union
select dt from prev_fct_payments
where invoice_id in (select id from chg_invoices)
union
-- a deleted dispute without its charge id: its charge is unknown
select NULL::DATE as dt from chg_disputes where charge_id is null and is_deleted
