import { OBJECT_ENTITIES } from '../../src/entities/lookups.js';
import { fetchTruth, readLayer } from './lake.js';

/** Top-level scalar fields of a truth object that Silver keeps under the same name. */
function comparableFields(truth: Record<string, unknown>, row: Record<string, unknown>): string[] {
  return Object.keys(truth).filter(
    (k) =>
      k in row &&
      k !== 'created' &&
      (typeof truth[k] === 'string' || typeof truth[k] === 'number' || typeof truth[k] === 'boolean'),
  );
}

/**
 * Differences between the Silver of a local lake and `/_mock/truth` for every object entity:
 * missing or extra ids, duplicates, wrong deletion state, and any scalar field whose latest
 * value differs. Empty = Silver equals the truth.
 */
export async function silverVsTruth(root: string, mockUrl: string): Promise<string[]> {
  const out: string[] = [];
  for (const def of OBJECT_ENTITIES) {
    const truth = await fetchTruth(mockUrl, def.name);
    const rows = await readLayer(root, 'silver', def.name);
    const byId = new Map(rows.map((r) => [String(r.id), r]));
    if (rows.length !== byId.size) out.push(`${def.name}: ${rows.length - byId.size} duplicate ids`);
    const truthIds = new Set(truth.map((t) => String(t.id)));
    for (const id of byId.keys()) if (!truthIds.has(id)) out.push(`${def.name}: ${id} is not in the truth`);
    for (const t of truth) {
      const row = byId.get(String(t.id));
      if (!row) {
        out.push(`${def.name}: ${t.id} missing from Silver`);
        continue;
      }
      if (row.is_deleted !== (t.deleted === true)) {
        out.push(`${def.name}: ${t.id} is_deleted=${row.is_deleted}, truth deleted=${t.deleted === true}`);
        continue;
      }
      if (t.deleted === true) continue;
      for (const k of comparableFields(t, row)) {
        if (String(row[k]) !== String(t[k])) out.push(`${def.name}: ${t.id}.${k} = ${row[k]}, truth ${t[k]}`);
      }
      const created = new Date(String(row.created_ts)).getTime() / 1000;
      if (created !== t.created) out.push(`${def.name}: ${t.id}.created_ts = ${created}, truth ${t.created}`);
    }
  }
  return out;
}
