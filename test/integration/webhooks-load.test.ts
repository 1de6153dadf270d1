import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pLimit from 'p-limit';
import Stripe from 'stripe';
import { Agent, request } from 'undici';
import { describe, expect, it } from 'vitest';
import { parseSettings } from '../../src/config/settings.js';
import { silentLogger } from '../../src/obs/logger.js';
import { LocalObjectStore } from '../../src/storage/local-store.js';
import type { ObjectStore } from '../../src/storage/object-store.js';
import { S3ObjectStore } from '../../src/storage/s3-store.js';
import { encodeEventId } from '../../src/webhooks/event-key.js';
import { startWebhookServer } from '../../src/webhooks/server.js';
import { freshPrefix, s3TestConfig } from '../s3-env.js';

/**
 * SPEC section 15: 1,000 deliveries of 700 distinct events (30% duplicates, shuffled so copies of
 * one event race each other) at concurrency 50 over a real port store exactly 700 Bronze objects,
 * and every delivery is answered 200; on local disk and on the real S3 server.
 */

const SECRET = 'whsec_load_test';
const DISTINCT = 700;
const DELIVERIES = 1000;
const CONCURRENCY = 50;
const stripe = new Stripe('sk_test_unused');

/** A deterministic shuffle (mulberry32), so a failure reproduces. */
function shuffled<T>(items: T[], seed: number): T[] {
  let a = seed;
  const rand = () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

function eventBody(i: number): string {
  const created = Math.floor(Date.now() / 1000) - 60;
  return JSON.stringify({
    id: `evt_load_${String(i).padStart(5, '0')}`,
    object: 'event',
    type: 'charge.succeeded',
    created,
    data: { object: { id: `ch_load_${i}`, object: 'charge', amount: 100 + i, currency: 'usd' } },
  });
}

async function deliverAll(store: ObjectStore): Promise<void> {
  const server = await startWebhookServer({
    store,
    settings: parseSettings({ WEBHOOK_SECRET: SECRET }),
    logger: silentLogger(),
    runId: 'run-load',
    host: '127.0.0.1',
    port: 0,
  });
  const agent = new Agent({ connections: CONCURRENCY });
  try {
    // Every event once, 300 of them a second time, then shuffled.
    const ids = [...Array(DISTINCT).keys()];
    const deliveries = shuffled([...ids, ...ids.slice(0, DELIVERIES - DISTINCT)], 42);
    const limit = pLimit(CONCURRENCY);
    const answers = await Promise.all(
      deliveries.map((i) =>
        limit(async () => {
          const body = eventBody(i);
          const res = await request(`${server.url}/webhooks/stripe`, {
            method: 'POST',
            body,
            dispatcher: agent,
            headers: {
              'content-type': 'application/json',
              'stripe-signature': stripe.webhooks.generateTestHeaderString({ payload: body, secret: SECRET }),
            },
          });
          return { status: res.statusCode, json: (await res.body.json()) as { duplicate: boolean } };
        }),
      ),
    );
    expect(answers.filter((a) => a.status !== 200)).toEqual([]);
    expect(answers.filter((a) => !a.json.duplicate)).toHaveLength(DISTINCT);
    expect(answers.filter((a) => a.json.duplicate)).toHaveLength(DELIVERIES - DISTINCT);

    const objects = await store.list('bronze/source=stripe/entity=webhook_events/');
    expect(objects).toHaveLength(DISTINCT);
    const names = new Set(objects.map((o) => o.key.slice(o.key.lastIndexOf('/') + 1)));
    const expected = new Set(
      ids.map((i) => `${encodeEventId(`evt_load_${String(i).padStart(5, '0')}`)}.json`),
    );
    expect(names).toEqual(expected);
    // Every object is one complete line of the envelope.
    const sample = await store.get(objects[123]!.key);
    const line = Buffer.from(sample!).toString('utf8');
    expect(line.split('\n')).toEqual([expect.any(String), '']);
    expect(JSON.parse(line).meta).toMatchObject({
      source: 'webhook',
      entity: 'webhook_events',
      run_id: 'run-load',
    });
  } finally {
    await agent.close();
    await server.close();
  }
}

describe('webhook receiver under load', () => {
  it('stores exactly the 700 distinct events of 1,000 deliveries on local disk', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'wh-load-'));
    try {
      await deliverAll(new LocalObjectStore(dir));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('stores exactly the 700 distinct events of 1,000 deliveries on the S3 server', async () => {
    const s3 = s3TestConfig();
    await deliverAll(
      new S3ObjectStore({
        bucket: s3.bucket,
        prefix: freshPrefix('webhooks-load'),
        region: s3.region,
        endpoint: s3.endpoint,
        credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
      }),
    );
  });
});
