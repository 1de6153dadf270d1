import { layout } from '../storage/layout.js';
import type { ObjectStore } from '../storage/object-store.js';
import { readJsonObject } from '../storage/read-json.js';

/** `_state/manifests/_latest/<gold_model>.json` (SPEC section 10). */
export interface LatestPointer {
  model: string;
  run_id: string;
  keys: string[];
  row_count: number;
  /** Unix seconds of the newest business timestamp in the model, or null when empty. */
  max_business_ts: number | null;
  updated_at: string;
}

export interface PublishInput {
  model: string;
  keys: string[];
  row_count: number;
  max_business_ts: number | null;
}

/**
 * Moves the `_latest` pointers. Call only when every error-severity check passed: a failed run
 * must leave the previous pointers in place. Refuses to publish a key that does not exist, so a
 * pointer never names a missing object.
 */
export async function publishLatest(
  store: ObjectStore,
  runId: string,
  models: PublishInput[],
): Promise<LatestPointer[]> {
  const out: LatestPointer[] = [];
  for (const m of models) {
    // One listing per model rather than a HEAD per partition (hundreds of keys on S3).
    const existing = new Set((await store.list(layout.goldModelPrefix(m.model))).map((o) => o.key));
    const missing = m.keys.filter((k) => !existing.has(k));
    if (missing.length > 0) throw new Error(`cannot publish ${m.model}: ${missing[0]} does not exist`);
  }
  for (const m of models) {
    const pointer: LatestPointer = { ...m, run_id: runId, updated_at: new Date().toISOString() };
    await store.put(layout.latestPointer(m.model), `${JSON.stringify(pointer, null, 2)}\n`);
    out.push(pointer);
  }
  return out;
}

export function readLatest(store: ObjectStore, model: string): Promise<LatestPointer | undefined> {
  return readJsonObject<LatestPointer>(store, layout.latestPointer(model));
}
