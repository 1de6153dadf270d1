import { createHash } from 'node:crypto';
import pLimit from 'p-limit';
import type { Logger } from '../obs/logger.js';
import { layout, parsePartitionKey } from '../storage/layout.js';
import type { ObjectInfo, ObjectStore } from '../storage/object-store.js';
import { StagedStore } from '../storage/staged-store.js';
import { failpoint } from './failpoint.js';
import { refreshKeyIndex } from './key-index.js';
import type { LatestPointer, PublishInput } from './publish.js';
import { refreshVerified } from './verified-index.js';

/** What a run stages instead of writing in place: Silver, Gold and the transform's own state. */
export const STAGED_PREFIXES = ['silver/', 'gold/', '_state/transform/'] as const;

/** How long the staging of a run that did not publish is kept for inspection. */
export const STAGING_RETENTION_MS = 7 * 86_400_000;

/**
 * `_state/publish/<run_id>.json`: written before the first partition moves; a run that finds it
 * `promoting` finishes it (every step is idempotent) before doing anything else.
 */
export interface PromoteJournal {
  readonly version: 1;
  readonly run_id: string;
  readonly status: 'promoting' | 'promoted';
  readonly created_at: string;
  readonly finished_at?: string;
  /** Staged key -> published key: partitions first, then the transform state files. */
  readonly moves: readonly { from: string; to: string }[];
  /** Published partitions the run removes (a Gold day without rows any more), after the pointers. */
  readonly deletes: readonly string[];
  /** Table prefixes whose published-partition record is refreshed (besides those moved into). */
  readonly recorded_prefixes: readonly string[];
  readonly pointers: readonly LatestPointer[];
}

/** `_state/publish/_partitions.json`: each published partition as the promote left it. */
export interface PublishedRecord {
  readonly version: 1;
  readonly updated_at: string;
  readonly partitions: Record<string, PartitionRecord>;
}

/** S3: size and ETag. Local: size, mtime (a shortcut) and SHA-256 (a copy changes the mtime only). */
export interface PartitionRecord {
  size: number;
  etag?: string;
  mtime_ms?: number;
  sha256?: string;
}

/**
 * A run's staged view of the lake (see `StagedStore`). Anything already under this run id's
 * staging belongs to an earlier failed run that reused the id: removed first.
 */
export async function openRunView(store: ObjectStore, runId: string): Promise<StagedStore> {
  for (const o of await store.list(layout.staging(runId))) await store.delete(o.key);
  return StagedStore.open(store, layout.staging(runId), STAGED_PREFIXES);
}

/** The promote's counts, for the manifest. */
export interface PromoteReport {
  partitions: number;
  state_files: number;
  deleted: number;
  pointers: LatestPointer[];
}

/**
 * Publishes a run whose checks passed: writes the journal, then applies it (`applyJournal`).
 * Refuses (before writing anything) a pointer naming a key the view does not hold.
 */
export async function promote(opts: {
  view: StagedStore;
  runId: string;
  pointers: readonly PublishInput[];
  /** Table prefixes to re-record although nothing moved there (healed partitions not rebuilt). */
  recordPrefixes?: readonly string[];
  logger: Logger;
}): Promise<PromoteReport> {
  const { view, runId } = opts;
  for (const m of opts.pointers) {
    const present = new Set((await view.list(layout.goldModelPrefix(m.model))).map((o) => o.key));
    const missing = m.keys.filter((k) => !present.has(k));
    if (missing.length > 0) throw new Error(`cannot publish ${m.model}: ${missing[0]} does not exist`);
  }
  const { moves, deletes } = view.changes();
  const isState = (k: string) => k.startsWith('_state/');
  const now = new Date().toISOString();
  const journal: PromoteJournal = {
    version: 1,
    run_id: runId,
    status: 'promoting',
    created_at: now,
    // partitions before the state that says they are built
    moves: [...moves.filter((m) => !isState(m.to)), ...moves.filter((m) => isState(m.to))],
    deletes,
    recorded_prefixes: [...(opts.recordPrefixes ?? [])],
    pointers: opts.pointers.map((p) => ({ ...p, run_id: runId, updated_at: now })),
  };
  await view.base.put(layout.publishJournal(runId), `${JSON.stringify(journal)}\n`);
  failpoint('promote.journal');
  await applyJournal(view.base, journal, opts.logger);
  return {
    partitions: journal.moves.filter((m) => !isState(m.to)).length,
    state_files: journal.moves.filter((m) => isState(m.to)).length,
    deleted: deletes.length,
    pointers: [...journal.pointers],
  };
}

/**
 * The promote itself, idempotent at every step so a crash anywhere is finished by running it
 * again: (1) each staged partition moves to its published key (a move whose source is gone was
 * done); (2) the published-partition record is refreshed from a listing of the tables touched;
 * (3) the transform state moves, so the Bronze the run consumed counts as built only now;
 * (4) the `_latest` pointers move, naming only keys that exist since (1); (5) partitions the run
 * removed are deleted, after no pointer names them; (6) what is left of the staging goes and the
 * journal says `promoted`.
 */
export async function applyJournal(store: ObjectStore, j: PromoteJournal, logger: Logger): Promise<void> {
  const isState = (k: string) => k.startsWith('_state/');
  // On S3 a move is a server-side copy (the sources go in batches after): 32 at a time, where 8
  // spent 5.3 s on a 50-day first load's 782 partitions against Ceph here
  await store.moveMany(
    j.moves.filter((m) => !isState(m.to)),
    { concurrency: 32, onMoved: () => failpoint('promote.move') },
  );
  const listed = await recordPublished(store, j);
  // the partitions moved keep the verification quality gave them as staged
  const moved = new Set(j.moves.map((m) => m.to));
  const movedInfo = new Map([...listed].filter(([k]) => moved.has(k)));
  await refreshVerified(store, movedInfo);
  await refreshKeyIndex(store, j.run_id, movedInfo);
  failpoint('promote.recorded');
  // independent of each other (one per table and model): at once, not 2.3 s of one after another
  await store.moveMany(
    j.moves.filter((m) => isState(m.to)),
    { concurrency: 32 },
  );
  failpoint('promote.state');
  for (const p of j.pointers)
    await store.put(layout.latestPointer(p.model), `${JSON.stringify(p, null, 2)}\n`);
  failpoint('promote.pointers');
  for (const k of j.deletes) await store.delete(k);
  for (const o of await store.list(layout.staging(j.run_id))) await store.delete(o.key);
  await store.put(
    layout.publishJournal(j.run_id),
    `${JSON.stringify({ ...j, status: 'promoted', finished_at: new Date().toISOString() })}\n`,
  );
  failpoint('promote.done');
  logger.debug({ run: j.run_id, moves: j.moves.length, deletes: j.deletes.length }, 'promoted');
}

/** The table prefix (`silver/…/entity=x/`, `gold/model=y/`) of a partition key, if it is one. */
function tablePrefix(key: string): string | undefined {
  const p = parsePartitionKey(key);
  if (!p) return undefined;
  return p.layer === 'silver' ? layout.silverEntityPrefix(p.table) : layout.goldModelPrefix(p.table);
}

export async function loadPublishedRecord(store: ObjectStore): Promise<PublishedRecord | undefined> {
  const body = await store.get(layout.publishedRecord());
  if (!body) return undefined;
  const parsed = JSON.parse(Buffer.from(body).toString('utf8')) as PublishedRecord;
  return parsed.version === 1 ? parsed : undefined;
}

async function sha256Of(store: ObjectStore, key: string): Promise<string | undefined> {
  const body = await store.get(key);
  return body ? createHash('sha256').update(body).digest('hex') : undefined;
}

/** The record of a listed object, hashing a local one only when size or mtime moved. */
async function recordOf(
  store: ObjectStore,
  o: ObjectInfo,
  previous: PartitionRecord | undefined,
): Promise<PartitionRecord> {
  if (o.etag) return { size: o.size, etag: o.etag };
  const same = previous?.size === o.size && previous.mtime_ms === o.modifiedMs && previous.sha256;
  const sha256 = same ? previous.sha256 : await sha256Of(store, o.key);
  return { size: o.size, mtime_ms: o.modifiedMs, ...(sha256 ? { sha256 } : {}) };
}

/**
 * Re-records every table the journal touched from one listing of its prefix (the first time, the
 * whole of `silver/` and `gold/`): after a move the store decides the mtime/ETag, so the record
 * is taken from what it lists, never from what was written.
 */
async function recordPublished(store: ObjectStore, j: PromoteJournal): Promise<Map<string, ObjectInfo>> {
  const previous = await loadPublishedRecord(store);
  const prefixes = previous
    ? [
        ...new Set(
          [...j.moves.map((m) => m.to), ...j.deletes]
            .map(tablePrefix)
            .filter((p): p is string => p !== undefined)
            .concat(j.recorded_prefixes),
        ),
      ]
    : ['silver/', 'gold/'];
  const listed = new Map<string, ObjectInfo>();
  if (prefixes.length === 0 && previous) return listed;
  const removed = new Set(j.deletes);
  const old = previous?.partitions ?? {};
  const partitions = { ...old };
  // a first record hashes every local partition (9,000 files at 100k charges): reads side by side
  const limit = pLimit(8);
  for (const prefix of prefixes) {
    for (const k of Object.keys(partitions)) if (k.startsWith(prefix)) delete partitions[k];
    const objs = (await store.list(prefix)).filter((o) => parsePartitionKey(o.key) && !removed.has(o.key));
    const records = await Promise.all(objs.map((o) => limit(() => recordOf(store, o, old[o.key]))));
    for (const [i, o] of objs.entries()) {
      partitions[o.key] = records[i]!;
      listed.set(o.key, o);
    }
  }
  const record: PublishedRecord = { version: 1, updated_at: new Date().toISOString(), partitions };
  await store.put(layout.publishedRecord(), `${JSON.stringify(record)}\n`);
  return listed;
}

/**
 * Finishes every promote a killed run left half done (journal `promoting`), oldest first.
 * Returns the run ids rolled forward.
 */
export async function rollForward(store: ObjectStore, logger: Logger): Promise<string[]> {
  const journals = (await store.list(layout.publishJournalPrefix())).filter(
    (o) => o.key.endsWith('.json') && o.key !== layout.publishedRecord(),
  );
  const pending: PromoteJournal[] = [];
  for (const o of journals) {
    const body = await store.get(o.key);
    if (!body) continue;
    const j = JSON.parse(Buffer.from(body).toString('utf8')) as PromoteJournal;
    if (j.status === 'promoting') pending.push(j);
  }
  pending.sort((a, b) => (a.created_at < b.created_at ? -1 : a.created_at > b.created_at ? 1 : 0));
  for (const j of pending) {
    logger.warn({ promoted_run: j.run_id }, `finishing the interrupted promote of run ${j.run_id}`);
    await applyJournal(store, j, logger);
  }
  return pending.map((j) => j.run_id);
}

/** One run's staging: objects, bytes, newest write (ms). */
export interface StagingInfo {
  run_id: string;
  objects: number;
  bytes: number;
  newest_ms: number;
}

/** Every run's staging, from one listing of `_staging/`. */
export async function listStagings(store: ObjectStore): Promise<StagingInfo[]> {
  const byRun = new Map<string, StagingInfo>();
  for (const o of await store.list(layout.stagingRoot())) {
    const m = /^_staging\/run_id=([^/]+)\//.exec(o.key);
    if (!m) continue;
    const s = byRun.get(m[1]!) ?? { run_id: m[1]!, objects: 0, bytes: 0, newest_ms: 0 };
    s.objects++;
    s.bytes += o.size;
    s.newest_ms = Math.max(s.newest_ms, o.modifiedMs);
    byRun.set(s.run_id, s);
  }
  return [...byRun.values()].sort((a, b) => a.newest_ms - b.newest_ms);
}

/** Removes the staging of runs last written more than `retentionMs` ago; returns their run ids. */
export async function sweepStagings(
  store: ObjectStore,
  opts: { now: number; retentionMs?: number; keep: string },
): Promise<string[]> {
  const old = (await listStagings(store)).filter(
    (s) => s.run_id !== opts.keep && opts.now - s.newest_ms > (opts.retentionMs ?? STAGING_RETENTION_MS),
  );
  for (const s of old) for (const o of await store.list(layout.staging(s.run_id))) await store.delete(o.key);
  return old.map((s) => s.run_id);
}

/** A published partition that no longer matches the record. */
export interface Damage {
  key: string;
  reason: 'missing' | 'size' | 'changed';
}

/**
 * Published partitions missing or different from the record, from one listing of `silver/` and
 * one of `gold/`: a different size, a different ETag (S3), or locally a different mtime and
 * content (a copied or restored file has a new mtime but the same bytes: not damage, but its
 * table goes into `stale`, to be re-recorded so it is not hashed again).
 */
export async function findDamage(store: ObjectStore): Promise<{ damage: Damage[]; stale: string[] }> {
  const record = await loadPublishedRecord(store);
  if (!record) return { damage: [], stale: [] };
  const listed = new Map<string, ObjectInfo>();
  for (const prefix of ['silver/', 'gold/']) for (const o of await store.list(prefix)) listed.set(o.key, o);
  const damage: Damage[] = [];
  const stale = new Set<string>();
  for (const [key, rec] of Object.entries(record.partitions)) {
    const o = listed.get(key);
    if (!o) damage.push({ key, reason: 'missing' });
    else if (o.size !== rec.size) damage.push({ key, reason: 'size' });
    else if (rec.etag !== undefined || o.etag !== undefined) {
      if (o.etag !== rec.etag) damage.push({ key, reason: 'changed' });
    } else if (o.modifiedMs !== rec.mtime_ms) {
      if (rec.sha256 === undefined || (await sha256Of(store, key)) !== rec.sha256)
        damage.push({ key, reason: 'changed' });
      else stale.add(tablePrefix(key)!);
    }
  }
  return { damage: damage.sort((a, b) => (a.key < b.key ? -1 : 1)), stale: [...stale].sort() };
}

/** What a transforming run starts from: its staged view, and what it must heal. */
export interface StagedRun {
  readonly view: StagedStore;
  /** Runs whose staging passed the retention and was removed. */
  readonly expired: string[];
  /** Published partitions missing or changed since their promote. */
  readonly damage: Damage[];
  /** The damaged partitions as dts per Silver table and Gold model. */
  readonly rebuild: { silver: Record<string, string[]>; gold: Record<string, string[]> };
  /** Table prefixes the promote must re-record (healed, or copied with the same bytes). */
  readonly recordPrefixes: string[];
}

/**
 * Opens a run's staged view, removes stagings past retention and finds the damage to heal (one
 * listing of `_staging/`, one of `silver/`, one of `gold/`).
 */
export async function prepareStagedRun(store: ObjectStore, runId: string, now: number): Promise<StagedRun> {
  const view = await openRunView(store, runId);
  const expired = await sweepStagings(store, { now, keep: runId });
  const found = await findDamage(store);
  const plan = rebuildPlanOf(found.damage.map((d) => d.key));
  return {
    view,
    expired,
    damage: found.damage,
    rebuild: { silver: plan.silver, gold: plan.gold },
    recordPrefixes: [...new Set([...found.stale, ...plan.prefixes])],
  };
}

/** Damaged keys as dts to rebuild per Silver table and per Gold model. */
export function rebuildPlanOf(keys: readonly string[]): {
  silver: Record<string, string[]>;
  gold: Record<string, string[]>;
  prefixes: string[];
} {
  const silver: Record<string, string[]> = {};
  const gold: Record<string, string[]> = {};
  const prefixes = new Set<string>();
  for (const k of keys) {
    const p = parsePartitionKey(k);
    if (!p) continue;
    const into = p.layer === 'silver' ? silver : gold;
    into[p.table] = [...(into[p.table] ?? []), p.dt];
    prefixes.add(tablePrefix(k)!);
  }
  return { silver, gold, prefixes: [...prefixes].sort() };
}
