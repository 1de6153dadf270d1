import type { ChildName, EntityName, TableName } from '../entities/entity.js';
import {
  type ColumnDef,
  type ColumnType,
  type ForeignKey,
  type PayloadType,
  splitPlace,
  type TableContract,
} from './contract.js';

/**
 * The Silver contracts (SPEC section 7), declared once: per table every column with its DuckDB
 * type and where it comes from in the raw object. From these declarations come the typing part of
 * each model (`{{columns}}` in `transform/sql/silver/<table>.sql`), the raw fields the Bronze reader
 * parses (`BRONZE_PAYLOADS`) and what the quality checks compare (a test runs every model and
 * compares `DESCRIBE` with the contract). The `.sql` files keep only logic: the shared dedup, and
 * the few columns typing alone cannot give (`source: model`).
 *
 * Adding a column: one line here. Adding a table: one entry here plus its `.sql` file (see
 * docs/architecture.md, "Adding an entity").
 */

export interface SilverContract extends TableContract<TableName> {
  readonly layer: 'silver';
  readonly bronze: BronzeInputs;
}

/** What a Silver table is built from, and how its versions collapse to one row per id. */
export interface BronzeInputs {
  /**
   * `own`: the table's own Bronze entity; `webhooks`: the webhook deliveries (entity=webhook_events);
   * `parent`: a child collection, from its parent's Bronze (embedded lists) and its own Bronze
   * (the pages fetched by parent).
   */
  readonly from: 'own' | 'webhooks' | 'parent';
  /** Whether the objects of webhook-delivered events (routed by `object`) are versions too. */
  readonly webhookObjects: boolean;
  /**
   * The shared fragment (`sql/silver/_<dedup>.sql`): object versions with tombstones, immutable
   * events, or every version of a child table's parent (the model picks the children).
   */
  readonly dedup: 'latest_versions' | 'latest_events' | 'parent_versions';
  /** Child tables: the parent entity, its embedded list field, and the parent fields the model reads. */
  readonly parent?: ChildParent;
}

/** How a child collection hangs off its parent (SPEC 4.1). */
export interface ChildParent {
  readonly entity: EntityName;
  /** The embedded list in every parent version (`items`, `lines`); none for payouts. */
  readonly list?: string;
  /** Raw parent fields the model reads besides id, object, created, livemode, deleted. */
  readonly reads: PayloadFields;
}

/** An API object: its own Bronze plus webhook-delivered versions, tombstones included. */
const OBJECT_VERSIONS: BronzeInputs = { from: 'own', webhookObjects: true, dedup: 'latest_versions' };

type Opts = { readonly from?: string; readonly description?: string };
const described = (description?: string) => (description ? { description } : {});

/** `obj.<from ?? name>`, typed as the column. */
const col = (name: string, type: ColumnType & PayloadType, o: Opts = {}): ColumnDef => ({
  name,
  type,
  source: { kind: 'field', field: o.from ?? name },
  ...described(o.description),
});
/** `customer_id` <- `ref_id(obj.customer)`: the id, whether the API sent an id or an expanded object. */
const ref = (name: string, o: Opts = {}): ColumnDef => ({
  name,
  type: 'VARCHAR',
  source: { kind: 'ref', field: o.from ?? name.replace(/_id$/, '') },
  ...described(o.description),
});
/** `canceled_at_ts` <- `to_timestamp(obj.canceled_at)`. */
const ts = (name: string, o: Opts = {}): ColumnDef => ({
  name,
  type: 'TIMESTAMPTZ',
  source: { kind: 'time', field: o.from ?? name.replace(/_ts$/, '') },
  ...described(o.description),
});
/** A value inside a nested object: text (`->>`, cast to a scalar type), or JSON (`->`) for a JSON column. */
const path = (name: string, type: ColumnType, field: string, jsonPath: string): ColumnDef => ({
  name,
  type,
  source: { kind: 'path', field, path: jsonPath },
});
/**
 * A value Stripe moved between API versions: the first non-null of `places`, the current
 * version's first (see `ColumnSource` `first`). Reading both keeps Silver equal whichever
 * version an event was created under.
 */
const first = (
  name: string,
  type: ColumnType,
  as: 'value' | 'ref' | 'time',
  places: readonly string[],
  description?: string,
): ColumnDef => ({ name, type, source: { kind: 'first', places, as }, ...described(description) });
/** Logic in the model's `.sql` (a `derived` CTE), reading these raw fields. */
const computed = (
  name: string,
  type: ColumnType,
  reads: Readonly<Record<string, PayloadType>>,
  description?: string,
): ColumnDef => ({ name, type, source: { kind: 'model', reads }, ...described(description) });
const lineage = (name: string, type: ColumnType, description?: string): ColumnDef => ({
  name,
  type,
  source: { kind: 'lineage' },
  ...described(description),
});

/** Columns every Silver table ends with (lineage and partitioning), added by the shared dedup. */
export const COMMON_SILVER_COLUMNS: readonly ColumnDef[] = [
  lineage('created_ts', 'TIMESTAMPTZ', "the object's `created`, UTC"),
  lineage('dt', 'DATE', 'UTC date of created_ts: the partition'),
  lineage('livemode', 'BOOLEAN'),
  lineage('is_deleted', 'BOOLEAN', 'true when the latest version is a tombstone'),
  lineage('_version_ts', 'BIGINT', 'meta.version_ts of the winning version (source clock, unix s)'),
  lineage('_source', 'VARCHAR', 'api, events or webhook'),
  lineage('_run_id', 'VARCHAR', 'run that wrote the winning version to Bronze'),
  lineage('_ingested_at', 'TIMESTAMPTZ', 'when the winning version was written to Bronze'),
  lineage('_bronze_key', 'VARCHAR', 'Bronze key holding the winning version (lineage)'),
];

const table = (
  name: TableName,
  grain: string,
  columns: readonly ColumnDef[],
  foreignKeys: readonly ForeignKey[] = [],
  bronze: BronzeInputs = OBJECT_VERSIONS,
): SilverContract => ({
  name,
  layer: 'silver',
  bronze,
  grain,
  primaryKey: ['id'],
  columns: [col('id', 'VARCHAR'), ...columns, ...COMMON_SILVER_COLUMNS],
  foreignKeys,
});

/**
 * A child collection (SPEC 4.1, 7.1): its columns are typed from the child object (`obj`); those
 * taken from the parent version are `computed` in the model. Built from the parent's Bronze.
 */
const child = (
  name: ChildName,
  grain: string,
  parent: ChildParent,
  columns: readonly ColumnDef[],
  foreignKeys: readonly ForeignKey[],
  primaryKey: readonly string[] = ['id'],
): SilverContract => ({
  name,
  layer: 'silver',
  bronze: { from: 'parent', webhookObjects: true, dedup: 'parent_versions', parent },
  grain,
  primaryKey,
  columns: [...columns, ...COMMON_SILVER_COLUMNS],
  foreignKeys,
});

const eventColumns: readonly ColumnDef[] = [
  col('type', 'VARCHAR'),
  col('api_version', 'VARCHAR'),
  path('data_object_id', 'VARCHAR', 'data', '$.object.id'),
  path('data_object_type', 'VARCHAR', 'data', '$.object.object'),
  col('pending_webhooks', 'BIGINT'),
  path('request_id', 'VARCHAR', 'request', '$.id'),
  col('data', 'JSON', { description: 'the event data object: {object, previous_attributes}' }),
  path('previous_attributes', 'JSON', 'data', '$.previous_attributes'),
];

const CONTRACTS: readonly SilverContract[] = [
  table('customers', 'one row per customer (latest version)', [
    col('email', 'VARCHAR'),
    col('name', 'VARCHAR'),
    col('description', 'VARCHAR'),
    col('currency', 'VARCHAR'),
    col('balance', 'BIGINT'),
    col('is_delinquent', 'BOOLEAN', { from: 'delinquent' }),
    col('metadata', 'JSON'),
  ]),
  table(
    'payment_intents',
    'one row per payment intent (latest version)',
    [
      ref('customer_id'),
      ref('latest_charge_id'),
      col('amount', 'BIGINT'),
      col('amount_received', 'BIGINT'),
      col('amount_capturable', 'BIGINT'),
      col('currency', 'VARCHAR'),
      col('status', 'VARCHAR'),
      col('capture_method', 'VARCHAR'),
      col('cancellation_reason', 'VARCHAR'),
      ts('canceled_at_ts'),
      col('description', 'VARCHAR'),
      col('metadata', 'JSON'),
    ],
    [{ column: 'customer_id', references: ['customers'] }],
  ),
  table(
    'charges',
    'one row per charge (latest version)',
    [
      ref('customer_id'),
      ref('payment_intent_id'),
      ref('balance_transaction_id'),
      col('amount', 'BIGINT'),
      col('amount_captured', 'BIGINT'),
      col('amount_refunded', 'BIGINT'),
      col('currency', 'VARCHAR'),
      col('status', 'VARCHAR'),
      col('paid', 'BOOLEAN'),
      col('captured', 'BOOLEAN'),
      col('refunded', 'BOOLEAN'),
      col('disputed', 'BOOLEAN'),
      col('failure_code', 'VARCHAR'),
      col('failure_message', 'VARCHAR'),
      path('outcome_type', 'VARCHAR', 'outcome', '$.type'),
      path('payment_method_type', 'VARCHAR', 'payment_method_details', '$.type'),
      path('card_brand', 'VARCHAR', 'payment_method_details', '$.card.brand'),
      col('description', 'VARCHAR'),
      col('payment_method_details', 'JSON'),
      col('metadata', 'JSON'),
    ],
    [
      { column: 'customer_id', references: ['customers'] },
      { column: 'payment_intent_id', references: ['payment_intents'] },
      { column: 'balance_transaction_id', references: ['balance_transactions'] },
    ],
  ),
  table(
    'refunds',
    'one row per refund (latest version)',
    [
      ref('charge_id'),
      ref('payment_intent_id'),
      ref('balance_transaction_id'),
      col('amount', 'BIGINT'),
      col('currency', 'VARCHAR'),
      col('status', 'VARCHAR'),
      col('reason', 'VARCHAR'),
      col('metadata', 'JSON'),
    ],
    [{ column: 'charge_id', references: ['charges'] }],
  ),
  table(
    'invoices',
    'one row per invoice (latest version)',
    [
      ref('customer_id'),
      first('subscription_id', 'VARCHAR', 'ref', [
        'parent.subscription_details.subscription',
        'subscription',
      ]),
      first(
        'payment_intent_id',
        'VARCHAR',
        'ref',
        ['payments.data[0].payment.payment_intent', 'payment_intent'],
        'the first invoice_payment (`payment_intent` before 2025)',
      ),
      first(
        'charge_id',
        'VARCHAR',
        'ref',
        ['payments.data[0].payment.charge', 'charge'],
        'the first invoice_payment charge (`charge` before 2025), where served',
      ),
      col('number', 'VARCHAR'),
      col('status', 'VARCHAR'),
      col('billing_reason', 'VARCHAR'),
      col('collection_method', 'VARCHAR'),
      col('currency', 'VARCHAR'),
      col('amount_due', 'BIGINT'),
      col('amount_paid', 'BIGINT'),
      col('amount_remaining', 'BIGINT'),
      col('subtotal', 'BIGINT'),
      col('total', 'BIGINT'),
      computed('line_item_count', 'BIGINT', { lines: 'JSON' }),
      ts('period_start_ts'),
      ts('period_end_ts'),
      ts('due_date_ts'),
      computed('paid_at_ts', 'TIMESTAMPTZ', { status_transitions: 'JSON' }),
      col('metadata', 'JSON'),
    ],
    [
      { column: 'customer_id', references: ['customers'] },
      { column: 'subscription_id', references: ['subscriptions'] },
    ],
  ),
  table(
    'subscriptions',
    'one row per subscription (latest version)',
    [
      ref('customer_id'),
      ref('latest_invoice_id'),
      col('status', 'VARCHAR'),
      col('currency', 'VARCHAR'),
      col('collection_method', 'VARCHAR'),
      col('cancel_at_period_end', 'BOOLEAN'),
      first('current_period_start_ts', 'TIMESTAMPTZ', 'time', [
        'items.data[0].current_period_start',
        'current_period_start',
      ]),
      first('current_period_end_ts', 'TIMESTAMPTZ', 'time', [
        'items.data[0].current_period_end',
        'current_period_end',
      ]),
      ts('start_date_ts'),
      ts('cancel_at_ts'),
      ts('canceled_at_ts'),
      ts('ended_at_ts'),
      ts('trial_start_ts'),
      ts('trial_end_ts'),
      computed(
        'items',
        'JSON',
        { items: 'JSON', current_period_start: 'JSON', current_period_end: 'JSON' },
        "the items list in the current version's shape (before 2025 the period was the subscription's)",
      ),
      col('metadata', 'JSON'),
    ],
    [{ column: 'customer_id', references: ['customers'] }],
  ),
  table(
    'balance_transactions',
    'one row per balance transaction (latest version)',
    [
      ref('source_id', {
        description: 'charge, refund, dispute or payout id (string or expanded object in the API)',
      }),
      col('amount', 'BIGINT'),
      col('fee', 'BIGINT'),
      col('net', 'BIGINT'),
      col('currency', 'VARCHAR'),
      col('type', 'VARCHAR'),
      col('reporting_category', 'VARCHAR'),
      col('status', 'VARCHAR'),
      ts('available_on_ts'),
      col('exchange_rate', 'DOUBLE'),
      col('description', 'VARCHAR'),
      col('fee_details', 'JSON'),
    ],
    [{ column: 'source_id', references: ['charges', 'refunds', 'disputes', 'payouts'] }],
  ),
  table(
    'disputes',
    'one row per dispute (latest version)',
    [
      ref('charge_id'),
      ref('payment_intent_id'),
      col('amount', 'BIGINT'),
      col('currency', 'VARCHAR'),
      col('status', 'VARCHAR'),
      col('reason', 'VARCHAR'),
      col('is_charge_refundable', 'BOOLEAN'),
      col('metadata', 'JSON'),
    ],
    [{ column: 'charge_id', references: ['charges'] }],
  ),
  table(
    'products',
    'one row per product (latest version)',
    [
      col('name', 'VARCHAR'),
      col('active', 'BOOLEAN'),
      ref('default_price_id'),
      col('description', 'VARCHAR'),
      col('type', 'VARCHAR'),
      ts('updated_ts'),
      col('metadata', 'JSON'),
    ],
    // a product retrieved by id (older than the windows) brings its default price in the next round
    [{ column: 'default_price_id', references: ['prices'] }],
  ),
  table(
    'prices',
    'one row per price (latest version)',
    [
      ref('product_id'),
      col('currency', 'VARCHAR'),
      col('unit_amount', 'BIGINT'),
      col('type', 'VARCHAR'),
      path('recurring_interval', 'VARCHAR', 'recurring', '$.interval'),
      path('recurring_interval_count', 'BIGINT', 'recurring', '$.interval_count'),
      col('active', 'BOOLEAN'),
      col('nickname', 'VARCHAR'),
      col('billing_scheme', 'VARCHAR'),
      col('metadata', 'JSON'),
    ],
    [{ column: 'product_id', references: ['products'] }],
  ),
  table('coupons', 'one row per coupon (latest version)', [
    col('name', 'VARCHAR'),
    col('percent_off', 'DOUBLE'),
    col('amount_off', 'BIGINT'),
    col('currency', 'VARCHAR'),
    col('duration', 'VARCHAR'),
    col('duration_in_months', 'BIGINT'),
    col('valid', 'BOOLEAN'),
    col('times_redeemed', 'BIGINT'),
    col('metadata', 'JSON'),
  ]),
  table(
    'payouts',
    'one row per payout (latest version)',
    [
      col('amount', 'BIGINT'),
      col('currency', 'VARCHAR'),
      col('status', 'VARCHAR'),
      col('automatic', 'BOOLEAN'),
      ts('arrival_date_ts'),
      ref('balance_transaction_id'),
      ref('failure_balance_transaction_id'),
      col('failure_code', 'VARCHAR'),
      col('failure_message', 'VARCHAR'),
      col('method', 'VARCHAR'),
      col('type', 'VARCHAR'),
      col('reconciliation_status', 'VARCHAR'),
      col('description', 'VARCHAR'),
      col('metadata', 'JSON'),
    ],
    [
      { column: 'balance_transaction_id', references: ['balance_transactions'] },
      { column: 'failure_balance_transaction_id', references: ['balance_transactions'] },
    ],
  ),
  child(
    'subscription_items',
    'one row per subscription item ever in a version of its subscription (dt = the item created date); is_deleted: gone from the latest version',
    {
      entity: 'subscriptions',
      list: 'items',
      reads: { customer: 'JSON', current_period_start: 'BIGINT', current_period_end: 'BIGINT' },
    },
    [
      col('id', 'VARCHAR'),
      ref('subscription_id'),
      computed('customer_id', 'VARCHAR', {}, "the subscription's customer"),
      computed('price_id', 'VARCHAR', { price: 'JSON', plan: 'JSON' }, '`price` (or the older `plan`)'),
      computed('product_id', 'VARCHAR', { price: 'JSON', plan: 'JSON' }, "the price's product"),
      col('quantity', 'BIGINT'),
      computed(
        'current_period_start_ts',
        'TIMESTAMPTZ',
        { current_period_start: 'BIGINT' },
        "the item's period (current API), else its subscription's (older versions)",
      ),
      computed('current_period_end_ts', 'TIMESTAMPTZ', { current_period_end: 'BIGINT' }),
      col('metadata', 'JSON'),
    ],
    [
      { column: 'subscription_id', references: ['subscriptions'] },
      { column: 'price_id', references: ['prices'] },
    ],
  ),
  child(
    'invoice_line_items',
    'one row per line of the latest version of its invoice (dt = the invoice created date)',
    {
      entity: 'invoices',
      list: 'lines',
      reads: { customer: 'JSON', status: 'VARCHAR', subscription: 'JSON', parent: 'JSON' },
    },
    [
      col('id', 'VARCHAR'),
      computed('invoice_id', 'VARCHAR', {}, 'the invoice whose latest version lists the line'),
      computed('customer_id', 'VARCHAR', {}, "the invoice's customer"),
      computed(
        'subscription_id',
        'VARCHAR',
        { parent: 'JSON', subscription: 'JSON' },
        "the line's subscription (parent.subscription_item_details or, older, `subscription`), else the invoice's",
      ),
      computed(
        'subscription_item_id',
        'VARCHAR',
        { parent: 'JSON', subscription_item: 'JSON' },
        'parent.subscription_item_details.subscription_item (older: `subscription_item`)',
      ),
      computed(
        'price_id',
        'VARCHAR',
        { pricing: 'JSON', price: 'JSON' },
        'pricing.price_details.price (older: `price`)',
      ),
      computed('product_id', 'VARCHAR', { pricing: 'JSON', price: 'JSON' }, "the price's product"),
      computed(
        'line_type',
        'VARCHAR',
        { type: 'VARCHAR', parent: 'JSON' },
        '`subscription` or `invoiceitem` (older `type`, or the current `parent.type`)',
      ),
      computed('is_proration', 'BOOLEAN', { proration: 'BOOLEAN', parent: 'JSON' }),
      col('amount', 'BIGINT'),
      computed('discount_amount', 'BIGINT', { discount_amounts: 'JSON' }, 'sum of discount_amounts[].amount'),
      col('currency', 'VARCHAR'),
      col('quantity', 'BIGINT'),
      computed('period_start_ts', 'TIMESTAMPTZ', { period: 'JSON' }),
      computed('period_end_ts', 'TIMESTAMPTZ', { period: 'JSON' }),
      computed('invoice_status', 'VARCHAR', {}, "the status of the invoice's latest version"),
      col('description', 'VARCHAR'),
    ],
    [
      { column: 'invoice_id', references: ['invoices'] },
      { column: 'subscription_id', references: ['subscriptions'] },
      { column: 'price_id', references: ['prices'] },
    ],
  ),
  child(
    'payout_balance_transactions',
    "one row per balance transaction an automatic payout paid out, as of the payout's latest read (dt = the payout created date)",
    { entity: 'payouts', reads: {} },
    [
      computed('payout_id', 'VARCHAR', {}, 'the payout `?payout=` was asked for'),
      col('balance_transaction_id', 'VARCHAR', { from: 'id' }),
    ],
    [
      { column: 'payout_id', references: ['payouts'] },
      { column: 'balance_transaction_id', references: ['balance_transactions'] },
    ],
    ['payout_id', 'balance_transaction_id'],
  ),
  table('events', 'one row per event read from /v1/events', eventColumns, [], {
    from: 'own',
    webhookObjects: false,
    dedup: 'latest_events',
  }),
  table(
    'webhook_events',
    'one row per event delivered by webhook (dt = event created date)',
    eventColumns,
    [],
    { from: 'webhooks', webhookObjects: false, dedup: 'latest_events' },
  ),
];

export const SILVER_CONTRACTS = Object.fromEntries(CONTRACTS.map((c) => [c.name, c])) as Readonly<
  Record<TableName, SilverContract>
>;

/** Every Silver table (build order does not matter for Silver). */
export const SILVER_TABLES: readonly TableName[] = CONTRACTS.map((c) => c.name);

/** The raw payload fields a model reads from Bronze, with the type they are parsed as. */
export type PayloadFields = Readonly<Record<string, PayloadType>>;

/** Read for every table: the dedup and the standard columns need them. */
const BASE_PAYLOAD: PayloadFields = {
  id: 'VARCHAR',
  object: 'VARCHAR',
  created: 'BIGINT',
  livemode: 'BOOLEAN',
  deleted: 'BOOLEAN',
};

/** The raw fields one column reads. */
function payloadOf(column: ColumnDef): PayloadFields {
  const s = column.source;
  switch (s?.kind) {
    case 'field':
      return { [s.field]: column.type as PayloadType };
    case 'ref':
    case 'path':
      return { [s.field]: 'JSON' };
    case 'first':
      return Object.fromEntries(s.places.map((p) => [splitPlace(p).field, 'JSON' as const]));
    case 'time':
      return { [s.field]: 'BIGINT' };
    case 'model':
      return s.reads;
    default:
      return {};
  }
}

/**
 * The raw fields read from Bronze per table, derived from the columns: the reader parses only
 * these, typed, in one pass (extra fields are ignored, missing ones are NULL). Only scalars are
 * typed; nested values are read as JSON, so objects of other types sharing a name never clash.
 */
export const BRONZE_PAYLOADS = Object.fromEntries(
  CONTRACTS.map((c) => [c.name, payloadFields(c)]),
) as Readonly<Record<TableName, PayloadFields>>;

function payloadFields(contract: SilverContract): PayloadFields {
  const fields: Record<string, PayloadType> = { ...BASE_PAYLOAD };
  for (const column of contract.columns) {
    for (const [field, type] of Object.entries(payloadOf(column))) {
      // one raw field, one type: two columns reading it differently is a declaration error
      if (fields[field] !== undefined && fields[field] !== type) {
        throw new Error(
          `silver.${contract.name}: raw field "${field}" read as ${fields[field]} and as ${type} (column ${column.name})`,
        );
      }
      fields[field] = type;
    }
  }
  return fields;
}

/**
 * Child tables: the raw parent fields read from the parent's Bronze (the embedded list as JSON,
 * and the fields the model takes from the parent version).
 */
export function parentPayload(table: TableName): PayloadFields {
  const parent = SILVER_CONTRACTS[table].bronze.parent;
  if (!parent) throw new Error(`silver.${table} is not a child table`);
  return { ...BASE_PAYLOAD, ...(parent.list ? { [parent.list]: 'JSON' } : {}), ...parent.reads };
}

/** The child tables, with their parent entity. */
export const CHILD_TABLES: readonly ChildName[] = CONTRACTS.filter((c) => c.bronze.parent).map(
  (c) => c.name as ChildName,
);
