import { layout } from '../storage/layout.js';
import type { ObjectInfo, ObjectStore } from '../storage/object-store.js';

/**
 * Bronze, Silver and Gold objects a passing quality run saw, by key: their fingerprint then. An object
 * that still has it was checked by that run, whenever it was written (the previous run's own
 * output, written after its start, need not be checked twice).
 */
export type VerifiedIndex = ReadonlyMap<string, string>;

/**
 * What identifies an object's content without reading it: size and ETag where the store has one
 * (S3 keeps a copied object's ETag, so a promoted partition keeps its fingerprint), else size and
 * modification time (a local rename keeps it).
 */
export const fingerprintOf = (o: Pick<ObjectInfo, 'size' | 'modifiedMs' | 'etag'>): string =>
  `${o.size}:${o.etag ?? o.modifiedMs}`;

/** The objects the last passing quality run recorded (`recordVerified`); empty when none. */
export async function loadVerified(store: ObjectStore): Promise<VerifiedIndex> {
  const body = await store.get(layout.qualityVerified());
  if (!body) return new Map();
  try {
    const parsed = JSON.parse(Buffer.from(body).toString('utf8')) as { objects?: Record<string, string> };
    return new Map(Object.entries(parsed.objects ?? {}).filter(([, v]) => typeof v === 'string'));
  } catch {
    // unreadable: nothing counts as verified, which only costs a wider check
    return new Map();
  }
}

/** Records the objects a passing quality run saw (replacing the previous record). */
export async function recordVerified(
  store: ObjectStore,
  runId: string,
  objects: Iterable<ObjectInfo>,
): Promise<void> {
  const out: Record<string, string> = {};
  for (const o of objects) out[o.key] = fingerprintOf(o);
  await store.put(
    layout.qualityVerified(),
    `${JSON.stringify({ run_id: runId, objects: out })}
`,
  );
}

/**
 * After a promote: the partitions it moved carry their published fingerprint in the record (a
 * move on S3 is a copy, which the store re-times), so the next run sees them as verified. Only
 * keys the record already holds are updated: a key quality did not see stays unverified.
 */
export async function refreshVerified(
  store: ObjectStore,
  published: ReadonlyMap<string, Pick<ObjectInfo, 'size' | 'modifiedMs' | 'etag'>>,
): Promise<void> {
  const body = await store.get(layout.qualityVerified());
  if (!body) return;
  let parsed: { run_id?: string; objects?: Record<string, string> };
  try {
    parsed = JSON.parse(Buffer.from(body).toString('utf8'));
  } catch {
    return;
  }
  const objects = parsed.objects ?? {};
  let changed = false;
  for (const [key, info] of published) {
    if (key in objects) {
      objects[key] = fingerprintOf(info);
      changed = true;
    }
  }
  if (changed) await store.put(layout.qualityVerified(), `${JSON.stringify({ ...parsed, objects })}\n`);
}
