import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import Stripe from 'stripe';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError, parseSettings, type Settings } from '../config/settings.js';
import { silentLogger } from '../obs/logger.js';
import { LocalObjectStore } from '../storage/local-store.js';
import type { ObjectStore } from '../storage/object-store.js';
import { webhookBronzeKey, webhookMarkerKey } from './event-key.js';
import { createWebhookServer, startWebhookServer } from './server.js';

const SECRET = 'whsec_test_primary_0123456789';
const OLD_SECRET = 'whsec_test_rotated_out_987654';
const stripe = new Stripe('sk_test_unused');
const T0 = Date.UTC(2024, 2, 10, 12, 0, 0);

function makeEvent(id: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id,
    object: 'event',
    type: 'charge.succeeded',
    created: Math.floor(T0 / 1000) - 5,
    livemode: false,
    data: { object: { id: `ch_${id}`, object: 'charge', amount: 1000, currency: 'usd' } },
    ...extra,
  };
}

function sign(payload: string, secret = SECRET, timestamp = Math.floor(T0 / 1000)): string {
  return stripe.webhooks.generateTestHeaderString({ payload, secret, timestamp });
}

describe('webhook receiver (inject)', () => {
  let dir: string;
  let store: LocalObjectStore;
  let nowMs: number;
  let app: FastifyInstance;

  const build = (env: Record<string, string>, s: ObjectStore = store) => {
    const settings = parseSettings(env);
    return createWebhookServer({
      store: s,
      settings,
      logger: silentLogger(),
      runId: 'run-wh-1',
      now: () => nowMs,
    });
  };
  const post = (payload: string | Buffer, headers: Record<string, string> = {}) =>
    app.inject({
      method: 'POST',
      url: '/webhooks/stripe',
      payload,
      headers: { 'content-type': 'application/json', ...headers },
    });
  const stored = async () => (await store.list('')).map((o) => o.key);

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'wh-server-'));
    store = new LocalObjectStore(dir);
    nowMs = T0;
    app = build({ WEBHOOK_SECRET: `${SECRET}` });
  });
  afterEach(async () => {
    await app.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('stores a validly signed event as one Bronze JSONL line and answers 200', async () => {
    const body = JSON.stringify(makeEvent('evt_1'));
    const res = await post(body, { 'stripe-signature': sign(body) });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ received: true, event_id: 'evt_1', duplicate: false });
    const key = 'bronze/source=stripe/entity=webhook_events/dt=2024-03-10/evt_1.json';
    expect(await stored()).toEqual([webhookMarkerKey('evt_1'), key].sort());
    const text = Buffer.from((await store.get(key))!).toString('utf8');
    expect(text.endsWith('\n')).toBe(true);
    expect(text.split('\n')).toHaveLength(2);
    const rec = JSON.parse(text);
    expect(rec.data).toEqual(JSON.parse(body));
    expect(rec.meta).toEqual({
      entity: 'webhook_events',
      run_id: 'run-wh-1',
      ingested_at: new Date(T0).toISOString(),
      source: 'webhook',
      version_ts: Math.floor(T0 / 1000) - 5,
      event_id: 'evt_1',
    });
  });

  it('answers duplicate: true to a second copy and keeps one object', async () => {
    const body = JSON.stringify(makeEvent('evt_dup'));
    const first = await post(body, { 'stripe-signature': sign(body) });
    const second = await post(body, { 'stripe-signature': sign(body) });
    expect(first.json().duplicate).toBe(false);
    expect(second.statusCode).toBe(200);
    expect(second.json()).toEqual({ received: true, event_id: 'evt_dup', duplicate: true });
    expect(await store.list('bronze/')).toHaveLength(1);
  });

  it('gives exactly one of 25 racing copies duplicate: false, and stores one object', async () => {
    const body = JSON.stringify(makeEvent('evt_race'));
    const answers = await Promise.all(
      Array.from({ length: 25 }, () => post(body, { 'stripe-signature': sign(body) })),
    );
    expect(answers.map((a) => a.statusCode)).toEqual(Array(25).fill(200));
    expect(answers.filter((a) => a.json().duplicate === false)).toHaveLength(1);
    expect(await store.list('bronze/')).toHaveLength(1);
  });

  it('keeps one object when a copy arrives on a later day', async () => {
    const body = JSON.stringify(makeEvent('evt_late'));
    await post(body, { 'stripe-signature': sign(body) });
    nowMs = T0 + 2 * 86_400_000;
    const ts = Math.floor(nowMs / 1000);
    const res = await post(body, { 'stripe-signature': sign(body, SECRET, ts) });
    expect(res.json()).toEqual({ received: true, event_id: 'evt_late', duplicate: true });
    expect((await store.list('bronze/')).map((o) => o.key)).toEqual([webhookBronzeKey('evt_late', T0)]);
  });

  it('completes a delivery whose process died between the marker and the Bronze object', async () => {
    const body = JSON.stringify(makeEvent('evt_half'));
    const bronzeKey = webhookBronzeKey('evt_half', T0 - 86_400_000);
    await store.putIfAbsent(
      webhookMarkerKey('evt_half'),
      JSON.stringify({ event_id: 'evt_half', bronze_key: bronzeKey, received_at: 'x' }),
    );
    const res = await post(body, { 'stripe-signature': sign(body) });
    expect(res.json()).toEqual({ received: true, event_id: 'evt_half', duplicate: false });
    expect((await store.list('bronze/')).map((o) => o.key)).toEqual([bronzeKey]);
  });

  it('answers 500 on a storage error and a retry of the same delivery then stores it', async () => {
    let failures = 1;
    const flaky: ObjectStore = Object.create(store, {
      putIfAbsent: {
        value: async (key: string, body: Uint8Array | string) => {
          // Fail the Bronze write once, after the marker was claimed: the worst place to die.
          if (key.startsWith('bronze/') && failures-- > 0) throw new Error('disk on fire');
          return store.putIfAbsent(key, body);
        },
      },
    });
    await app.close();
    app = build({ WEBHOOK_SECRET: SECRET }, flaky);
    const body = JSON.stringify(makeEvent('evt_flaky'));
    const res = await post(body, { 'stripe-signature': sign(body) });
    expect(res.statusCode).toBe(500);
    expect(res.body).not.toContain('disk on fire');
    expect(await store.list('bronze/')).toHaveLength(0);
    const retry = await post(body, { 'stripe-signature': sign(body) });
    expect(retry.statusCode).toBe(200);
    expect(retry.json().duplicate).toBe(false);
    expect(await store.list('bronze/')).toHaveLength(1);
  });

  describe('rejections store nothing', () => {
    const body = JSON.stringify(makeEvent('evt_bad'));
    const now = Math.floor(T0 / 1000);
    const cases: Array<
      [string, () => Promise<{ statusCode: number; json(): Record<string, unknown> }>, string]
    > = [
      [
        'tampered body',
        () => post(body.replace('1000', '9000'), { 'stripe-signature': sign(body) }),
        'no_matching_signature',
      ],
      [
        'wrong secret',
        () => post(body, { 'stripe-signature': sign(body, 'whsec_wrong') }),
        'no_matching_signature',
      ],
      [
        'stale timestamp',
        () => post(body, { 'stripe-signature': sign(body, SECRET, now - 301) }),
        'timestamp_outside_tolerance',
      ],
      [
        'future timestamp',
        () => post(body, { 'stripe-signature': sign(body, SECRET, now + 301) }),
        'timestamp_outside_tolerance',
      ],
      ['missing header', () => post(body), 'missing_header'],
      ['malformed header', () => post(body, { 'stripe-signature': 'garbage' }), 'malformed_header'],
      [
        'header without t',
        () => post(body, { 'stripe-signature': `v1=${'a'.repeat(64)}` }),
        'malformed_header',
      ],
      [
        'only a v0 signature',
        () => post(body, { 'stripe-signature': sign(body).replace('v1=', 'v0=') }),
        'no_v1_signature',
      ],
    ];
    for (const [name, send, reason] of cases) {
      it(`400 for ${name}`, async () => {
        const res = await send();
        expect(res.statusCode).toBe(400);
        expect(res.json()).toMatchObject({ error: 'signature_verification_failed', reason });
        expect(await stored()).toEqual([]);
      });
    }

    const bodies: Array<[string, string]> = [
      ['non-JSON', 'not json at all {'],
      ['a JSON array', '[1,2]'],
      ['JSON without id', JSON.stringify({ type: 'charge.succeeded', created: 1, data: { object: {} } })],
      ['JSON without type', JSON.stringify({ id: 'evt_x', created: 1, data: { object: {} } })],
      ['an id that is not a string', JSON.stringify({ id: 7, type: 'x', created: 1, data: { object: {} } })],
      ['an empty body', ''],
    ];
    for (const [name, payload] of bodies) {
      it(`400 for ${name}, even correctly signed`, async () => {
        const res = await post(payload, { 'stripe-signature': sign(payload) });
        expect(res.statusCode).toBe(400);
        expect(res.json().error).toBe('invalid_event');
        expect(await stored()).toEqual([]);
      });
    }

    it('413 above WEBHOOK_MAX_BYTES', async () => {
      await app.close();
      app = build({ WEBHOOK_SECRET: SECRET, WEBHOOK_MAX_BYTES: '2048' });
      const big = JSON.stringify(makeEvent('evt_big', { pad: 'x'.repeat(3000) }));
      const res = await post(big, { 'stripe-signature': sign(big) });
      expect(res.statusCode).toBe(413);
      expect(res.json().error).toBe('payload_too_large');
      expect(await stored()).toEqual([]);
      const small = JSON.stringify(makeEvent('evt_small'));
      expect((await post(small, { 'stripe-signature': sign(small) })).statusCode).toBe(200);
    });
  });

  it('accepts either secret during rotation', async () => {
    await app.close();
    app = build({ WEBHOOK_SECRET: `${SECRET}, ${OLD_SECRET}` });
    for (const [id, secret] of [
      ['evt_new', SECRET],
      ['evt_old', OLD_SECRET],
    ] as const) {
      const body = JSON.stringify(makeEvent(id));
      expect((await post(body, { 'stripe-signature': sign(body, secret) })).statusCode).toBe(200);
    }
    const body = JSON.stringify(makeEvent('evt_other'));
    expect((await post(body, { 'stripe-signature': sign(body, 'whsec_third') })).statusCode).toBe(400);
  });

  it('accepts a header with several v1 values when one matches', async () => {
    const body = JSON.stringify(makeEvent('evt_multi'));
    const good = sign(body);
    const t = /t=(\d+)/.exec(good)![1];
    const v1 = /v1=([0-9a-f]+)/.exec(good)![1];
    const header = `t=${t},v1=${'0'.repeat(64)},v0=${'f'.repeat(64)},v1=${v1},v1=nothex`;
    expect((await post(body, { 'stripe-signature': header })).statusCode).toBe(200);
  });

  it('takes any content type and verifies the exact bytes it was sent', async () => {
    const body = `{ "id": "evt_ws",\n  "type": "charge.succeeded", "created": 1700000000, "data": {"object": {}} }`;
    // Signed over the same JSON re-serialized: what a receiver that parsed before verifying sees.
    const reserialized = JSON.stringify(JSON.parse(body));
    const wrong = await post(body, { 'content-type': 'text/plain', 'stripe-signature': sign(reserialized) });
    expect(wrong.statusCode).toBe(400);
    expect(await store.list('bronze/')).toEqual([]);
    const res = await post(body, { 'content-type': 'text/plain', 'stripe-signature': sign(body) });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ received: true, event_id: 'evt_ws', duplicate: false });
    const [obj] = await store.list('bronze/');
    expect(JSON.parse(Buffer.from((await store.get(obj!.key))!).toString('utf8')).data).toEqual(
      JSON.parse(body),
    );
  });

  it('GET /health', async () => {
    const res = await app.inject({ method: 'GET', url: '/health' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'ok' });
  });

  it('accepts unsigned posts when verification is off', async () => {
    await app.close();
    app = build({ VERIFY_WEBHOOK_SIGNATURES: 'false' });
    const res = await post(JSON.stringify(makeEvent('evt_unsigned')));
    expect(res.statusCode).toBe(200);
    expect(await store.list('bronze/')).toHaveLength(1);
  });
});

describe('start-up', () => {
  it('refuses to start with verification on and no secret', () => {
    const settings: Settings = parseSettings({ VERIFY_WEBHOOK_SIGNATURES: 'true' });
    expect(() =>
      createWebhookServer({
        store: new LocalObjectStore(tmpdir()),
        settings,
        logger: silentLogger(),
        runId: 'r',
      }),
    ).toThrow(ConfigError);
  });

  it('warns when running unverified, and never logs the secret or the signature', async () => {
    const lines: string[] = [];
    const logger = pino({ level: 'trace' }, { write: (s: string) => lines.push(s) });
    const dir = await mkdtemp(join(tmpdir(), 'wh-log-'));
    try {
      const unverified = createWebhookServer({
        store: new LocalObjectStore(dir),
        settings: parseSettings({ VERIFY_WEBHOOK_SIGNATURES: 'false' }),
        logger,
        runId: 'r',
      });
      await unverified.close();
      expect(lines.some((l) => JSON.parse(l).level === 40 && /NOT verified/.test(l))).toBe(true);

      lines.length = 0;
      const srv = await startWebhookServer({
        store: new LocalObjectStore(dir),
        settings: parseSettings({ WEBHOOK_SECRET: SECRET }),
        logger,
        runId: 'r',
        host: '127.0.0.1',
        port: 0,
      });
      const body = JSON.stringify(makeEvent('evt_log'));
      const header = stripe.webhooks.generateTestHeaderString({ payload: body, secret: SECRET });
      const badHeader = stripe.webhooks.generateTestHeaderString({ payload: body, secret: 'whsec_nope' });
      for (const h of [header, badHeader, header]) {
        await fetch(`${srv.url}/webhooks/stripe`, {
          method: 'POST',
          body,
          headers: { 'content-type': 'application/json', 'stripe-signature': h },
        });
      }
      await srv.close();
      const all = lines.join('');
      expect(all).toContain('evt_log');
      expect(all).not.toContain(SECRET);
      expect(all).not.toContain(/v1=([0-9a-f]+)/.exec(header)![1]);
      expect(all).not.toContain(/v1=([0-9a-f]+)/.exec(badHeader)![1]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
