import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import Stripe from 'stripe';
import { afterEach, describe, expect, it } from 'vitest';
import { parseSettings } from '../config/settings.js';
import { silentLogger } from '../obs/logger.js';
import { PIPELINE_API_VERSION } from './api-version.js';
import { createStripeClient } from './create-client.js';
import { ApiKeyRejectedError, RetriesExhaustedError, StripeApiError } from './errors.js';
import { RequestLimiter } from './request-limiter.js';
import { buildQuery, StripeClient, sourceTime } from './stripe-client.js';

type Handler = (req: IncomingMessage, res: ServerResponse, n: number) => void;

let server: Server | undefined;
let client: StripeClient | undefined;

async function serve(handler: Handler): Promise<{ url: string; requests: IncomingMessage[] }> {
  const requests: IncomingMessage[] = [];
  server = createServer((req, res) => {
    requests.push(req);
    handler(req, res, requests.length);
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests };
}

function makeClient(url: string, extra: Partial<ConstructorParameters<typeof StripeClient>[0]> = {}) {
  client = new StripeClient({
    baseUrl: url,
    apiKey: 'sk_test_secret123',
    apiVersion: '2024-06-20',
    timeoutMs: 500,
    maxRetries: 3,
    limiter: new RequestLimiter({ concurrency: 2 }),
    connections: 2,
    backoff: { baseMs: 5, capMs: 20 },
    ...extra,
  });
  return client;
}

const json = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
};
const list = { object: 'list', data: [{ id: 'ch_1', created: 1 }], has_more: false, url: '/v1/charges' };

afterEach(async () => {
  await client?.close();
  client = undefined;
  await new Promise((r) => (server ? server.close(r) : r(undefined)));
  server = undefined;
});

describe('StripeClient', () => {
  it('sends Stripe-Version on every request: the pipeline version unless STRIPE_API_VERSION says otherwise', async () => {
    // the version the transforms are written for is the one the official client pins
    expect(PIPELINE_API_VERSION).toBe(Stripe.API_VERSION);
    const { url, requests } = await serve((_req, res) => json(res, 200, list));
    for (const [env, want] of [
      [{}, PIPELINE_API_VERSION],
      [{ STRIPE_API_VERSION: '2024-06-20' }, '2024-06-20'],
    ] as const) {
      const c = createStripeClient({
        settings: parseSettings(env),
        logger: silentLogger(),
        baseUrl: url,
        apiKey: 'sk_test_x',
      });
      try {
        await c.listRawPage('charges', '/v1/charges', { limit: 1 });
      } finally {
        await c.close();
      }
      expect(requests.at(-1)!.headers['stripe-version']).toBe(want);
    }
  });

  it('speaks the list protocol and reads the source clock from Date', async () => {
    const { url, requests } = await serve((_req, res) =>
      json(res, 200, { ...list, has_more: true }, { date: 'Tue, 14 Nov 2023 22:13:20 GMT' }),
    );
    const page = await makeClient(url).listRawPage('charges', '/v1/charges', {
      limit: 100,
      'created[gte]': 10,
      'created[lt]': 20,
      status: 'all',
    });
    expect({
      data: page.items.map((it) => JSON.parse(it.json.toString('utf8')) as unknown),
      hasMore: page.hasMore,
      sourceTime: page.sourceTime,
      retries: page.retries,
    }).toEqual({
      data: list.data,
      hasMore: true,
      sourceTime: 1_700_000_000,
      retries: 0,
    });
    const req = requests[0]!;
    expect(req.url).toBe('/v1/charges?limit=100&created[gte]=10&created[lt]=20&status=all');
    expect(req.headers.authorization).toBe('Bearer sk_test_secret123');
    expect(req.headers['stripe-version']).toBe('2024-06-20');
  });

  it('gives raw pages: the bytes as sent from a compact body, re-serialised from a pretty one', async () => {
    const compact =
      '{"object":"list","data":[{"id":"ch_1","amount":1.50,"created":7,"name":"Zoë"}],"has_more":true}';
    const pretty = JSON.stringify(
      { object: 'list', data: [{ id: 'ch_2', amount: 1.5 }], has_more: false },
      null,
      2,
    );
    const { url } = await serve((_req, res, n) => {
      res.writeHead(200, { 'content-type': 'application/json', date: 'Tue, 14 Nov 2023 22:13:20 GMT' });
      res.end(n === 1 ? compact : pretty);
    });
    const c = makeClient(url);
    const a = await c.listRawPage('charges', '/v1/charges', {});
    expect(a).toMatchObject({ hasMore: true, sourceTime: 1_700_000_000, retries: 0 });
    expect(a.items.map((i) => [i.id, i.created, Buffer.from(i.json).toString()])).toEqual([
      ['ch_1', 7, '{"id":"ch_1","amount":1.50,"created":7,"name":"Zoë"}'],
    ]);
    const b = await c.listRawPage('charges', '/v1/charges', {});
    expect(b.hasMore).toBe(false);
    expect(b.items.map((i) => [i.id, i.created, Buffer.from(i.json).toString()])).toEqual([
      ['ch_2', undefined, '{"id":"ch_2","amount":1.5}'],
    ]);
  });

  it('rejects a raw page that is not a list, naming the endpoint', async () => {
    const { url } = await serve((_req, res, n) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(n === 1 ? '{"object":"list","data":[{"id":"ch_1"}' : '{"data":{}}');
    });
    const c = makeClient(url);
    await expect(c.listRawPage('charges', '/v1/charges', {})).rejects.toThrow(/\/v1\/charges.*not JSON/);
    await expect(c.listRawPage('charges', '/v1/charges', {})).rejects.toThrow(/expected a JSON list/);
  });

  it('retries 5xx, 429 (honouring Retry-After) and dropped connections, and counts them', async () => {
    const { url, requests } = await serve((req, res, n) => {
      if (n === 1) return json(res, 500, { error: { type: 'api_error', message: 'boom' } });
      if (n === 2) return json(res, 429, { error: { type: 'rate_limit_error' } }, { 'retry-after': '0.2' });
      if (n === 3) return req.socket.destroy();
      json(res, 200, list);
    });
    const t0 = Date.now();
    const page = await makeClient(url).listRawPage('charges', '/v1/charges', { limit: 1 });
    expect(page.retries).toBe(3);
    expect(requests).toHaveLength(4);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(190);
  });

  it('retries timeouts', async () => {
    const { url, requests } = await serve((_req, res, n) => {
      if (n === 1) return; // never answers
      json(res, 200, list);
    });
    const page = await makeClient(url, { timeoutMs: 150 }).listRawPage('charges', '/v1/charges', {});
    // The hung request timed out and was retried. A loaded machine may also time out an answered
    // one (150 ms is short): each timeout is one more request and one more retry, never a failure.
    expect(page.retries).toBeGreaterThanOrEqual(1);
    expect(page.retries).toBe(requests.length - 1);
    expect(page.items.map((o) => o.id)).toEqual(list.data.map((o) => o.id));
  });

  it('gives up after MAX_RETRIES with a typed error', async () => {
    const { url, requests } = await serve((_req, res) => json(res, 503, { error: { message: 'down' } }));
    const err = await makeClient(url, { maxRetries: 2 })
      .listRawPage('refunds', '/v1/refunds', {})
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RetriesExhaustedError);
    expect((err as RetriesExhaustedError).lastStatus).toBe(503);
    expect(requests).toHaveLength(3);
  });

  it('fails at once on 401 with "API key rejected", never showing the key', async () => {
    const { url, requests } = await serve((_req, res) =>
      json(res, 401, { error: { type: 'invalid_request_error', message: 'Invalid API Key provided' } }),
    );
    const err = await makeClient(url)
      .listRawPage('customers', '/v1/customers', {})
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiKeyRejectedError);
    expect((err as Error).message).toContain('API key rejected');
    expect((err as Error).message).toContain('/v1/customers');
    expect((err as Error).message).not.toContain('secret123');
    expect(requests).toHaveLength(1);
  });

  it('fails at once on other 4xx with Stripe error fields', async () => {
    const { url, requests } = await serve((_req, res) =>
      json(res, 400, {
        error: {
          type: 'invalid_request_error',
          code: 'parameter_invalid',
          message: 'bad limit',
          param: 'limit',
        },
      }),
    );
    const err = (await makeClient(url)
      .listRawPage('charges', '/v1/charges', { limit: 1000 })
      .catch((e: unknown) => e)) as StripeApiError;
    expect(err).toBeInstanceOf(StripeApiError);
    expect(err).toMatchObject({ status: 400, entity: 'charges', path: '/v1/charges' });
    expect(err.stripe.code).toBe('parameter_invalid');
    expect(err.message).toContain('bad limit');
    expect(requests).toHaveLength(1);
  });

  it('stops on abort without retrying', async () => {
    const { url } = await serve(() => {});
    const ctl = new AbortController();
    const p = makeClient(url, { timeoutMs: 5000 }).listRawPage('charges', '/v1/charges', {}, ctl.signal);
    setTimeout(() => ctl.abort(new Error('aborted by test')), 50);
    await expect(p).rejects.toThrow('aborted by test');
  });
});

describe('buildQuery / sourceTime', () => {
  it('repeats array keys and encodes values', () => {
    expect(buildQuery({ 'types[]': ['a.b', 'c'], starting_after: 'x y', skip: undefined })).toBe(
      'types[]=a.b&types[]=c&starting_after=x%20y',
    );
  });
  it('falls back to the local clock without a Date', () => {
    expect(Math.abs(sourceTime(undefined) - Date.now() / 1000)).toBeLessThan(2);
    expect(sourceTime('Thu, 01 Jan 1970 00:01:40 GMT')).toBe(100);
  });
});
