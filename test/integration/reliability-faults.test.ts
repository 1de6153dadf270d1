import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMockApi } from '../../src/mock/index.js';
import { LocalObjectStore } from '../../src/storage/local-store.js';
import { runCli } from '../helpers/cli.js';
import { checkLake } from '../helpers/crash.js';
import { advanceMockClock, configureMock } from '../helpers/mock-control.js';
import {
  CHANGES_DEFAULT_DAYS,
  CHANGES_NOW,
  CHANGES_STEP,
  CHANGES_WORLD,
  censusOf,
  silverVsTruth,
} from '../helpers/truth-compare.js';

const NOW = CHANGES_NOW;
const DAY = 86_400;

/**
 * SPEC 15, faults: with 10% of API requests failing (500), the mock's rate limit below the
 * client's (429 + Retry-After) and latency jitter, two `run-all`s a week apart succeed and Silver
 * equals `/_mock/truth` after each: every id, its latest state, deletions as tombstones (the
 * world has deleted customers, disputes, refunds and cancellations: asserted below).
 */
describe('run-all against a faulty, rate-limited, jittery API', () => {
  let mock: Awaited<ReturnType<typeof startMockApi>>;
  let root: string;
  beforeAll(async () => {
    mock = await startMockApi({ ...CHANGES_WORLD, now: NOW, port: 0, quiet: true });
    root = await mkdtemp(join(tmpdir(), 'pp-faults-'));
    await configureMock(mock.url, {
      failure_rate: 0.1,
      rate_limit_rps: 60,
      latency_ms: 10,
      latency_jitter_ms: 40,
    });
  });
  afterAll(async () => {
    await mock?.close();
  });

  const env = () => ({
    API_BASE_URL: mock.url,
    API_KEY: 'sk_test_faults',
    LOCAL_DATA_DIR: root,
    DEFAULT_DAYS: String(CHANGES_DEFAULT_DAYS),
    // Above the mock's limit, so 429s happen; retries per request well above 10% failures.
    API_RATE_LIMIT_RPS: '120',
    LOG_LEVEL: 'warn',
  });

  for (const [day, runId] of [
    [0, 'faults-1'],
    [1, 'faults-2'],
  ] as const) {
    it(`${day === 0 ? 'first load' : 'a week later'}: succeeds through the faults and Silver equals the truth`, async () => {
      if (day > 0) await advanceMockClock(mock.url, CHANGES_STEP);
      const until = NOW + day * CHANGES_STEP;
      const census = await censusOf(mock.url);
      expect(census.deletedCustomers, 'deleted customers').toBeGreaterThan(0);
      expect(census.disputes, 'disputes').toBeGreaterThan(0);
      expect(census.canceledSubscriptions, 'canceled subscriptions').toBeGreaterThan(0);
      const r = await runCli(['run-all', '--run-id', runId, '--until', String(until)], { env: env() });
      expect(r.code, r.stderr.slice(-3000)).toBe(0);
      const manifest = JSON.parse(
        await readFile(join(root, '_state/manifests', `run_${runId}.json`), 'utf8'),
      );
      const retries = Object.values(manifest.extract as Record<string, { retries: number }>).reduce(
        (n, e) => n + e.retries,
        0,
      );
      // the mock fails at least one request in 20 (faults.ts): every run meets faults
      expect(retries, 'the faults were hit and retried').toBeGreaterThan(0);
      expect(manifest.quality.passed).toBe(true);
      expect(await silverVsTruth(root, mock.url)).toEqual([]);
      expect(
        await checkLake(new LocalObjectStore(root), {
          mockUrl: mock.url,
          until,
          safetySeconds: 300,
          firstWindowStart: NOW - CHANGES_DEFAULT_DAYS * DAY,
        }),
      ).toEqual([]);
    }, 120_000);
  }
});
