import { existsSync } from 'node:fs';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMockApi } from '../../src/mock/index.js';
import { LocalObjectStore } from '../../src/storage/local-store.js';
import { runCli } from '../helpers/cli.js';
import { checkLake, startCli } from '../helpers/crash.js';
import { configureMock } from '../helpers/mock-control.js';
import { silverVsTruth } from '../helpers/truth-compare.js';

const NOW = Date.UTC(2024, 5, 15, 12, 0, 0) / 1000;

/**
 * SPEC 15, concurrency: two `run-all`s at once on one data root (one runs, the other exits 3 at
 * once naming the holder, nothing corrupted); a lock left by a SIGKILLed run is taken over at
 * once (its pid is gone); a lock of another host is respected until its lease expires.
 */
describe('run-all concurrency and stale locks', () => {
  let mock: Awaited<ReturnType<typeof startMockApi>>;
  let root: string;
  const env = () => ({
    API_BASE_URL: mock.url,
    API_KEY: 'sk_test_lock',
    LOCAL_DATA_DIR: root,
    // tiny's objects reach ~31 days back (customers and the catalogue's lead before its 3 days)
    DEFAULT_DAYS: '45',
    API_RATE_LIMIT_RPS: '1000',
    LOG_LEVEL: 'info',
  });
  const lockFile = () => join(root, '_state', 'lock.json');
  const healthy = async () => {
    expect(await silverVsTruth(root, mock.url)).toEqual([]);
    expect(
      await checkLake(new LocalObjectStore(root), {
        mockUrl: mock.url,
        until: NOW,
        safetySeconds: 300,
        firstWindowStart: NOW - 30 * 86_400,
      }),
    ).toEqual([]);
  };

  beforeAll(async () => {
    mock = await startMockApi({ preset: 'tiny', now: NOW, port: 0, quiet: true });
    root = await mkdtemp(join(tmpdir(), 'pp-lock-'));
  });
  afterAll(async () => {
    await mock?.close();
  });

  it('two run-alls started together: one runs, the other exits 3 at once naming it', async () => {
    // Slow responses keep the winner busy well past the loser's start-up.
    await configureMock(mock.url, { latency_ms: 30, latency_jitter_ms: 0 });
    try {
      const a = startCli(['run-all', '--run-id', 'twin-a', '--until', String(NOW)], { env: env() });
      const b = startCli(['run-all', '--run-id', 'twin-b', '--until', String(NOW)], { env: env() });
      // When each ended, whether the other was still running (an event, not a clock).
      const otherRunningAtEnd: Record<string, boolean> = {};
      const running = (p: typeof a) => p.child.exitCode === null && p.child.signalCode === null;
      const both = await Promise.all(
        [a, b].map((p, i) =>
          p.done.then((r) => {
            otherRunningAtEnd[i === 0 ? 'twin-a' : 'twin-b'] = running(i === 0 ? b : a);
            return r;
          }),
        ),
      );
      const [ra, rb] = [both[0]!, both[1]!];
      const codes = [ra.code, rb.code].sort();
      expect(codes, `${ra.stderr.slice(-1500)}\n---\n${rb.stderr.slice(-1500)}`).toEqual([0, 3]);
      const [winner, loser] = ra.code === 0 ? ['twin-a', rb] : ['twin-b', ra];
      const loserId = winner === 'twin-a' ? 'twin-b' : 'twin-a';
      expect(loser.stderr).toContain(`run_id=${winner}`);
      expect(otherRunningAtEnd[loserId], 'the loser did not wait for the winner').toBe(true);
      expect(
        existsSync(join(root, '_state/manifests', `run_${loserId}.json`)),
        'the loser wrote nothing',
      ).toBe(false);
      expect(existsSync(lockFile()), 'the winner released the lock').toBe(false);
    } finally {
      await configureMock(mock.url, { latency_ms: 0, latency_jitter_ms: 0 });
    }
    await healthy();
  }, 120_000);

  it('a lock left by a killed run is taken over at once (its process is gone)', async () => {
    await configureMock(mock.url, { latency_ms: 30, latency_jitter_ms: 0 });
    const victim = startCli(['run-all', '--run-id', 'victim', '--until', String(NOW)], { env: env() });
    victim.onLine((_l, log) => {
      if (typeof log?.msg === 'string' && log.msg.startsWith('run victim started'))
        victim.child.kill('SIGKILL');
    });
    const killed = await victim.done;
    await configureMock(mock.url, { latency_ms: 0, latency_jitter_ms: 0 });
    expect(killed.signal).toBe('SIGKILL');
    const stale = JSON.parse(await readFile(lockFile(), 'utf8'));
    expect(stale.run_id).toBe('victim');
    const next = await runCli(['run-all', '--run-id', 'after-victim', '--until', String(NOW)], {
      env: env(),
    });
    expect(next.code, next.stderr.slice(-2000)).toBe(0);
    expect(next.stderr).toContain('taking over a stale run lock');
    // Inside the victim's lease: nothing waited for it to expire (the lease, not a test clock).
    const took = JSON.parse(await readFile(join(root, '_state/manifests/run_after-victim.json'), 'utf8'));
    expect(Date.parse(took.started_at)).toBeLessThan(stale.expires_at_ms);
    expect(existsSync(lockFile())).toBe(false);
    await healthy();
  }, 120_000);

  it("another host's lock blocks until its lease expires, then is taken over", async () => {
    const foreign = (expiresAtMs: number) =>
      JSON.stringify({
        host: `not-${hostname()}`,
        pid: 1,
        run_id: 'elsewhere',
        command: 'run-all',
        acquired_at: new Date().toISOString(),
        expires_at_ms: expiresAtMs,
      });
    await writeFile(lockFile(), foreign(Date.now() + 60_000));
    const blocked = await runCli(['run-all', '--run-id', 'blocked', '--until', String(NOW)], { env: env() });
    expect(blocked.code).toBe(3);
    expect(blocked.stderr).toContain('run_id=elsewhere');
    expect(JSON.parse(await readFile(lockFile(), 'utf8')).run_id, 'the lock was left alone').toBe(
      'elsewhere',
    );

    await writeFile(lockFile(), foreign(Date.now() - 1000));
    const after = await runCli(['run-all', '--run-id', 'after-expiry', '--until', String(NOW)], {
      env: env(),
    });
    expect(after.code, after.stderr.slice(-2000)).toBe(0);
    expect(after.stderr).toContain('taking over a stale run lock');
    await healthy();
  }, 120_000);

  it('an unreadable lock is taken over, and so is the next one', async () => {
    for (const runId of ['after-garbage-1', 'after-garbage-2']) {
      await writeFile(lockFile(), '{"host": "half-writ');
      const r = await runCli(['run-all', '--run-id', runId, '--until', String(NOW)], { env: env() });
      expect(r.code, `${runId}: ${r.stderr.slice(-2000)}`).toBe(0);
      expect(existsSync(lockFile())).toBe(false);
    }
    await healthy();
  }, 120_000);
});
