import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { EntityName } from '../../entities/entity.js';
import { ENTITIES } from '../../entities/registry.js';
import { ApiError } from '../api-error.js';
import type { MockClock } from '../clock.js';
import {
  CHILD_COLLECTIONS,
  type ChildCollection,
  pageOfChildren,
  parameterMissing,
} from '../dataset/children.js';
import type { Dataset } from '../dataset/dataset.js';
import { MOCK_API_VERSION } from '../dataset/render/event.js';
import { FaultConfigError, type Faults } from './faults.js';
import { JsonBodyWriter } from './json-body.js';
import { parseChildListQuery, parseListQuery } from './list-query.js';
import { parseWebhookTarget, type WebhookSender, WebhookTargetError } from './webhook-sender.js';

/**
 * The HTTP layer (plain `node:http`: measured faster than a framework for this one job, and the
 * routes are few): Stripe's `/v1` routes with auth and faults, `/health`, and the `/_mock`
 * control API.
 */

export interface ServerParts {
  readonly dataset: Dataset;
  readonly clock: MockClock;
  readonly faults: Faults;
  readonly webhooks: WebhookSender;
}

const BY_SEGMENT = new Map<string, EntityName>(
  ENTITIES.map((e) => [e.endpoint.slice('/v1/'.length), e.name]),
);
const MAX_BODY = 1 << 20;

export function createMockServer(parts: ServerParts): Server {
  const bodies = new JsonBodyWriter();
  const server = createServer({ keepAliveTimeout: 5000 }, (req, res) => {
    handle(parts, bodies, req, res).catch((err: unknown) => {
      if (!res.headersSent) send(res, parts.clock, 500, apiErrorBody('api_error', (err as Error).message));
      else res.destroy();
    });
  });
  return server;
}

/** Starts listening and resolves with the bound port. */
export function listen(server: Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

// Request ids: a random per-process prefix and a counter (unique like Stripe's `req_…`, without
// a crypto call per request).
const REQUEST_PREFIX = `req_${randomBytes(4).toString('hex')}`;
let requestCount = 0;
const requestId = (): string => `${REQUEST_PREFIX}${(++requestCount).toString(16).padStart(8, '0')}`;

let dateSecond = -1;
let dateString = '';
function httpDate(t: number): string {
  if (t !== dateSecond) {
    dateSecond = t;
    dateString = new Date(t * 1000).toUTCString();
  }
  return dateString;
}

function send(
  res: ServerResponse,
  clock: MockClock,
  status: number,
  body: unknown,
  extra?: Record<string, string>,
): void {
  const text = Buffer.isBuffer(body) ? body : typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': typeof text === 'string' ? Buffer.byteLength(text) : text.length,
    date: httpDate(clock.now()),
    'request-id': requestId(),
    'stripe-version': MOCK_API_VERSION,
    ...extra,
  });
  res.end(text);
}

const apiErrorBody = (type: string, message: string): unknown => ({ error: { type, message } });

async function handle(
  parts: ServerParts,
  bodies: JsonBodyWriter,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const { clock } = parts;
  const url = new URL(req.url ?? '/', 'http://mock');
  const path = url.pathname;
  if (path === '/health') {
    send(res, clock, 200, { status: 'ok', now: clock.now() });
    return;
  }
  if (path.startsWith('/v1/')) {
    await handleV1(parts, bodies, req, res, path, url.searchParams);
    return;
  }
  if (path.startsWith('/_mock/')) {
    await handleControl(parts, req, res, path);
    return;
  }
  send(
    res,
    clock,
    404,
    apiErrorBody('invalid_request_error', `Unrecognized request URL (${req.method}: ${path}).`),
  );
}

function authorized(req: IncomingMessage): boolean {
  const h = req.headers.authorization ?? '';
  if (h.startsWith('Bearer ')) return h.slice(7).startsWith('sk_test_');
  if (h.startsWith('Basic ')) return Buffer.from(h.slice(6), 'base64').toString().startsWith('sk_test_');
  return false;
}

async function handleV1(
  parts: ServerParts,
  bodies: JsonBodyWriter,
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  params: URLSearchParams,
): Promise<void> {
  const { clock, dataset, faults } = parts;
  const verdict = faults.check(Date.now());
  const delay = faults.latency();
  if (delay > 0) await new Promise((r) => setTimeout(r, delay));
  if (verdict.kind === 'rate_limited') {
    send(
      res,
      clock,
      429,
      {
        error: {
          type: 'invalid_request_error',
          code: 'rate_limit',
          message:
            'Too many requests hit the API too quickly. We recommend an exponential backoff of your requests.',
        },
      },
      { 'retry-after': String(verdict.retryAfter) },
    );
    return;
  }
  if (verdict.kind === 'fail') {
    send(res, clock, 500, apiErrorBody('api_error', 'An unexpected error occurred (injected by the mock).'));
    return;
  }
  if (!authorized(req)) {
    send(res, clock, 401, {
      error: {
        type: 'invalid_request_error',
        message: 'Invalid API Key provided. The mock accepts any key starting with sk_test_.',
      },
    });
    return;
  }
  const segments = path.slice(4).split('/');
  if (req.method === 'GET' && childRoute(parts, res, segments, params)) return;
  const entityName = BY_SEGMENT.get(segments[0] ?? '');
  if (req.method !== 'GET' || !entityName || segments.length > 2 || segments[1] === '') {
    send(
      res,
      clock,
      404,
      apiErrorBody('invalid_request_error', `Unrecognized request URL (${req.method}: ${path}).`),
    );
    return;
  }
  const now = clock.now();
  try {
    if (segments.length === 2) {
      send(res, clock, 200, dataset.retrieve(entityName, decodeURIComponent(segments[1]!), now));
      return;
    }
    const q = parseListQuery(entityName, params);
    // The objects are rendered to JSON text and written into one buffer, never re-serialised.
    const body = bodies.write('{"object":"list","data":[', (add) => {
      const more = dataset.list(entityName, q, now, add);
      return `],"has_more":${more},"url":"/v1/${segments[0]}"}`;
    });
    // Reused once the response is handed to the OS (a closed connection just leaves it to the GC).
    res.once('finish', () => bodies.release(body));
    send(res, clock, 200, body);
  } catch (err) {
    if (err instanceof ApiError) send(res, clock, err.status, err.body());
    else throw err;
  }
}

/**
 * The child lists (SPEC 4.1): `GET /v1/subscription_items?subscription=<id>` and
 * `GET /v1/invoices/<id>/lines`, every child of the parent's current version with Stripe's list
 * semantics. Returns false when the path is not one of them.
 */
function childRoute(
  parts: ServerParts,
  res: ServerResponse,
  segments: readonly string[],
  params: URLSearchParams,
): boolean {
  const items = segments.length === 1 && segments[0] === 'subscription_items';
  const lines =
    segments.length === 3 && segments[0] === 'invoices' && segments[2] === 'lines' && segments[1] !== '';
  if (!items && !lines) return false;
  const { clock, dataset } = parts;
  try {
    const collection: ChildCollection = items ? 'subscription_items' : 'invoice_line_items';
    const { query, parent } = parseChildListQuery(params, items ? 'subscription' : undefined);
    const parentId = items ? parent : decodeURIComponent(segments[1]!);
    if (parentId === undefined || parentId === '') throw parameterMissing('subscription');
    const children = dataset.children(collection, parentId, items ? 'subscription' : 'invoice', clock.now());
    const page = pageOfChildren(children, query, CHILD_COLLECTIONS[collection].object);
    const url = items ? '/v1/subscription_items' : `/v1/invoices/${parentId}/lines`;
    const data = page.data.map((c) => c.json).join(',');
    send(
      res,
      clock,
      200,
      `{"object":"list","data":[${data}],"has_more":${page.hasMore},"url":${JSON.stringify(url)}}`,
    );
  } catch (err) {
    if (err instanceof ApiError) send(res, clock, err.status, err.body());
    else throw err;
  }
  return true;
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > MAX_BODY) throw new ControlError(413, 'body too large');
    chunks.push(c as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (text === '') return {};
  try {
    const v = JSON.parse(text) as unknown;
    if (v && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
  } catch {
    // fall through
  }
  throw new ControlError(400, 'body must be a JSON object');
}

class ControlError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'ControlError';
  }
}

async function handleControl(
  parts: ServerParts,
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
): Promise<void> {
  const { clock, dataset, faults, webhooks } = parts;
  const method = req.method ?? 'GET';
  try {
    if (path === '/_mock/config') {
      if (method === 'POST') {
        const body = await readJson(req);
        const share = body['old_version_share'];
        if (share !== undefined && (typeof share !== 'number' || !(share >= 0 && share <= 1)))
          throw new ControlError(
            400,
            `invalid old_version_share: ${JSON.stringify(share)} (expected 0 to 1)`,
          );
        faults.update(body);
        if (typeof share === 'number') dataset.oldVersionShare = share;
      } else if (method !== 'GET') throw new ControlError(405, 'use GET or POST');
      const w = dataset.world;
      send(res, clock, 200, {
        ...faults.config,
        old_version_share: dataset.oldVersionShare,
        seed: w.seed,
        days: w.volume.days,
        charges_per_day: w.volume.chargesPerDay,
        customers_per_day: w.volume.customersPerDay,
        now: clock.now(),
        frozen: clock.frozen,
      });
      return;
    }
    if (path === '/_mock/clock') {
      if (method === 'POST') {
        const body = await readJson(req);
        if (typeof body['now'] === 'number') clock.setNow(body['now']);
        else if (typeof body['advance_seconds'] === 'number') clock.advance(body['advance_seconds']);
        else throw new ControlError(400, 'expected {"now": <unix seconds>} or {"advance_seconds": <n>}');
      } else if (method !== 'GET') throw new ControlError(405, 'use GET or POST');
      send(res, clock, 200, { now: clock.now(), frozen: clock.frozen });
      return;
    }
    if (path === '/_mock/webhooks') {
      if (method === 'POST') webhooks.start(parseWebhookTarget(await readJson(req)));
      else if (method === 'DELETE') webhooks.stop();
      else if (method !== 'GET') throw new ControlError(405, 'use GET, POST or DELETE');
      const t = webhooks.active;
      send(res, clock, 200, { active: t !== null, url: t?.url ?? null, ...webhooks.stats() });
      return;
    }
    const truth = /^\/_mock\/truth\/([a-z_]+)$/.exec(path);
    if (truth && method === 'GET') {
      const now = clock.now();
      // the one child collection with a truth of its own: which transactions each payout paid out
      if (truth[1] === 'payout_balance_transactions') {
        await streamTruth(res, now, dataset.payoutBalanceTransactions(now));
        return;
      }
      if (truth[1] === 'subscription_items' || truth[1] === 'invoice_line_items') {
        await streamTruth(res, now, dataset.childTruth(truth[1], now));
        return;
      }
      const e = BY_SEGMENT.get(truth[1]!);
      if (!e) throw new ControlError(404, `unknown entity ${truth[1]}`);
      await streamTruth(res, now, dataset.truth(e, now));
      return;
    }
    throw new ControlError(404, `unknown control route ${method} ${path}`);
  } catch (err) {
    if (err instanceof ControlError) send(res, clock, err.status, { error: { message: err.message } });
    else if (
      err instanceof FaultConfigError ||
      err instanceof WebhookTargetError ||
      err instanceof RangeError
    ) {
      send(res, clock, 400, { error: { message: err.message } });
    } else throw err;
  }
}

/** NDJSON of the truth's texts (every object existing now, newest first), written with backpressure. */
async function streamTruth(res: ServerResponse, now: number, texts: Iterable<string>): Promise<void> {
  res.writeHead(200, { 'content-type': 'application/x-ndjson', date: httpDate(now) });
  let chunk = '';
  for (const text of texts) {
    chunk += `${text}\n`;
    if (chunk.length > 256 * 1024) {
      const ok = res.write(chunk);
      chunk = '';
      if (!ok) await new Promise((r) => res.once('drain', r));
      if (res.destroyed) return;
    }
  }
  res.end(chunk);
}
