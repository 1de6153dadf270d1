import { hostname } from 'node:os';
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
  readonly exitCode = 3;
  constructor(readonly holder: LockHolder) {
    super(
      `another run holds the lock: run_id=${holder.run_id} command=${holder.command} host=${holder.host} pid=${holder.pid} ` +
        `(since ${holder.acquired_at}, lease until ${new Date(holder.expires_at_ms).toISOString()})`,
    );
  }
}

export interface RunLock {
  readonly holder: LockHolder;
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
  if (!(await store.putIfAbsent(key, JSON.stringify(holder)))) {
    const current = await readHolder(store, key);
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
    // Re-read: a racer may have finished its takeover between our read and our claim.
    const again = await readHolder(store, key);
    if (!won || (again && again.run_id !== staleId && !isStale(again, now(), host, alive))) {
      throw new LockHeldError(again ?? current ?? holder);
    }
    logger.warn({ stale_holder: current }, 'taking over a stale run lock');
    holder = makeHolder();
    await store.put(key, JSON.stringify(holder));
  }

  const timer = setInterval(
    () => {
      holder = { ...holder, expires_at_ms: now() + leaseMs };
      store.put(key, JSON.stringify(holder)).catch((err: unknown) => {
        logger.error({ err }, 'could not renew the run lock');
      });
    },
    Math.max(1000, Math.floor(leaseMs / 3)),
  );
  timer.unref();

  return {
    get holder() {
      return holder;
    },
    async release() {
      clearInterval(timer);
      const current = await readHolder(store, key);
      if (current?.run_id === opts.runId && current.pid === process.pid) await store.delete(key);
    },
  };
}

async function readHolder(store: ObjectStore, key: string): Promise<LockHolder | undefined> {
  const bytes = await store.get(key);
  if (!bytes) return undefined;
  try {
    return JSON.parse(Buffer.from(bytes).toString('utf8')) as LockHolder;
  } catch {
    // An unreadable lock is treated as stale (expired) so that it never blocks forever.
    return { host: '?', pid: 0, run_id: 'unreadable', command: '?', acquired_at: '?', expires_at_ms: 0 };
  }
}
