import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../obs/logger.js';
import { LocalObjectStore } from '../storage/local-store.js';
import { acquireLock, fenceStore, isStale, LockHeldError, type LockHolder, LockLostError } from './lock.js';

const logger = silentLogger();
const tempStore = async () => new LocalObjectStore(await mkdtemp(join(tmpdir(), 'pp-lock-')));

describe('run lock', () => {
  it('lets one run in and names the holder to the second', async () => {
    const store = await tempStore();
    const a = await acquireLock({ store, runId: 'run-a', command: 'run-all', logger });
    const err = await acquireLock({ store, runId: 'run-b', command: 'run-all', logger }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(LockHeldError);
    expect((err as LockHeldError).kind).toBe('locked');
    expect((err as Error).message).toContain('run_id=run-a');
    expect((err as Error).message).toContain(`pid=${process.pid}`);
    await a.release();
    const b = await acquireLock({ store, runId: 'run-b', command: 'run-all', logger });
    expect(b.holder.run_id).toBe('run-b');
    await b.release();
    expect(await store.get('_state/lock.json')).toBeUndefined();
  });

  it('fences many moves: the lock is checked before the first and after each', async () => {
    const store = await tempStore();
    const pairs = [1, 2, 3].map((n) => ({ from: `s/${n}`, to: `p/${n}` }));
    for (const p of pairs) await store.put(p.from, p.to);
    let checks = 0;
    const fenced = fenceStore(store, {
      assertHeld: () => {
        // held for the check before the first move and the one after it, lost at the next
        if (++checks > 2) throw new Error('lock lost');
      },
    });
    await expect(fenced.moveMany(pairs, { concurrency: 1 })).rejects.toThrow('lock lost');
    expect(checks).toBe(3);
    expect((await store.list('p/')).map((o) => o.key)).toEqual(['p/1', 'p/2']);
    expect(await store.get('s/3')).toBeDefined();
  });

  it('takes over a lock whose lease expired, exactly once among racers', async () => {
    const store = await tempStore();
    let t = 1_000_000;
    const now = () => t;
    await acquireLock({
      store,
      runId: 'dead',
      command: 'run-all',
      logger,
      now,
      leaseMs: 1000,
      host: 'other-host',
    });
    t += 5000;
    const results = await Promise.allSettled(
      ['x', 'y', 'z'].map((id) =>
        acquireLock({ store, runId: id, command: 'run-all', logger, now, host: 'h2' }),
      ),
    );
    const won = results.filter((r) => r.status === 'fulfilled');
    expect(won).toHaveLength(1);
    expect(
      results
        .filter((r) => r.status === 'rejected')
        .every((r) => (r as PromiseRejectedResult).reason instanceof LockHeldError),
    ).toBe(true);
  });

  it('takes over at once a lock left by a dead process on this host', async () => {
    const store = await tempStore();
    const holder: LockHolder = {
      host: 'me',
      pid: 999_999,
      run_id: 'killed',
      command: 'run-all',
      acquired_at: new Date().toISOString(),
      expires_at_ms: Date.now() + 3_600_000,
    };
    await store.put('_state/lock.json', JSON.stringify(holder));
    const lock = await acquireLock({
      store,
      runId: 'next',
      command: 'run-all',
      logger,
      host: 'me',
      isProcessAlive: () => false,
    });
    expect(lock.holder.run_id).toBe('next');
    await lock.release();
  });

  it('decides staleness by lease, host and process', () => {
    const h: LockHolder = {
      host: 'a',
      pid: 1,
      run_id: 'r',
      command: 'c',
      acquired_at: '',
      expires_at_ms: 100,
    };
    expect(isStale(h, 101, 'b', () => true)).toBe(true);
    expect(isStale(h, 50, 'b', () => false)).toBe(false);
    expect(isStale(h, 50, 'a', () => false)).toBe(true);
    expect(isStale(h, 50, 'a', () => true)).toBe(false);
  });

  it('takes over a second unreadable lock, and a stale lock whose run id was stale before', async () => {
    const store = await tempStore();
    for (const runId of ['after-1', 'after-2']) {
      await store.put('_state/lock.json', '{"host": "half-writ');
      const lock = await acquireLock({ store, runId, command: 'run-all', logger });
      expect(lock.holder.run_id).toBe(runId);
      await lock.release();
    }
    let t = 1_000_000;
    for (const runId of ['next-1', 'next-2']) {
      // The same (reused) run id goes stale twice, with different leases.
      await acquireLock({
        store,
        runId: 'fixed-id',
        command: 'run-all',
        logger,
        now: () => t,
        leaseMs: 1000,
        host: 'gone',
      });
      t += 5000;
      const lock = await acquireLock({ store, runId, command: 'run-all', logger, now: () => t, host: 'h2' });
      expect(lock.holder.run_id).toBe(runId);
      await lock.release();
    }
  });

  it('renews by compare-and-swap: after a takeover the old holder stops, never overwrites (SPEC 15)', async () => {
    const store = await tempStore();
    let t = 1_000_000;
    const now = () => t;
    // A lease of 3 s renews every second; the new holder's lease is long.
    const a = await acquireLock({
      store,
      runId: 'old',
      command: 'run-all',
      logger,
      now,
      leaseMs: 3000,
      host: 'h1',
    });
    const fenced = fenceStore(store, a);
    await fenced.put('x/before.txt', 'ok');
    t += 10_000; // A's lease ran out (a paused VM, a long GC): B may take over.
    const b = await acquireLock({ store, runId: 'new', command: 'run-all', logger, now, host: 'h2' });
    expect(b.tookOverFrom?.run_id).toBe('old');
    const lost = new Promise((resolve) => a.lost.addEventListener('abort', resolve, { once: true }));
    await lost; // A's next renewal finds B's version
    expect(a.lost.reason).toBeInstanceOf(LockLostError);
    expect(String((a.lost.reason as Error).message)).toContain('run_id=new');
    const held = JSON.parse(Buffer.from((await store.get('_state/lock.json'))!).toString()) as LockHolder;
    expect(held.run_id).toBe('new');
    await expect(fenced.put('x/after.txt', 'no')).rejects.toBeInstanceOf(LockLostError);
    expect(await store.get('x/after.txt')).toBeUndefined();
    // a promote's moves stop too: none starts once the lock is lost
    await store.put('x/staged.txt', 'staged');
    await expect(fenced.moveMany([{ from: 'x/staged.txt', to: 'x/moved.txt' }])).rejects.toBeInstanceOf(
      LockLostError,
    );
    expect(await store.get('x/moved.txt')).toBeUndefined();
    await a.release(); // releasing a lost lock leaves the new holder's alone
    expect(await store.get('_state/lock.json')).toBeDefined();
    await b.release();
    expect(await store.get('_state/lock.json')).toBeUndefined();
  }, 10_000);
});
