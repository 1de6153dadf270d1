import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import {
  BRONZE_PAYLOADS,
  type PayloadFields,
  parentIdentityPayload,
  parentPayload,
  SILVER_CONTRACTS,
} from '../contracts/silver.js';
import type { EntityName, TableName } from '../entities/entity.js';
import { entity } from '../entities/lookups.js';
import { dtOfKey, layout } from '../storage/layout.js';
import type { ObjectInfo, ObjectStore } from '../storage/object-store.js';
import { CHILD_META_TYPE, payloadType, readBronzeRelation, webhookEventType } from './bronze-read.js';
import { silverSelectList } from './silver-select.js';
import { renderSql, sqlIdent, sqlString, sqlStringList } from './sql-template.js';

// The SQL of the Silver models: the `.sql` files under sql/, the shared fragments a model starts
// from, and their rendering over a build's local Bronze files. No I/O beyond reading the SQL.

/**
 * The SQL text of a file in `sql/silver/` or `sql/gold/`: a model `<name>.sql`, or a shared
 * fragment `_<name>.sql` (pass the name with its underscore).
 */
export async function readModelSql(layer: 'silver' | 'gold', name: string): Promise<string> {
  return readFile(new URL(`../transform/sql/${layer}/${name}.sql`, import.meta.url), 'utf8');
}

/**
 * The one "which version wins" order (`sql/silver/_version_order.sql`), filled into every dedup
 * and the incremental merge. Read once: it is part of the code, not of a run's input.
 */
export const VERSION_ORDER = readFileSync(
  new URL('../transform/sql/silver/_version_order.sql', import.meta.url),
  'utf8',
);

/**
 * Every version of an entity's objects, from its Bronze and webhook deliveries
 * (`sql/silver/_object_versions.sql`): filled into the dedups of entities and of child tables'
 * parents. Read once, like the version order.
 */
const OBJECT_VERSIONS = readFileSync(
  new URL('../transform/sql/silver/_object_versions.sql', import.meta.url),
  'utf8',
);
/** Every copy of the events in a table's Bronze (`sql/silver/_event_versions.sql`). */
const EVENT_VERSIONS = readFileSync(
  new URL('../transform/sql/silver/_event_versions.sql', import.meta.url),
  'utf8',
);
/** The latest of each id's versions (`sql/silver/_latest_per_id.sql`): the dedup of entities and events. */
const LATEST_PER_ID = readFileSync(
  new URL('../transform/sql/silver/_latest_per_id.sql', import.meta.url),
  'utf8',
);

/** `_latest_per_id.sql` over a relation of versions, as a subquery. */
const latestPerId = (versions: string): string =>
  `(\n${renderSql(LATEST_PER_ID, { versions, version_order: VERSION_ORDER })}\n)`;

/** The shared dedup fragment a Silver model selects from: `{{<name>}}` in the model, `_<name>.sql`. */
export type SilverFragment = 'latest_versions' | 'latest_events' | 'parent_versions' | 'latest_children';

/** Entities: versions from their Bronze and webhooks, with tombstones; events: immutable records. */
export function silverFragmentOf(table: TableName): SilverFragment {
  return SILVER_CONTRACTS[table].bronze.dedup;
}

/** A Silver model's own SQL (typing only) and the shared fragment it starts from. */
export interface SilverModelSql {
  readonly model: string;
  readonly fragment: string;
}

/**
 * Reads a Silver model and its shared fragment; `_latest_children.sql` comes with the
 * `_parent_versions.sql` it selects from inlined, so it renders like `_parent_versions.sql`.
 */
export async function readSilverModelSql(table: TableName): Promise<SilverModelSql> {
  const name = silverFragmentOf(table);
  const [model, fragment, parentVersions] = await Promise.all([
    readModelSql('silver', table),
    readModelSql('silver', `_${name}`),
    name === 'latest_children' ? readModelSql('silver', '_parent_versions') : undefined,
  ]);
  return {
    model,
    fragment: parentVersions ? renderSql(fragment, { parent_versions: `(\n${parentVersions}\n)` }) : fragment,
  };
}

/** The Bronze files a Silver model reads (local paths), and ids already known to Silver. */
export interface SilverModelFiles {
  readonly own: readonly string[];
  readonly webhooks: readonly string[];
  /** Child tables: the pages fetched by parent (the table's own Bronze). */
  readonly pages?: readonly string[];
  readonly knownCreated?: string;
  /**
   * Child tables: a relation `(id)` of parents; only their versions are ranked and listed (the
   * rebuild of the parents that changed reads their days' Bronze, and the other parents of those
   * days are left out before the ranking, not after it).
   */
  readonly parentIds?: string;
}

/**
 * `_object_versions.sql` over an entity's Bronze files and the webhook deliveries (local paths),
 * the objects read as `dataType` (`payloadType` of the fields read).
 */
function renderObjectVersions(
  name: EntityName,
  dataType: string,
  files: Pick<SilverModelFiles, 'own' | 'webhooks'>,
): string {
  const def = entity(name);
  return `(\n${renderSql(OBJECT_VERSIONS, {
    bronze: readBronzeRelation(files.own, dataType),
    webhooks: readBronzeRelation(files.webhooks, webhookEventType(dataType)),
    object_name: sqlString(def.objectName),
    delete_event_types: sqlStringList(def.deleteEvents),
  })}\n)`;
}

/**
 * `embedded_list`, `embedded_partial` and `embedded_child` of `_parent_versions.sql`: a parent's
 * embedded list (none: no children, incomplete), read as JSON text and each child parsed again as
 * `payload`, or (`typed`) typed by the JSON reader as `{data: [payload], has_more}`.
 */
function embeddedListSql(listField: string | undefined, typed: boolean, payload: PayloadFields) {
  const jsonChild = `json_transform(unnest(from_json(_embedded, '["JSON"]')), ${sqlString(JSON.stringify(payload))})`;
  if (listField === undefined)
    return { embedded_list: 'NULL::JSON', embedded_partial: 'true', embedded_child: jsonChild };
  const list = `obj.${sqlIdent(listField)}`;
  return typed
    ? {
        embedded_list: `${list}.data`,
        embedded_partial: `coalesce(${list}.has_more, true)`,
        embedded_child: 'unnest(_embedded)',
      }
    : {
        embedded_list: `${list} -> '$.data'`,
        embedded_partial: `coalesce((${list} ->> '$.has_more')::BOOLEAN, true)`,
        embedded_child: jsonChild,
      };
}

/** `_child_rank` of `_parent_versions.sql`: 1 = a child's row from the latest parent version listing it. */
const CHILD_RANK = `row_number() over (partition by parent.id, obj.id order by _rank, ${VERSION_ORDER})`;

/**
 * Renders a table's shared dedup fragment (`_latest_versions.sql`, `_latest_events.sql`, or for a
 * child table `_parent_versions.sql` or `_latest_children.sql`) over its inputs.
 */
export function renderSilverFragment(
  table: TableName,
  fragment: string,
  files: SilverModelFiles,
  /** What a check reads instead: fewer child fields; the fetched pages as a relation of its own. */
  narrow: {
    childPayload?: PayloadFields;
    /** `(data, meta, filename)`, `meta` holding at least `parent`, instead of `files.pages`. */
    childPages?: string;
    /** false: `_child_rank` is NULL (not computed). */
    childRank?: boolean;
    /**
     * true: the parents are read for their identity and their embedded list only, the list typed
     * by the JSON reader itself as `{data: [childPayload], has_more}` instead of read as JSON text
     * and parsed again per child (4 s of the invoice lines' check at 1m). A list the reader cannot
     * type so fails the query, where JSON text would give NULLs: the caller then reads it as JSON.
     */
    typedList?: boolean;
    /** false: a fetched child's `_bronze_key` is NULL (not computed). */
    pageKey?: boolean;
  } = {},
): string {
  const payload = narrow.childPayload ?? BRONZE_PAYLOADS[table];
  const parent = SILVER_CONTRACTS[table].bronze.parent;
  if (parent) {
    const typed = narrow.typedList === true && parent.list !== undefined;
    const parentType = typed
      ? payloadType(parentIdentityPayload(table)).replace(
          /\)$/,
          `, ${sqlIdent(parent.list!)} STRUCT(data ${payloadType(payload)}[], has_more BOOLEAN))`,
        )
      : payloadType(parentPayload(table));
    const versions = renderObjectVersions(parent.entity, parentType, files);
    return renderSql(fragment, {
      object_versions: files.parentIds
        ? `(select * from ${versions} where obj.id in (select id from ${files.parentIds}))`
        : versions,
      version_order: VERSION_ORDER,
      child_rank: narrow.childRank === false ? 'NULL::BIGINT' : CHILD_RANK,
      ...embeddedListSql(parent.list, typed, payload),
      child_pages:
        narrow.childPages ?? readBronzeRelation(files.pages ?? [], payloadType(payload), CHILD_META_TYPE),
      page_key: narrow.pageKey === false ? 'NULL::VARCHAR' : 'bronze_key(pages._page_file)',
    });
  }
  if (silverFragmentOf(table) === 'latest_versions') {
    return renderSql(fragment, {
      latest_per_id: latestPerId(renderObjectVersions(table as EntityName, payloadType(payload), files)),
      known_created: files.knownCreated ?? '(select NULL::VARCHAR as id, NULL::BIGINT as created limit 0)',
    });
  }
  const events = renderSql(EVENT_VERSIONS, { bronze: readBronzeRelation(files.own, payloadType(payload)) });
  return renderSql(fragment, { latest_per_id: latestPerId(`(\n${events}\n)`) });
}

/**
 * `_new_parent_versions.sql` for a child table: its changed parents' versions in `files` (the new
 * Bronze and webhook deliveries; only the parents in `files.parentIds`) against `currentParents`
 * (a relation of those parents' current Silver rows).
 */
export function renderNewParentVersions(
  table: TableName,
  sql: string,
  files: Pick<SilverModelFiles, 'own' | 'webhooks'> & { readonly parentIds: string },
  currentParents: string,
): string {
  const parent = SILVER_CONTRACTS[table].bronze.parent;
  if (!parent) throw new Error(`silver.${table} is not a child table`);
  const versions = renderObjectVersions(parent.entity, payloadType(parentPayload(table)), files);
  return renderSql(sql, {
    object_versions: `(select * from ${versions} where obj.id in (select id from ${files.parentIds}))`,
    embedded_partial: embeddedListSql(parent.list, false, BRONZE_PAYLOADS[table]).embedded_partial,
    current_parents: currentParents,
    version_order: VERSION_ORDER,
  });
}

/**
 * Renders a Silver model over the given local files: the model gets its rendered fragment as a
 * subquery in its `{{latest_versions}}`/`{{latest_events}}`, and its contract's typed select list
 * in `{{columns}}`.
 */
export function renderSilverModel(table: TableName, sql: SilverModelSql, files: SilverModelFiles): string {
  return renderSql(sql.model, {
    [silverFragmentOf(table)]: `(\n${renderSilverFragment(table, sql.fragment, files)}\n)`,
    columns: silverSelectList(table),
  });
}

/** Bronze keys of an entity (data files only). */
export async function listBronzeKeys(store: ObjectStore, entityName: string): Promise<string[]> {
  return (await listBronzeObjects(store, entityName)).map((o) => o.key);
}

/** Bronze objects of an entity (data files only), with their size and modification time. */
export async function listBronzeObjects(store: ObjectStore, entityName: string): Promise<ObjectInfo[]> {
  const listed = await store.list(layout.bronzeEntityPrefix(entityName));
  return listed.filter(
    (o) => dtOfKey(o.key) !== undefined && (o.key.endsWith('.jsonl') || o.key.endsWith('.json')),
  );
}

/** The Bronze entity a Silver table's objects come from: its parent's for a child table. */
export function bronzeEntityOf(table: TableName): string {
  return SILVER_CONTRACTS[table].bronze.parent?.entity ?? table;
}

/** The column of a child table naming its parent (`subscription_id` for subscription items). */
export function parentKeyColumn(table: TableName): string {
  const parent = bronzeEntityOf(table);
  const fk = SILVER_CONTRACTS[table].foreignKeys.find((f) => f.references.includes(parent as TableName));
  if (!fk) throw new Error(`silver.${table}: no column references its parent ${parent}`);
  return fk.column;
}
