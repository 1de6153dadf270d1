import type { ColumnDef, ColumnType, TableContract } from './contract.js';

/** A Gold model's contract (SPEC section 8), read by the quality checks and the publisher. */
export interface GoldContract extends TableContract<GoldModelName> {
  readonly layer: 'gold';
  /** Snapshot models write only the as-of date's partition and keep earlier ones. */
  readonly snapshot: boolean;
  /** The column whose maximum is the model's newest business time (`max_business_ts`). */
  readonly businessTsColumn: string;
}

export type GoldModelName =
  | 'fct_payments'
  | 'fct_balance_transactions'
  | 'fct_invoices'
  | 'daily_overview'
  | 'dim_customers';

const c = (name: string, type: ColumnType): ColumnDef => ({ name, type });

/** The Gold models in build order (a model may read the ones before it). */
export const GOLD_CONTRACTS: readonly GoldContract[] = [
  {
    name: 'fct_payments',
    layer: 'gold',
    foreignKeys: [],
    grain: 'one row per charge; dt = the charge created date (UTC)',
    primaryKey: ['charge_id'],
    snapshot: false,
    businessTsColumn: 'created_ts',
    columns: [
      c('charge_id', 'VARCHAR'),
      c('created_ts', 'TIMESTAMPTZ'),
      c('customer_id', 'VARCHAR'),
      c('payment_intent_id', 'VARCHAR'),
      c('invoice_id', 'VARCHAR'),
      c('subscription_id', 'VARCHAR'),
      c('balance_transaction_id', 'VARCHAR'),
      c('currency', 'VARCHAR'),
      c('amount', 'BIGINT'),
      c('amount_refunded', 'BIGINT'),
      c('fee', 'BIGINT'),
      c('net', 'BIGINT'),
      c('status', 'VARCHAR'),
      c('is_refunded', 'BOOLEAN'),
      c('is_disputed', 'BOOLEAN'),
      c('dispute_status', 'VARCHAR'),
      c('payment_method_type', 'VARCHAR'),
      c('card_brand', 'VARCHAR'),
      c('dt', 'DATE'),
    ],
  },
  {
    name: 'fct_balance_transactions',
    layer: 'gold',
    foreignKeys: [],
    grain: 'one row per balance transaction; dt = its created date (UTC)',
    primaryKey: ['balance_transaction_id'],
    snapshot: false,
    businessTsColumn: 'created_ts',
    columns: [
      c('balance_transaction_id', 'VARCHAR'),
      c('created_ts', 'TIMESTAMPTZ'),
      c('available_on_ts', 'TIMESTAMPTZ'),
      c('currency', 'VARCHAR'),
      c('amount', 'BIGINT'),
      c('fee', 'BIGINT'),
      c('net', 'BIGINT'),
      c('type', 'VARCHAR'),
      c('reporting_category', 'VARCHAR'),
      c('status', 'VARCHAR'),
      c('source_type', 'VARCHAR'),
      c('source_id', 'VARCHAR'),
      c('charge_id', 'VARCHAR'),
      c('customer_id', 'VARCHAR'),
      c('dt', 'DATE'),
    ],
  },
  {
    name: 'fct_invoices',
    layer: 'gold',
    foreignKeys: [],
    grain: 'one row per (not deleted) invoice; dt = its created date (UTC)',
    primaryKey: ['invoice_id'],
    snapshot: false,
    businessTsColumn: 'created_ts',
    columns: [
      c('invoice_id', 'VARCHAR'),
      c('created_ts', 'TIMESTAMPTZ'),
      c('customer_id', 'VARCHAR'),
      c('subscription_id', 'VARCHAR'),
      c('payment_intent_id', 'VARCHAR'),
      c('number', 'VARCHAR'),
      c('status', 'VARCHAR'),
      c('billing_reason', 'VARCHAR'),
      c('currency', 'VARCHAR'),
      c('amount_due', 'BIGINT'),
      c('amount_paid', 'BIGINT'),
      c('amount_remaining', 'BIGINT'),
      c('subtotal', 'BIGINT'),
      c('total', 'BIGINT'),
      c('line_item_count', 'BIGINT'),
      c('period_start_ts', 'TIMESTAMPTZ'),
      c('period_end_ts', 'TIMESTAMPTZ'),
      c('paid_at_ts', 'TIMESTAMPTZ'),
      c('dt', 'DATE'),
    ],
  },
  {
    name: 'daily_overview',
    layer: 'gold',
    foreignKeys: [],
    grain: 'one row per UTC day and currency; dt = date_day',
    primaryKey: ['date_day', 'currency'],
    snapshot: false,
    businessTsColumn: 'date_day',
    columns: [
      c('date_day', 'DATE'),
      c('currency', 'VARCHAR'),
      c('sales_amount', 'BIGINT'),
      c('sales_count', 'BIGINT'),
      c('refunds_amount', 'BIGINT'),
      c('refunds_count', 'BIGINT'),
      c('disputes_amount', 'BIGINT'),
      c('disputes_count', 'BIGINT'),
      c('failed_charges_amount', 'BIGINT'),
      c('failed_charges_count', 'BIGINT'),
      c('fees_amount', 'BIGINT'),
      c('net_amount', 'BIGINT'),
      c('payouts_amount', 'BIGINT'),
      c('new_customers', 'BIGINT'),
      c('paying_customers', 'BIGINT'),
      c('dt', 'DATE'),
    ],
  },
  {
    name: 'dim_customers',
    layer: 'gold',
    foreignKeys: [],
    grain: "one row per customer (snapshot); dt = the run's as-of date (UTC)",
    primaryKey: ['customer_id'],
    snapshot: true,
    businessTsColumn: 'last_sale_ts',
    columns: [
      c('customer_id', 'VARCHAR'),
      c('email', 'VARCHAR'),
      c('name', 'VARCHAR'),
      c('created_ts', 'TIMESTAMPTZ'),
      c('is_deleted', 'BOOLEAN'),
      c('is_delinquent', 'BOOLEAN'),
      c('currency', 'VARCHAR'),
      c('total_sales_amount', 'BIGINT'),
      c('total_sales_count', 'BIGINT'),
      c('total_refunds_amount', 'BIGINT'),
      c('total_fees', 'BIGINT'),
      c('total_net', 'BIGINT'),
      c('this_month_sales_amount', 'BIGINT'),
      c('first_sale_ts', 'TIMESTAMPTZ'),
      c('last_sale_ts', 'TIMESTAMPTZ'),
      c('failed_charges_count', 'BIGINT'),
      c('other_currency_charges', 'BIGINT'),
      c('dt', 'DATE'),
    ],
  },
];

/** Names of the Gold models, in build order. */
export const GOLD_MODELS: readonly GoldModelName[] = GOLD_CONTRACTS.map((m) => m.name);

export function goldContract(name: GoldModelName): GoldContract {
  const m = GOLD_CONTRACTS.find((x) => x.name === name);
  if (!m) throw new Error(`unknown gold model "${name}"`);
  return m;
}
