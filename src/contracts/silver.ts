/**
 * The Silver contracts (SPEC section 7), declared once: per table every column with its DuckDB
 * type and where it comes from in the raw object. From these declarations come the typing part of
 * each model (`{{columns}}` in `transform/sql/silver/<table>.sql`), the raw fields the Bronze reader
 * parses (`BRONZE_PAYLOADS`) and what the quality checks compare (a test runs every model and
 * compares `DESCRIBE` with the contract). The `.sql` files keep only logic: the shared dedup, and
 * the few columns typing alone cannot give (`source: model`).
 *
 * Adding a column: one line in its table's declaration (silver-payments.ts, silver-saas.ts).
 * Adding a table: one entry there plus its `.sql` file (see docs/architecture.md, "Adding an
 * entity"). This file assembles them and derives what the transform and the checks read.
 */
import type { ChildName, TableName } from '../entities/entity.js';
import { type ColumnDef, type PayloadType, splitPlace } from './contract.js';
import { eventColumns, type PayloadFields, type SilverContract, table } from './silver-columns.js';
import { PAYMENTS_CONTRACTS } from './silver-payments.js';
import { SAAS_CONTRACTS } from './silver-saas.js';

export type { BronzeInputs, ChildParent, PayloadFields, SilverContract } from './silver-columns.js';
export { COMMON_SILVER_COLUMNS } from './silver-columns.js';

const CONTRACTS: readonly SilverContract[] = [
  ...PAYMENTS_CONTRACTS,
  ...SAAS_CONTRACTS,
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

/** Child tables: the parent fields every read of them needs (the dedup's), without the list. */
export function parentIdentityPayload(table: TableName): PayloadFields {
  if (!SILVER_CONTRACTS[table].bronze.parent) throw new Error(`silver.${table} is not a child table`);
  return BASE_PAYLOAD;
}

/** The child tables, with their parent entity. */
export const CHILD_TABLES: readonly ChildName[] = CONTRACTS.filter((c) => c.bronze.parent).map(
  (c) => c.name as ChildName,
);
