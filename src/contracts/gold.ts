import type { ColumnDef, ColumnType, TableContract } from './contract.js';
import { SILVER_CONTRACTS } from './silver.js';

/** A Gold model's contract (SPEC section 8), read by the quality checks and the publisher. */
export interface GoldContract extends TableContract<GoldModelName> {
  readonly layer: 'gold';
  /** Snapshot models write only the as-of date's partition and keep earlier ones. */
  readonly snapshot: boolean;
  /** The column whose maximum is the model's newest business time (`max_business_ts`). */
  readonly businessTsColumn: string;
  /**
   * A row's dt is the UTC date (or month) of its business time: the newest is in the newest
   * partition (the freshness check reads that one only).
   */
  readonly dtFollowsBusinessTs?: boolean;
  /**
   * The Silver tables (directly or through earlier models) a model is computed from that a lake
   * may lack (see `GOLD_SILVER_INPUTS`): without rows in one of them, the model has none either,
   * and its freshness is not in question.
   */
  readonly reads?: readonly GoldSilverInput[];
}

export type GoldModelName =
  | 'fct_payments'
  | 'fct_balance_transactions'
  | 'fct_invoices'
  | 'daily_overview'
  | 'dim_customers'
  | 'fct_mrr'
  | 'mrr_movements'
  | 'fct_payouts';

const c = (name: string, type: ColumnType): ColumnDef => ({ name, type });

/**
 * The Silver columns the SaaS Gold models read, as SPEC section 7.1 pins them. Where this build
 * has a Silver contract for the table, that contract rules and must hold these columns with these
 * types (a test says so); where it has none yet, the Gold build reads the table's Parquet by these
 * columns, or an empty table of them when there is none, so a missing input gives a model without
 * rows, never a failed run.
 */
export const GOLD_SILVER_INPUTS = {
  prices: [c('id', 'VARCHAR'), c('recurring_interval', 'VARCHAR'), c('recurring_interval_count', 'BIGINT')],
  invoice_line_items: [
    c('id', 'VARCHAR'),
    c('invoice_id', 'VARCHAR'),
    c('customer_id', 'VARCHAR'),
    c('subscription_id', 'VARCHAR'),
    c('price_id', 'VARCHAR'),
    c('line_type', 'VARCHAR'),
    c('is_proration', 'BOOLEAN'),
    c('amount', 'BIGINT'),
    c('discount_amount', 'BIGINT'),
    c('currency', 'VARCHAR'),
    c('period_start_ts', 'TIMESTAMPTZ'),
    c('period_end_ts', 'TIMESTAMPTZ'),
    c('invoice_status', 'VARCHAR'),
    c('is_deleted', 'BOOLEAN'),
    c('dt', 'DATE'),
  ],
  payouts: [
    c('id', 'VARCHAR'),
    c('amount', 'BIGINT'),
    c('currency', 'VARCHAR'),
    c('status', 'VARCHAR'),
    c('automatic', 'BOOLEAN'),
    c('arrival_date_ts', 'TIMESTAMPTZ'),
    c('balance_transaction_id', 'VARCHAR'),
    c('created_ts', 'TIMESTAMPTZ'),
    c('is_deleted', 'BOOLEAN'),
    c('dt', 'DATE'),
  ],
  payout_balance_transactions: [
    c('payout_id', 'VARCHAR'),
    c('balance_transaction_id', 'VARCHAR'),
    c('dt', 'DATE'),
  ],
} as const satisfies Record<string, readonly ColumnDef[]>;

export type GoldSilverInput = keyof typeof GOLD_SILVER_INPUTS;

/** Silver tables a Gold model reads that have no Silver contract in this build (not produced yet). */
export function uncontractedGoldInputs(): GoldSilverInput[] {
  return (Object.keys(GOLD_SILVER_INPUTS) as GoldSilverInput[]).filter((t) => !(t in SILVER_CONTRACTS));
}

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
    dtFollowsBusinessTs: true,
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
    dtFollowsBusinessTs: true,
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
    dtFollowsBusinessTs: true,
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
    dtFollowsBusinessTs: true,
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
  {
    name: 'fct_mrr',
    layer: 'gold',
    foreignKeys: [],
    grain:
      "one row per month, customer and currency with MRR > 0 (at the month's last second, UTC; the as-of month at the as-of time); dt = the month's first day",
    primaryKey: ['month', 'customer_id', 'currency'],
    snapshot: false,
    businessTsColumn: 'measured_at_ts',
    dtFollowsBusinessTs: true,
    reads: ['invoice_line_items', 'prices'],
    columns: [
      c('month', 'DATE'),
      c('customer_id', 'VARCHAR'),
      c('currency', 'VARCHAR'),
      c('mrr_amount', 'DECIMAL(18,4)'),
      c('subscriptions', 'BIGINT'),
      c('measured_at_ts', 'TIMESTAMPTZ'),
      c('dt', 'DATE'),
    ],
  },
  {
    name: 'mrr_movements',
    layer: 'gold',
    foreignKeys: [],
    grain:
      "one row per month and currency, from the currency's first month with MRR to the as-of month; dt = the month's first day",
    primaryKey: ['month', 'currency'],
    snapshot: false,
    businessTsColumn: 'measured_at_ts',
    dtFollowsBusinessTs: true,
    reads: ['invoice_line_items', 'prices'],
    columns: [
      c('month', 'DATE'),
      c('currency', 'VARCHAR'),
      c('starting_mrr', 'DECIMAL(18,4)'),
      c('new_mrr', 'DECIMAL(18,4)'),
      c('expansion_mrr', 'DECIMAL(18,4)'),
      c('contraction_mrr', 'DECIMAL(18,4)'),
      c('churned_mrr', 'DECIMAL(18,4)'),
      c('reactivation_mrr', 'DECIMAL(18,4)'),
      c('ending_mrr', 'DECIMAL(18,4)'),
      c('customers_start', 'BIGINT'),
      c('customers_new', 'BIGINT'),
      c('customers_churned', 'BIGINT'),
      c('customers_reactivated', 'BIGINT'),
      c('customers_end', 'BIGINT'),
      c('measured_at_ts', 'TIMESTAMPTZ'),
      c('dt', 'DATE'),
    ],
  },
  {
    name: 'fct_payouts',
    layer: 'gold',
    foreignKeys: [],
    grain: 'one row per payout; dt = its arrival date (UTC)',
    primaryKey: ['payout_id'],
    snapshot: false,
    businessTsColumn: 'created_ts',
    reads: ['payouts', 'payout_balance_transactions'],
    columns: [
      c('payout_id', 'VARCHAR'),
      c('arrival_date', 'DATE'),
      c('currency', 'VARCHAR'),
      c('amount', 'BIGINT'),
      c('status', 'VARCHAR'),
      c('automatic', 'BOOLEAN'),
      c('transactions_count', 'BIGINT'),
      c('transactions_net', 'BIGINT'),
      c('charges_amount', 'BIGINT'),
      c('refunds_amount', 'BIGINT'),
      c('disputes_amount', 'BIGINT'),
      c('fees_amount', 'BIGINT'),
      c('other_net', 'BIGINT'),
      c('is_reconciled', 'BOOLEAN'),
      c('created_ts', 'TIMESTAMPTZ'),
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
