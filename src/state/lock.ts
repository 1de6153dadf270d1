import { hostname } from 'node:os';
import type { ErrorKind } from '../errors.js';
import type { Logger } from '../obs/logger.js';
import { layout } from '../storage/layout.js';
import type { ObjectStore } from '../storage/object-store.js';
import { processAlive } from '../storage/scratch-dir.js';

/** Who holds the run lock, as stored in `_state/lock.json`. */
export interface LockHolder {
  readonly host: string;
  readonly pid: number;
  readonly run_id: string;
  readonly command: string;
  readonly acquired_at: string;
  /** Unix milliseconds after which the lock may be taken over. */
  readonly expires_at_ms: number;
}

/** Another run holds the lock; the CLI exits 3 and names the holder. */
export class LockHeldError extends Error {
  override readonly name = 'LockHeldError';
  readonly kind: ErrorKind = 'locked';
  constructor(readonly holder: LockHolder) {
    super(
      `another run holds the lock: run_id=${holder.run_id} command=${holder.command} host=${holder.host} pid=${holder.pid} ` +
        `(since ${holder.acquired_at}, lease until ${new Date(holder.expires_at_ms).toISOString()})`,
    );
  }
}

/** This run no longer holds the lock (another run took it over): it must not write anything more. */
export class LockLostError extends Error {
  override readonly name = 'LockLostError';
  readonly kind: ErrorKind = 'failed';
}

export interface RunLock {
  readonly holder: LockHolder;
  /** The stale holder this run took the lock over from (a killed or expired run), if any. */
  readonly tookOverFrom: LockHolder | undefined;
  /** Aborted (with a {@link LockLostError}) when a renewal finds the lock is no longer this run's. */
  readonly lost: AbortSignal;
  /** Throws {@link LockLostError} once the lock is lost. */
  assertHeld(): void;
  release(): Promise<void>;
}

export interface LockOptions {
  store: ObjectStore;
  runId: string;
  command: string;
  logger: Logger;
  /** Lease length; renewed every third of it while the run lives. */
  leaseMs?: number;
  /** Injected for tests. */
  now?: () => number;
  isProcessAlive?: (pid: number) => boolean;
  host?: string;
}

/**
 * Whether a stored lock may be taken over: its lease ran out, or its holder ran on this host and
 * its process is gone (a killed run must not block the next one for the lease's length).
 */
export function isStale(
  holder: LockHolder,
  nowMs: number,
  host: string,
  alive: (pid: number) => boolean,
): boolean {
  if (holder.expires_at_ms <= nowMs) return true;
  return holder.host === host && holder.pid !== process.pid && !alive(holder.pid);
}

/**
 * Takes the one-run-per-data-root lock, or throws `LockHeldError`. Creation is `putIfAbsent`; a
 * stale lock is taken over through a second `putIfAbsent` on a key named after the stale holder's
 * run id, so that of several runs racing for the same stale lock exactly one wins.
 */
export async function acquireLock(opts: LockOptions): Promise<RunLock> {
  const { store, logger } = opts;
  const now = opts.now ?? Date.now;
  const host = opts.host ?? hostname();
  const alive = opts.isProcessAlive ?? processAlive;
  const leaseMs = opts.leaseMs ?? 120_000;
  const key = layout.lock();
  const makeHolder = (): LockHolder => ({
    host,
    pid: process.pid,
    run_id: opts.runId,
    command: opts.command,
    acquired_at: new Date(now()).toISOString(),
    expires_at_ms: now() + leaseMs,
  });

  let holder = makeHolder();
  let tookOverFrom: LockHolder | undefined;
  let version: string | undefined;
  if (await store.putIfAbsent(key, JSON.stringify(holder))) {
    version = (await store.getVersioned(key))?.version;
  } else {
    const seen = await store.getVersioned(key);
    const current = seen ? parseHolder(seen.body) : undefined;
    if (current && !isStale(current, now(), host, alive)) throw new LockHeldError(current);
    const staleId = current?.run_id ?? 'unreadable';
    // The claim names this very stale lock (its run id and lease, or for an unreadable one the
    // object's time): a claim named by run id alone outlives the takeover, and the next stale
    // lock with that id ("unreadable", a reused RUN_ID) could then never be taken over.
    const stamp =
      current && current.expires_at_ms > 0
        ? current.expires_at_ms
        : Math.round((await store.head(key))?.modifiedMs ?? 0);
    const won = await store.putIfAbsent(
      `_state/lock-takeover/${staleId}-${stamp}.json`,
      JSON.stringify(holder),
    );
    holder = makeHolder();
    // Replace exactly the stale lock that was read: a racer that finished its takeover (or a
    // holder that renewed) in between changed its version, and then this run is the one to wait.
    version = won && seen ? await store.putIfVersion(key, JSON.stringify(holder), seen.version) : undefined;
    if (!version && won && !seen) {
      version = (await store.putIfAbsent(key, JSON.stringify(holder)))
        ? (await store.getVersioned(key))?.version
        : undefined;
    }
    if (!version) {
      const again = await readHolder(store, key);
      throw new LockHeldError(again ?? current ?? holder);
    }
    logger.warn({ stale_holder: current }, 'taking over a stale run lock');
    tookOverFrom = current;
  }

  const lostCtl = new AbortController();
  const lose = (why: string) => {
    if (lostCtl.signal.aborted) return;
    clearInterval(timer);
    logger.error({ holder: opts.runId }, `run lock lost: ${why}; this run stops writing`);
    lostCtl.abort(new LockLostError(`run lock lost: ${why}`));
  };
  // Renewal is a compare-and-swap on the version this run wrote last: after a takeover the
  // stale holder's renewal fails (and it stops) instead of overwriting the new holder's lock.
  let renewing = false;
  const renew = async () => {
    if (renewing || lostCtl.signal.aborted) return;
    renewing = true;
    try {
      const next = { ...holder, expires_at_ms: now() + leaseMs };
      const v = version ? await store.putIfVersion(key, JSON.stringify(next), version) : undefined;
      if (v) {
        holder = next;
        version = v;
      } else {
        const other = await readHolder(store, key).catch(() => undefined);
        lose(
          other
            ? `now held by run_id=${other.run_id} host=${other.host} pid=${other.pid}`
            : 'the lock object is gone',
        );
      }
    } catch (err) {
      logger.error({ err }, 'could not renew the run lock');
      // Past its own lease another run may take over: behave as if that happened.
      if (now() >= holder.expires_at_ms) lose('its lease ran out before it could be renewed');
    } finally {
      renewing = false;
    }
  };
  const timer = setInterval(() => void renew(), Math.max(1000, Math.floor(leaseMs / 3)));
  timer.unref();

  return {
    get holder() {
      return holder;
    },
    tookOverFrom,
    lost: lostCtl.signal,
    assertHeld() {
      lostCtl.signal.throwIfAborted();
    },
    async release() {
      clearInterval(timer);
      if (lostCtl.signal.aborted) return;
      const current = await store.getVersioned(key);
      if (current && current.version === version) await store.delete(key);
    },
  };
}

/**
 * The store as a run may write it while it holds the lock: every write first checks that the lock
 * is still held, so a run that lost it stops before writing anything more (SPEC 15).
 */
export function fenceStore(store: ObjectStore, lock: Pick<RunLock, 'assertHeld'>): ObjectStore {
  const guard =
    <A extends unknown[], R>(fn: (...a: A) => Promise<R>) =>
    async (...a: A): Promise<R> => {
      lock.assertHeld();
      return fn(...a);
    };
  return {
    root: store.root,
    ...(store.localRoot !== undefined ? { localRoot: store.localRoot } : {}),
    listCost: store.listCost,
    put: guard(store.put.bind(store)),
    putStream: guard(store.putStream.bind(store)),
    putFile: guard(store.putFile.bind(store)),
    putIfAbsent: guard(store.putIfAbsent.bind(store)),
    putIfVersion: guard(store.putIfVersion.bind(store)),
    delete: guard(store.delete.bind(store)),
    move: guard(store.move.bind(store)),
    // the lock checked before the first move and after each (the rest are not started once lost)
    moveMany: guard((pairs, opts) =>
      store.moveMany(pairs, {
        ...opts,
        onMoved: () => {
          lock.assertHeld();
          opts?.onMoved?.();
        },
      }),
    ),
    get: store.get.bind(store),
    getVersioned: store.getVersioned.bind(store),
    getToFile: store.getToFile.bind(store),
    list: store.list.bind(store),
    head: store.head.bind(store),
  };
}

async function readHolder(store: ObjectStore, key: string): Promise<LockHolder | undefined> {
  const bytes = await store.get(key);
  return bytes ? parseHolder(bytes) : undefined;
}

function parseHolder(bytes: Uint8Array): LockHolder {
  try {
    return JSON.parse(Buffer.from(bytes).toString('utf8')) as LockHolder;
  } catch {
    // An unreadable lock is treated as stale (expired) so that it never blocks forever.
    return { host: '?', pid: 0, run_id: 'unreadable', command: '?', acquired_at: '?', expires_at_ms: 0 };
  }
}
