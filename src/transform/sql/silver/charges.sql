-- Silver charges: types and deduplicates Bronze charges; no business logic.
-- Grain: one row per charge `id`, its latest version across runs and sources.
-- Keys: id (primary). customer_id -> customers, payment_intent_id -> payment_intents,
--       balance_transaction_id -> balance_transactions.
with

-- one row per id, its latest version (shared dedup: _latest_versions.sql)
latest as (
    select * from {{latest_versions}}
),

final as (
    select
        -- ids
        obj.id as id,
        ref_id(obj.customer) as customer_id,
        ref_id(obj.payment_intent) as payment_intent_id,
        ref_id(obj.balance_transaction) as balance_transaction_id,
        ref_id(obj.invoice) as invoice_id,
        -- amounts (minor units)
        obj.amount as amount,
        obj.amount_captured as amount_captured,
        obj.amount_refunded as amount_refunded,
        obj.currency as currency,
        -- state
        obj.status as status,
        obj.paid as paid,
        obj.captured as captured,
        obj.refunded as refunded,
        obj.disputed as disputed,
        obj.failure_code as failure_code,
        obj.failure_message as failure_message,
        obj.outcome ->> '$.type' as outcome_type,
        obj.payment_method_details ->> '$.type' as payment_method_type,
        obj.payment_method_details ->> '$.card.brand' as card_brand,
        obj.description as description,
        -- nested
        obj.payment_method_details as payment_method_details,
        obj.metadata as metadata,
        -- the standard columns (created_ts, dt, livemode, is_deleted, lineage): _latest_versions.sql
        latest.* exclude (obj)
    from latest
)

select * from final
