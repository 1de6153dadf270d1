import type { ChildName, EntityName, TableName } from '../entities/entity.js';
import type { ColumnDef, ColumnType, ForeignKey, PayloadType, TableContract } from './contract.js';

/**
 * How a Silver table is declared (SPEC section 7): its contract shape and the helpers that declare
 * columns (`col`, `ref`, `ts`, `path`, `first`, `computed`, `lineage`) and tables (`table`,
 * `child`). The tables themselves are in silver-payments.ts and silver-saas.ts.
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
   * events, the children of every version of a child table's parent (the model picks the
   * children), or the children of its latest version.
   */
  readonly dedup: 'latest_versions' | 'latest_events' | 'parent_versions' | 'latest_children';
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
  /**
   * The child's dt is its parent's created date: a change to parents created on some days rebuilds
   * only those days' partitions (from those days' parent Bronze), not the whole table.
   */
  readonly datedByParent?: boolean;
  /**
   * A row for every child any version listed, `is_deleted` when the latest version no longer does
   * (subscription items); by default only the latest version's children have rows.
   */
  readonly keepsRemoved?: boolean;
}

/** An API object: its own Bronze plus webhook-delivered versions, tombstones included. */
export const OBJECT_VERSIONS: BronzeInputs = { from: 'own', webhookObjects: true, dedup: 'latest_versions' };

export type Opts = { readonly from?: string; readonly description?: string };
export const described = (description?: string) => (description ? { description } : {});

/** `obj.<from ?? name>`, typed as the column. */
export const col = (name: string, type: ColumnType & PayloadType, o: Opts = {}): ColumnDef => ({
  name,
  type,
  source: { kind: 'field', field: o.from ?? name },
  ...described(o.description),
});
/** `customer_id` <- `ref_id(obj.customer)`: the id, whether the API sent an id or an expanded object. */
export const ref = (name: string, o: Opts = {}): ColumnDef => ({
  name,
  type: 'VARCHAR',
  source: { kind: 'ref', field: o.from ?? name.replace(/_id$/, '') },
  ...described(o.description),
});
/** `canceled_at_ts` <- `to_timestamp(obj.canceled_at)`. */
export const ts = (name: string, o: Opts = {}): ColumnDef => ({
  name,
  type: 'TIMESTAMPTZ',
  source: { kind: 'time', field: o.from ?? name.replace(/_ts$/, '') },
  ...described(o.description),
});
/** A value inside a nested object: text (`->>`, cast to a scalar type), or JSON (`->`) for a JSON column. */
export const path = (name: string, type: ColumnType, field: string, jsonPath: string): ColumnDef => ({
  name,
  type,
  source: { kind: 'path', field, path: jsonPath },
});
/**
 * A value Stripe moved between API versions: the first non-null of `places`, the current
 * version's first (see `ColumnSource` `first`). Reading both keeps Silver equal whichever
 * version an event was created under.
 */
export const first = (
  name: string,
  type: ColumnType,
  as: 'value' | 'ref' | 'time',
  places: readonly string[],
  description?: string,
): ColumnDef => ({ name, type, source: { kind: 'first', places, as }, ...described(description) });
/** Logic in the model's `.sql` (a `derived` CTE), reading these raw fields. */
export const computed = (
  name: string,
  type: ColumnType,
  reads: Readonly<Record<string, PayloadType>>,
  description?: string,
): ColumnDef => ({ name, type, source: { kind: 'model', reads }, ...described(description) });
export const lineage = (name: string, type: ColumnType, description?: string): ColumnDef => ({
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

export const table = (
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
export const child = (
  name: ChildName,
  grain: string,
  parent: ChildParent,
  columns: readonly ColumnDef[],
  foreignKeys: readonly ForeignKey[],
  primaryKey: readonly string[] = ['id'],
): SilverContract => ({
  name,
  layer: 'silver',
  bronze: {
    from: 'parent',
    webhookObjects: true,
    dedup: parent.keepsRemoved ? 'parent_versions' : 'latest_children',
    parent,
  },
  grain,
  primaryKey,
  columns: [...columns, ...COMMON_SILVER_COLUMNS],
  foreignKeys,
});

export const eventColumns: readonly ColumnDef[] = [
  col('type', 'VARCHAR'),
  col('api_version', 'VARCHAR'),
  path('data_object_id', 'VARCHAR', 'data', '$.object.id'),
  path('data_object_type', 'VARCHAR', 'data', '$.object.object'),
  col('pending_webhooks', 'BIGINT'),
  path('request_id', 'VARCHAR', 'request', '$.id'),
  col('data', 'JSON', { description: 'the event data object: {object, previous_attributes}' }),
  path('previous_attributes', 'JSON', 'data', '$.previous_attributes'),
];

/** The raw payload fields a model reads from Bronze, with the type they are parsed as. */
export type PayloadFields = Readonly<Record<string, PayloadType>>;
