import type { ParentRef } from './envelope.js';

/**
 * The id sidecar of a Bronze part (`layout.bronzeIds`): the ids of the part's records, in line
 * order, as the extractor wrote them, so that quality need not parse gigabytes of JSON again to
 * learn them. NDJSON: a header `{"part_bytes":N,"lines":L}` (the part's size and record count,
 * which the reader checks against the part it lists and the ids it reads), then `{"id":"…"}` per
 * record (with `"parent"` for the pages of a child fetched by parent, see `ParentRun`). Written
 * only when every record's id is known exactly (`sidecarId`); a part without one is read whole.
 */
export function renderPartIds(
  partBytes: number,
  ids: readonly string[],
  parents: readonly ParentRun[] = [],
): string {
  const lines = [JSON.stringify({ part_bytes: partBytes, lines: ids.length })];
  let run = -1;
  let parent = '';
  for (const [i, id] of ids.entries()) {
    if (parents[run + 1]?.at === i) parent = `,"parent":${JSON.stringify(parents[++run]!.parent)}`;
    lines.push(`{"id":${JSON.stringify(id)}${parent}}`);
  }
  return `${lines.join('\n')}\n`;
}

/**
 * A fetched child page's records from line `at` on (to the next run) belong to `parent`: their
 * sidecar lines carry it as `meta.parent` does, `{"id":…,"parent":{entity,id,version_ts,count}}`,
 * so that quality can tell which fetch listed which child without reading the pages' JSON.
 */
export interface ParentRun {
  readonly at: number;
  readonly parent: ParentRef;
}

/**
 * An id the sidecar can vouch for: one that reads the same whether taken from the scan of the raw
 * bytes or parsed by DuckDB's JSON reader (printable ASCII, no escapes). Anything else (undefined,
 * a hostile id with escapes or control characters): undefined, and the part gets no sidecar.
 */
export function sidecarId(id: unknown): string | undefined {
  return typeof id === 'string' && SAFE_ID.test(id) ? id : undefined;
}

const SAFE_ID = /^[\x21\x23-\x5b\x5d-\x7e]{1,255}$/;
