import type { PayloadFields } from '../contracts/silver.js';
import { sqlIdent, sqlString, sqlStringList } from './sql-template.js';

/** DuckDB type of the Bronze envelope's `meta` (SPEC section 6). */
export const META_TYPE =
  'STRUCT(entity VARCHAR, run_id VARCHAR, ingested_at VARCHAR, source VARCHAR, version_ts BIGINT, event_id VARCHAR, deleted BOOLEAN)';

/** DuckDB type of `meta.parent` of a fetched child (`ParentRef`). */
export const PARENT_REF_TYPE = 'STRUCT(entity VARCHAR, id VARCHAR, version_ts BIGINT, count BIGINT)';

/**
 * `meta` of a child collection's Bronze (the pages fetched by parent): which parent version the
 * fetch was made for and how many children it listed (a fetch is complete when all are there).
 */
export const CHILD_META_TYPE = META_TYPE.replace(/\)$/, `, parent ${PARENT_REF_TYPE})`);

/** A Bronze line's `data` read for its id only: DuckDB skips the rest of the JSON cheaply. */
export const ID_ONLY = 'STRUCT(id VARCHAR)';

/** `STRUCT(...)` of a payload declaration. */
export function payloadType(fields: PayloadFields): string {
  return `STRUCT(${Object.entries(fields)
    .map(([k, t]) => `${sqlIdent(k)} ${t}`)
    .join(', ')})`;
}

/** The type of a webhook delivery's `data` (a whole event) whose object is read as `objectType`. */
export function webhookEventType(objectType: string): string {
  return `STRUCT(id VARCHAR, type VARCHAR, created BIGINT, data STRUCT(object ${objectType}))`;
}

/**
 * A relation `(data, meta, filename)` over NDJSON Bronze files, parsed once with explicit types:
 * extra fields are ignored, missing ones are NULL, a value that cannot take its type fails the
 * query (reported with its key and line by `locateBadLine`). No files: an empty typed relation.
 */
export function readBronzeRelation(
  paths: readonly string[],
  dataType: string,
  metaType: string = META_TYPE,
): string {
  if (paths.length === 0) {
    return `(select NULL::${dataType} as data, NULL::${metaType} as meta, NULL::VARCHAR as filename limit 0)`;
  }
  return `read_json(${sqlStringList(paths)}, format = 'newline_delimited', filename = true, columns = {data: ${sqlString(
    dataType,
  )}, meta: ${sqlString(metaType)}})`;
}
