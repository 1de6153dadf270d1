import { listRunIds, readManifest } from '../state/manifest.js';
import { fingerprintOf, type VerifiedIndex } from '../state/verified-index.js';
import { layout } from '../storage/layout.js';
import type { ObjectInfo, ObjectStore } from '../storage/object-store.js';
import type { QualityScope } from './types.js';

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

/**
 * Whether an object counts as changed for `scope: 'changed'`: written at or after `since` and not
 * the object a passing run verified (same key and fingerprint). Undefined `since`: everything.
 */
export function isChanged(
  o: Pick<ObjectInfo, 'key' | 'size' | 'modifiedMs' | 'etag'>,
  since: number | undefined,
  verified?: VerifiedIndex,
): boolean {
  if (since === undefined) return true;
  return o.modifiedMs >= since && verified?.get(o.key) !== fingerprintOf(o);
}

/** The partitions (dt) to check: those with a Silver or Bronze object that changed (`isChanged`). */
export function changedDts(
  objects: readonly Pick<ObjectInfo, 'key' | 'size' | 'modifiedMs' | 'etag'>[],
  since: number | undefined,
  dtOf: (key: string) => string | undefined,
  verified?: VerifiedIndex,
): Set<string> {
  const out = new Set<string>();
  for (const o of objects) {
    if (!isChanged(o, since, verified)) continue;
    const dt = dtOf(o.key);
    if (dt) out.add(dt);
  }
  return out;
}

/** What `_state/quality/full_scope.json` records: the last run whose scope-`all` checks passed. */
export interface FullScopeRecord {
  readonly run_id: string;
  /** That run's end time (`until`), Unix seconds. */
  readonly until: number;
}

/** Records that `runId`'s checks of everything passed. */
export async function recordFullScope(store: ObjectStore, runId: string, until: number): Promise<void> {
  const record: FullScopeRecord = { run_id: runId, until };
  await store.put(layout.qualityFullScope(), `${JSON.stringify(record)}\n`);
}

/**
 * The scope a `run-all` checks with when none is asked for: `all` when no run's checks of
 * everything passed within `days` days before `until` (0: every run), else `changed`. The changed
 * scope trusts what earlier runs checked; this periodic full scope is what finds a defect planted
 * in a partition no run touches any more. Clocks are the runs' `until`, so a replayed history
 * (a frozen source clock) decides as a live one.
 */
export async function scopeDue(store: ObjectStore, until: number, days: number): Promise<QualityScope> {
  if (days === 0) return 'all';
  const body = await store.get(layout.qualityFullScope());
  if (!body) return 'all';
  let last: number | undefined;
  try {
    last = (JSON.parse(Buffer.from(body).toString('utf8')) as Partial<FullScopeRecord>).until;
  } catch {
    last = undefined;
  }
  // an unreadable record only costs one full check, which writes a good one
  if (typeof last !== 'number' || !Number.isFinite(last)) return 'all';
  return until - last >= days * 86_400 ? 'all' : 'changed';
}
