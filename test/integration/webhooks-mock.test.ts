import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSettings } from '../../src/config/settings.js';
import { type MockApi, startMockApi } from '../../src/mock/index.js';
import { silentLogger } from '../../src/obs/logger.js';
import { LocalObjectStore } from '../../src/storage/local-store.js';
import { type RunningWebhookServer, startWebhookServer } from '../../src/webhooks/server.js';
import { mockControl } from '../helpers/mock-control.js';

/**
 * End to end with the mock API: the mock delivers every event created after webhooks were switched
 * on, signed, some twice and shuffled; the receiver's Bronze then holds exactly the events that
 * `/v1/events` lists for that time, each once.
 */

const SECRET = 'whsec_mock_e2e';
const START = Date.UTC(2026, 0, 10) / 1000;

describe('webhooks from the mock API', () => {
  let dir: string;
  let mock: MockApi;
  let receiver: RunningWebhookServer;
  let store: LocalObjectStore;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'wh-mock-'));
    store = new LocalObjectStore(dir);
    mock = await startMockApi({ preset: 'tiny', now: START, port: 0, quiet: true });
    receiver = await startWebhookServer({
      store,
      settings: parseSettings({ WEBHOOK_SECRET: `whsec_rotated_out,${SECRET}` }),
      logger: silentLogger(),
      runId: 'run-wh-e2e',
      host: '127.0.0.1',
      port: 0,
    });
  });
  afterAll(async () => {
    await mock?.close();
    await receiver?.close();
    await rm(dir, { recursive: true, force: true });
  });

  // throws unless the mock answers 200
  const control = (path: string, body: unknown) => mockControl(mock.url, path, body);

  it('stores every delivered event exactly once, and only those', async () => {
    await control('/_mock/webhooks', {
      url: `${receiver.url}/webhooks/stripe`,
      secret: SECRET,
      duplicate_rate: 0.3,
      shuffle: true,
    });
    const from = mock.now();
    // Two days in steps, so deliveries overlap with new batches.
    for (let i = 0; i < 8; i++) await control('/_mock/clock', { advance_seconds: 6 * 3600 });
    const stats = await mock.drainWebhooks();
    const until = mock.now();

    expect(stats.failed).toBe(0);
    expect(stats.duplicates).toBeGreaterThan(0);
    expect(stats.delivered).toBe(stats.queued);

    const stripe = new Stripe('sk_test_e2e', { host: '127.0.0.1', port: mock.port, protocol: 'http' });
    const apiIds = new Set<string>();
    for await (const ev of stripe.events.list({ created: { gt: from, lte: until }, limit: 100 })) {
      apiIds.add(ev.id);
    }
    expect(apiIds.size).toBeGreaterThan(20);
    expect(stats.queued).toBe(apiIds.size + stats.duplicates);

    const objects = await store.list('bronze/source=stripe/entity=webhook_events/');
    const storedIds: string[] = [];
    for (const o of objects) {
      const rec = JSON.parse(Buffer.from((await store.get(o.key))!).toString('utf8'));
      expect(rec.meta).toMatchObject({
        source: 'webhook',
        run_id: 'run-wh-e2e',
        version_ts: rec.data.created,
      });
      storedIds.push(rec.meta.event_id);
    }
    expect(storedIds.length).toBe(new Set(storedIds).size);
    expect(new Set(storedIds)).toEqual(apiIds);
  });
});
