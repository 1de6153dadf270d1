import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startMockApi } from '../../src/mock/index.js';
import { LocalObjectStore } from '../../src/storage/local-store.js';
import { bronzeRecords, newestById } from '../helpers/bronze-truth.js';
import { runCli } from '../helpers/cli.js';
import { truthById } from '../helpers/mock-control.js';

const DAY = 86_400;
const NOW = Date.UTC(2024, 5, 15, 12, 0, 0) / 1000;

describe('an events watermark older than Stripe keeps events', () => {
  let mock: Awaited<ReturnType<typeof startMockApi>> | undefined;
  afterAll(async () => {
    await mock?.close();
  });

  it('re-extracts the entity in full and says why', async () => {
    mock = await startMockApi({ preset: 'tiny', days: 60, now: NOW, port: 0, quiet: true });
    const root = await mkdtemp(join(tmpdir(), 'pp-stale-'));
    const env = {
      API_BASE_URL: mock.url,
      API_KEY: 'sk_test_stale',
      LOCAL_DATA_DIR: root,
      DEFAULT_DAYS: '90',
    };
    const first = await runCli(['extract', '--entity', 'customers', '--until', String(NOW - 40 * DAY)], {
      env,
    });
    expect(first.code, first.stderr).toBe(0);

    const second = await runCli(['extract', '--entity', 'customers', '--until', String(NOW)], { env });
    expect(second.code, second.stderr).toBe(0);
    expect(second.stderr).toMatch(/customers: events watermark .* is older than 30 days/);
    expect(second.stderr).toContain('"mode":"stale"');

    // The full re-read sees every customer as of now, including changes older than 30 days of events.
    const newest = newestById(await bronzeRecords(new LocalObjectStore(root), 'customers'));
    const expected = await truthById(mock.url, 'customers');
    expect([...newest.keys()].sort()).toEqual([...expected.keys()].sort());
    for (const [id, t] of expected) {
      if (t.deleted === true) expect(newest.get(id)?.meta.deleted, id).toBe(true);
      else expect(newest.get(id)?.data, id).toEqual(t);
    }
  });
});
