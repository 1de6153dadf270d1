import type { ObjectStore } from '../storage/object-store.js';

/**
 * What the current Silver Parquet of one table was built from, at
 * `_state/transform/silver/<table>.json`. Written only after every Parquet it describes is
 * durable, so a crash anywhere before leaves the Bronze it consumed "new" for the next run.
 */
export interface SilverState {
  readonly version: 1;
  readonly table: string;
  readonly runId: string;
  readonly updatedAt: string;
  /** Per Bronze partition prefix (`bronze/.../dt=X/`): how many keys were consumed, the largest. */
  readonly inputs: Record<string, { count: number; maxKey: string }>;
  /** Per Silver dt: rows. (Each row's Bronze key is its `_bronze_key` column.) */
  readonly partitions: Record<string, { rows: number }>;
}

export const silverStateKey = (table: string) => `_state/transform/silver/${table}.json`;

export function emptySilverState(table: string): SilverState {
  return { version: 1, table, runId: '', updatedAt: '', inputs: {}, partitions: {} };
}

export async function loadSilverState(store: ObjectStore, table: string): Promise<SilverState> {
  const body = await store.get(silverStateKey(table));
  if (!body) return emptySilverState(table);
  const parsed = JSON.parse(Buffer.from(body).toString('utf8')) as SilverState;
  return parsed.version === 1 ? parsed : emptySilverState(table);
}

export async function saveSilverState(store: ObjectStore, state: SilverState): Promise<void> {
  await store.put(silverStateKey(state.table), `${JSON.stringify(state)}\n`);
}

/** `bronze/.../dt=X/` of a Bronze key. */
export function partitionPrefixOf(key: string): string {
  const m = /^(.*\/dt=[^/]+\/)/.exec(key);
  if (!m) throw new Error(`not a partitioned key: ${key}`);
  return m[1]!;
}

/**
 * The Bronze keys not yet consumed. Keys of one partition sort by run id (time-sortable), so
 * normally only keys above the recorded largest are new; if the keys at or below it are not
 * exactly the recorded count (a key appeared out of order, e.g. a webhook), the whole partition
 * is read again: rereading is safe, missing a key is not.
 */
export function unconsumedKeys(listed: readonly string[], inputs: SilverState['inputs']): string[] {
  const byPrefix = new Map<string, string[]>();
  for (const k of listed) {
    const p = partitionPrefixOf(k);
    const arr = byPrefix.get(p);
    if (arr) arr.push(k);
    else byPrefix.set(p, [k]);
  }
  const out: string[] = [];
  for (const [prefix, keys] of byPrefix) {
    const seen = inputs[prefix];
    if (!seen) {
      out.push(...keys);
      continue;
    }
    const below = keys.filter((k) => k <= seen.maxKey);
    if (below.length === seen.count) out.push(...keys.filter((k) => k > seen.maxKey));
    else out.push(...keys);
  }
  return out.sort();
}

/** The `inputs` record describing a set of listed keys. */
export function describeInputs(listed: readonly string[]): SilverState['inputs'] {
  const out: SilverState['inputs'] = {};
  for (const k of [...listed].sort()) {
    const p = partitionPrefixOf(k);
    const cur = out[p];
    out[p] = { count: (cur?.count ?? 0) + 1, maxKey: k };
  }
  return out;
}
