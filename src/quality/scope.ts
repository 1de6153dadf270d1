import { listRunIds, readManifest } from '../state/manifest.js';
import type { ObjectStore } from '../storage/object-store.js';

/** Clock skew allowed between the store's modification times and the run manifests' clock. */
export const CUTOFF_MARGIN_MS = 10 * 60 * 1000;

/** How far back `listRunIds` is followed looking for the previous passing quality run. */
const MAX_MANIFESTS_READ = 50;

/**
 * The time (ms) after which a partition counts as changed for `scope: 'changed'`: the start of the
 * newest other run whose quality passed, minus a margin. Its own transform wrote before its
 * quality ran, so anything written since its start is rechecked (conservative: rereading is safe,
 * missing a change is not). Undefined when no run passed quality yet: everything is checked.
 */
export async function changedSince(store: ObjectStore, currentRunId: string): Promise<number | undefined> {
  const ids = (await listRunIds(store)).filter((id) => id !== currentRunId).slice(0, MAX_MANIFESTS_READ);
  for (const id of ids) {
    const m = await readManifest(store, id).catch(() => undefined);
    if (m?.quality?.passed === true) {
      const started = Date.parse(m.started_at);
      if (Number.isFinite(started)) return started - CUTOFF_MARGIN_MS;
    }
  }
  return undefined;
}

/** The partitions (dt) to check: those whose Silver or Bronze was written at or after `since`. */
export function changedDts(
  objects: readonly { key: string; modifiedMs: number }[],
  since: number | undefined,
  dtOf: (key: string) => string | undefined,
): Set<string> {
  const out = new Set<string>();
  for (const o of objects) {
    if (since !== undefined && o.modifiedMs < since) continue;
    const dt = dtOf(o.key);
    if (dt) out.add(dt);
  }
  return out;
}
