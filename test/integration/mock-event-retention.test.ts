import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVENT_RETENTION_SECONDS, type MockApi, startMockApi } from '../../src/mock/index.js';
import { fetchTruth } from '../helpers/mock-control.js';
import { stripeOnMock } from '../helpers/stripe-on-mock.js';

// Stripe keeps events 30 days: the mock lists, retrieves and accepts as cursors only events with
// created > now - EVENT_RETENTION_SECONDS. The boundary is probed exactly, one second each side.
const NOW = Date.parse('2026-03-15T12:00:00Z') / 1000;
const H = { authorization: 'Bearer sk_test_x' };

interface Ev {
  id: string;
  created: number;
  type: string;
}

describe('mock API: 30-day event retention', () => {
  let mock: MockApi;
  let stripe: Stripe;
  /** An event about 35 days before NOW, read from the webhook feed (not subject to retention). */
  let old: Ev;

  beforeAll(async () => {
    mock = await startMockApi({ preset: 'tiny', days: 40, now: NOW, port: 0, quiet: true });
    stripe = stripeOnMock(mock.port);
    const t = NOW - 35 * 86_400;
    old = JSON.parse(mock.dataset.eventsBetween(t, t + 86_400).next().value ?? 'null') as Ev;
    // An event of that day exists (no event: `null`, which toBeDefined let through).
    expect(old?.id).toMatch(/^evt_/);
    expect(old.created).toBeGreaterThanOrEqual(t);
  });
  afterAll(async () => {
    await mock.close();
  });

  const truthIds = async (): Promise<string[]> =>
    (await fetchTruth(mock.url, 'events')).map((e) => (e as unknown as Ev).id);
  const listIds = async (qs: string): Promise<{ ids: string[]; status: number; body: unknown }> => {
    const res = await fetch(`${mock.url}/v1/events?${qs}`, { headers: H });
    const body = (await res.json()) as { data?: Ev[] };
    return { ids: (body.data ?? []).map((e) => e.id), status: res.status, body };
  };

  it('the retention constant is 30 days', () => {
    expect(EVENT_RETENTION_SECONDS).toBe(30 * 86_400);
  });

  it('an event one second inside the retention is listed, retrievable and in the truth', async () => {
    mock.setNow(old.created + EVENT_RETENTION_SECONDS - 1);
    const window = `limit=100&created[gte]=${old.created}&created[lte]=${old.created}`;
    expect((await listIds(window)).ids).toContain(old.id);
    const got = await stripe.events.retrieve(old.id);
    expect(got.id).toBe(old.id);
    expect(await truthIds()).toContain(old.id);
    // The oldest retained event is the last one of the unfiltered listing.
    const all: string[] = [];
    await stripe.events.list({ limit: 100 }).autoPagingEach((e) => {
      all.push(e.id);
    });
    expect(all).toContain(old.id);
  });

  it('an event exactly 30 days old is gone: not listed, 404 on retrieve, not in the truth, a bad cursor', async () => {
    mock.setNow(old.created + EVENT_RETENTION_SECONDS);
    // Whatever created bounds are asked.
    expect((await listIds(`limit=100&created[gte]=${old.created}&created[lte]=${old.created}`)).ids).toEqual(
      [],
    );
    expect((await listIds(`limit=100&created[lte]=${old.created}`)).ids).toEqual([]);
    const all: Ev[] = [];
    await stripe.events.list({ limit: 100 }).autoPagingEach((e) => {
      all.push(e as unknown as Ev);
    });
    expect(all.length).toBeGreaterThan(0);
    expect(all.map((e) => e.id)).not.toContain(old.id);
    expect(Math.min(...all.map((e) => e.created))).toBeGreaterThan(mock.now() - EVENT_RETENTION_SECONDS);
    expect(await truthIds()).toEqual(all.map((e) => e.id));

    const missing = await stripe.events.retrieve(old.id).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
    expect((missing as Stripe.errors.StripeError).statusCode).toBe(404);
    expect((missing as Stripe.errors.StripeError).code).toBe('resource_missing');

    for (const cursor of ['starting_after', 'ending_before']) {
      const r = await listIds(`limit=10&${cursor}=${old.id}`);
      expect(r.status).toBe(400);
      expect((r.body as { error: { code: string; param: string } }).error).toMatchObject({
        code: 'resource_missing',
        param: cursor,
      });
    }
  });

  it('objects are kept: the object of an expired event is still listed and retrievable', async () => {
    mock.setNow(NOW);
    const ev = (await stripe.events.list({ limit: 100, created: { lt: NOW - 31 * 86_400 } })).data;
    expect(ev).toEqual([]);
    const charges = await stripe.charges.list({ limit: 1, created: { lt: NOW - 35 * 86_400 } });
    expect(charges.data.length).toBe(1);
    expect((await stripe.charges.retrieve(charges.data[0]!.id)).id).toBe(charges.data[0]!.id);
  });
});
