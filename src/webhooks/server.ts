import { isUtf8 } from 'node:buffer';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyInstance,
  LogController,
} from 'fastify';
import { isStripeEvent, type StripeEvent } from '../bronze/from-event.js';
import { ConfigError, type Settings } from '../config/settings.js';
import type { Logger } from '../obs/logger.js';
import { eventProblem, jsonDepthExceeds, MAX_JSON_DEPTH } from '../quarantine/readable.js';
import type { ObjectStore } from '../storage/object-store.js';
import { storeWebhookEvent } from './event-store.js';
import { SignatureVerificationError, verifyStripeSignature } from './verify.js';

/** The receiver's route, as configured in Stripe's dashboard. */
export const WEBHOOK_PATH = '/webhooks/stripe';

export interface WebhookServerOptions {
  readonly store: ObjectStore;
  readonly settings: Settings;
  readonly logger: Logger;
  /** One per server start; stamped as `meta.run_id` on every stored event. */
  readonly runId: string;
  /** The receiver's clock in milliseconds (tests move it); default `Date.now`. */
  readonly now?: () => number;
  /**
   * How long one connection may sit idle, or take to send one request's headers and body, before
   * it is cut (SPEC 15: a stalled client is cut within 30 s); default {@link WEBHOOK_IDLE_TIMEOUT_MS}.
   */
  readonly idleTimeoutMs?: number;
}

/** The receiver's per-connection time bound, ms. */
export const WEBHOOK_IDLE_TIMEOUT_MS = 20_000;

/** Largest request head accepted, bytes (Stripe's headers are a few hundred bytes). */
const MAX_HEADER_BYTES = 16 * 1024;

/** A 400 for a body that is not an event. */
class BadEventError extends Error {
  override readonly name = 'BadEventError';
}

/**
 * Fails closed: verification on without a secret must not start a receiver that accepts nothing
 * (or, worse, everything). Throws `ConfigError` (exit 2).
 */
export function assertWebhookSettings(settings: Settings): void {
  if (settings.VERIFY_WEBHOOK_SIGNATURES && settings.WEBHOOK_SECRET.length === 0) {
    throw new ConfigError(
      'VERIFY_WEBHOOK_SIGNATURES=true needs WEBHOOK_SECRET (the endpoint secret whsec_..., comma-separated during rotation)',
    );
  }
}

/**
 * Parses the raw body into an event, or throws a {@link BadEventError} saying what is wrong: not
 * UTF-8, not JSON, nested deeper than 64 levels, not an event, or an event that no transform
 * could read (SPEC 15: a bad `created`, a lone surrogate, `data.object` not an object), which once
 * stored would fail every later transform. `nowSeconds` is the receiver's clock.
 */
export function parseEventBody(raw: Buffer, nowSeconds = Math.floor(Date.now() / 1000)): StripeEvent {
  if (!isUtf8(raw)) throw new BadEventError('body is not valid UTF-8');
  // Counted on the bytes before parsing: a deep body is refused without building it.
  if (jsonDepthExceeds(raw, MAX_JSON_DEPTH)) {
    throw new BadEventError(`body nests deeper than ${MAX_JSON_DEPTH} levels`);
  }
  let value: unknown;
  try {
    value = JSON.parse(raw.toString('utf8'));
  } catch {
    throw new BadEventError('body is not JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new BadEventError('body is not a JSON object');
  }
  const v = value as Record<string, unknown>;
  if (typeof v.id !== 'string' || v.id.length === 0) throw new BadEventError('event has no string id');
  if (typeof v.type !== 'string') throw new BadEventError('event has no string type');
  // Stricter than "an object with id and type": the Bronze record needs `created` (its version
  // time) and `data.object`, which every Stripe event has.
  if (!isStripeEvent(value)) throw new BadEventError('event lacks a numeric created or a data.object');
  const problem = eventProblem(value, nowSeconds);
  if (problem) throw new BadEventError(`event ${problem}`);
  return value;
}

/**
 * The webhook receiver of SPEC section 11 as a Fastify app (not listening; use `inject` or
 * {@link startWebhookServer}): `POST /webhooks/stripe` verifies the signature over the raw body,
 * stores the event once in Bronze and answers `{received, event_id, duplicate}`; `GET /health`.
 * Throws `ConfigError` when verification is on without a secret.
 *
 * @example
 * const app = createWebhookServer({ store, settings, logger, runId });
 * const res = await app.inject({ method: 'POST', url: '/webhooks/stripe', payload, headers });
 */
export function createWebhookServer(opts: WebhookServerOptions): FastifyInstance {
  const { store, settings, runId } = opts;
  assertWebhookSettings(settings);
  const now = opts.now ?? Date.now;
  const logger = opts.logger.child({ component: 'webhooks' });
  if (!settings.VERIFY_WEBHOOK_SIGNATURES) {
    logger.warn(
      settings.WEBHOOK_SECRET.length === 0
        ? 'webhook signatures are NOT verified (no WEBHOOK_SECRET set): anyone can post events'
        : 'webhook signatures are NOT verified (VERIFY_WEBHOOK_SIGNATURES=false): anyone can post events',
    );
  }

  const idleMs = opts.idleTimeoutMs ?? WEBHOOK_IDLE_TIMEOUT_MS;
  const app = Fastify({
    bodyLimit: settings.WEBHOOK_MAX_BYTES,
    // Bounded connections (Fastify's defaults are 0, "forever"): a client that stalls before or
    // while sending its request, or idles after it, is cut; close() cuts whatever is still open.
    connectionTimeout: idleMs,
    requestTimeout: idleMs,
    keepAliveTimeout: Math.min(5_000, idleMs),
    forceCloseConnections: true,
    http: {
      headersTimeout: idleMs,
      requestTimeout: idleMs,
      maxHeaderSize: MAX_HEADER_BYTES,
      // Node checks the two timeouts above on this interval (default 30 s, which would double them).
      connectionsCheckingInterval: Math.max(100, Math.floor(idleMs / 10)),
    },
    // Fastify's per-request lines would double ours; ours never carry headers (the signature).
    logController: new LogController({ disableRequestLogging: true }),
    loggerInstance: logger as FastifyBaseLogger,
  });

  // The signature covers the exact bytes sent, so no parser may touch them: keep the Buffer.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));

  app.setErrorHandler((err: FastifyError, req, reply) => {
    const status = err.statusCode ?? 500;
    if (status >= 500) {
      req.log.error({ err: { message: err.message, name: err.name } }, 'webhook request failed');
      return reply.code(500).send({ error: 'internal_error', message: 'internal error; retry later' });
    }
    const code = status === 413 ? 'payload_too_large' : 'bad_request';
    return reply.code(status).send({ error: code, message: err.message });
  });

  app.get('/health', async () => ({ status: 'ok' }));

  app.post(WEBHOOK_PATH, async (req, reply) => {
    const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const nowMs = now();
    if (settings.VERIFY_WEBHOOK_SIGNATURES) {
      const header = req.headers['stripe-signature'];
      try {
        verifyStripeSignature({
          rawBody: raw,
          header: Array.isArray(header) ? header.join(',') : header,
          secrets: settings.WEBHOOK_SECRET,
          toleranceSeconds: settings.WEBHOOK_TOLERANCE_SECONDS,
          nowSeconds: Math.floor(nowMs / 1000),
        });
      } catch (err) {
        if (!(err instanceof SignatureVerificationError)) throw err;
        req.log.warn({ reason: err.reason }, 'webhook rejected: signature verification failed');
        return reply
          .code(400)
          .send({ error: 'signature_verification_failed', reason: err.reason, message: err.message });
      }
    }
    let event: StripeEvent;
    try {
      event = parseEventBody(raw, Math.floor(nowMs / 1000));
    } catch (err) {
      if (!(err instanceof BadEventError)) throw err;
      req.log.warn({ reason: err.message }, 'webhook rejected: not an event');
      return reply.code(400).send({ error: 'invalid_event', message: err.message });
    }
    const result = await storeWebhookEvent(store, event, { runId, nowMs });
    req.log.debug(
      { event_id: event.id, type: event.type, key: result.key, duplicate: result.duplicate },
      'webhook stored',
    );
    return reply.code(200).send({ received: true, event_id: event.id, duplicate: result.duplicate });
  });

  return app;
}

/** A listening receiver. */
export interface RunningWebhookServer {
  /** `http://host:port`, with the port actually bound (when asked for 0). */
  readonly url: string;
  /** Stops accepting, lets requests in flight finish, then closes. */
  close(): Promise<void>;
}

/**
 * Starts {@link createWebhookServer} on `host:port` (port 0 = a free one).
 *
 * @example
 * const srv = await startWebhookServer({ store, settings, logger, runId, host: '127.0.0.1', port: 0 });
 * // POST `${srv.url}/webhooks/stripe` ... then:
 * await srv.close();
 */
export async function startWebhookServer(
  opts: WebhookServerOptions & { host: string; port: number },
): Promise<RunningWebhookServer> {
  const app = createWebhookServer(opts);
  await app.listen({ host: opts.host, port: opts.port });
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : opts.port;
  const host = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
  return { url: `http://${host}:${port}`, close: () => app.close() };
}
