import type { TableName } from '../entities/entity.js';

/**
 * The shape every table contract has, Silver or Gold (SPEC sections 7 and 8): the exact columns
 * and DuckDB types a model returns, its key, and the foreign keys the quality checks resolve.
 * Quality, the publisher, `catalog` and the data dictionary read contracts, never the SQL.
 */

/** DuckDB column types used by the contracts. */
export type ColumnType =
  | 'VARCHAR'
  | 'BIGINT'
  | 'INTEGER'
  | 'DOUBLE'
  | 'BOOLEAN'
  | 'TIMESTAMPTZ'
  | 'DATE'
  | 'JSON'
  /** Gold's monthly-normalised amounts (MRR): minor units with 4 decimals. */
  | 'DECIMAL(18,4)';

/** DuckDB types of the raw payload fields a Silver model reads (`data` of the Bronze envelope). */
export type PayloadType = 'VARCHAR' | 'BIGINT' | 'BOOLEAN' | 'DOUBLE' | 'JSON';

/**
 * Where a Silver column comes from in the raw object. Typing sources are rendered into the
 * model's select list (`{{columns}}`); `model` columns are logic the model's `.sql` computes.
 */
export type ColumnSource =
  /** `obj.<field>`, read as the column's own type. */
  | { readonly kind: 'field'; readonly field: string }
  /** `ref_id(obj.<field>)`: an id that the API may also expand into an object. */
  | { readonly kind: 'ref'; readonly field: string }
  /** `to_timestamp(obj.<field>)`: Unix seconds to TIMESTAMPTZ. */
  | { readonly kind: 'time'; readonly field: string }
  /** `obj.<field> ->> '<path>'` (text) or `-> '<path>'` (a JSON column). */
  | { readonly kind: 'path'; readonly field: string; readonly path: string }
  /**
   * The first non-null of several places in the raw object, in order: a value Stripe moved
   * between API versions (the current version's place first, then the older ones), so Silver
   * reads events of either version alike. A place is a raw field, optionally followed by a JSON
   * path into it (`parent.subscription_details.subscription`, `items.data[0].current_period_end`).
   * `as`: `ref` takes the id of an id-or-expanded-object, `time` reads Unix seconds, `value` the
   * value typed as the column.
   */
  | { readonly kind: 'first'; readonly places: readonly string[]; readonly as: 'value' | 'ref' | 'time' }
  /** Computed by the model's SQL from these raw fields (logic typing alone cannot give). */
  | { readonly kind: 'model'; readonly reads: Readonly<Record<string, PayloadType>> }
  /** Added by the shared dedup (created_ts, dt, lineage). */
  | { readonly kind: 'lineage' };

/**
 * A place of a `first` column (`field` or `field.json.path`, `field[0]…`): the raw field and the JSON path
 * (`$…`, null for the field itself).
 */
export function splitPlace(place: string): { field: string; path: string | null } {
  const m = /^([A-Za-z_][A-Za-z0-9_]*)(.*)$/.exec(place);
  if (!m || (m[2] !== '' && !/^[.[]/.test(m[2]!))) throw new Error(`not a place in a raw object: "${place}"`);
  return { field: m[1]!, path: m[2] === '' ? null : `$${m[2]}` };
}

export interface ColumnDef {
  readonly name: string;
  readonly type: ColumnType;
  /** One sentence for the data dictionary. */
  readonly description?: string;
  /** Silver only: where the value comes from. */
  readonly source?: ColumnSource;
}

/** A foreign key that the quality checks resolve (`ref.<table>.<column>`). */
export interface ForeignKey {
  readonly column: string;
  /** The table the key points at; several when the reference is polymorphic (resolved by id prefix). */
  readonly references: readonly TableName[];
}

/** One table of the lake, Silver or Gold. */
export interface TableContract<Name extends string = string> {
  readonly name: Name;
  readonly layer: 'silver' | 'gold';
  /** One sentence: what one row is, and what `dt` is. */
  readonly grain: string;
  /** One column, or several for a composite key (`daily_overview`: date_day + currency). */
  readonly primaryKey: readonly string[];
  readonly columns: readonly ColumnDef[];
  readonly foreignKeys: readonly ForeignKey[];
}
