import { isUtf8 } from 'node:buffer';
import { Pool } from 'undici';
import {
  type BackoffOptions,
  backoffDelayMs,
  DEFAULT_BACKOFF,
  isRetryableStatus,
  parseRetryAfter,
} from './backoff.js';
import {
  ApiKeyRejectedError,
  ProtocolError,
  RetriesExhaustedError,
  StripeApiError,
  type StripeErrorBody,
} from './errors.js';
import { scanList } from './list-scan.js';
import { type RequestLimiter, sleep } from './request-limiter.js';

/** One list element as bytes: its JSON (one line) and the two fields that route it. */
export interface RawItem {
  readonly id: string | undefined;
  /** Its top-level `created` when that is a number. */
  readonly created: number | undefined;
  /** Its top-level `type` when that is a string (an event's type). */
  readonly type: string | undefined;
  /** Its top-level `status` when that is a string (undefined also when the scan could not read it). */
  readonly status?: string | undefined;
  /** The element's JSON: exactly as sent when the body was compact, else re-serialised compactly. */
  readonly json: Buffer;
  /**
   * True when the fields above do not vouch for the element (the body was parsed, or the scan saw a
   * surrogate escape or an odd `created`): the caller checks it before it goes to Bronze.
   */
  readonly suspect: boolean;
  /** The parsed element, when the body was parsed (so a check need not parse it again). */
  readonly value?: unknown;
}

/** One page of a Stripe list, its elements as bytes (`listRawPage`). */
export interface RawListPage {
  readonly items: readonly RawItem[];
  readonly hasMore: boolean;
  readonly sourceTime: number;
  readonly retries: number;
}

/** Query values of a list call; arrays repeat the key (`types[]=a&types[]=b`). */
export type ListParams = Readonly<Record<string, string | number | readonly string[] | undefined>>;

export interface StripeClientOptions {
  /** e.g. `https://api.stripe.com` or `http://127.0.0.1:8000` (no trailing slash needed). */
  readonly baseUrl: string;
  readonly apiKey: string;
  /** Sent as `Stripe-Version` when set. */
  readonly apiVersion?: string;
  /** Per request (headers and body each), `HTTP_TIMEOUT_MS`. */
  readonly timeoutMs: number;
  /** Retries per request for 429, 5xx, network errors and timeouts (`MAX_RETRIES`). */
  readonly maxRetries: number;
  /** The run's shared limiter (concurrency and rate). */
  readonly limiter: RequestLimiter;
  /** Keep-alive connections to the API; the limiter's concurrency. */
  readonly connections: number;
  readonly backoff?: BackoffOptions;
  /** Randomness of the jitter (tests pin it). */
  readonly random?: () => number;
  /** Told about each retry, for logs. */
  readonly onRetry?: (info: {
    entity: string;
    path: string;
    attempt: number;
    delayMs: number;
    reason: string;
  }) => void;
}

/**
 * Stripe's list protocol over keep-alive HTTP: bearer key, `Stripe-Version`, `limit` /
 * `starting_after` / `created[...]`, `{data, has_more}`, retries with full-jitter backoff that
 * honours `Retry-After`, typed errors for everything else.
 *
 * @example
 * const client = new StripeClient({ baseUrl, apiKey, timeoutMs: 30_000, maxRetries: 8,
 *   limiter: new RequestLimiter({ concurrency: 8 }), connections: 8 });
 * const page = await client.listRawPage('charges', '/v1/charges', { limit: 100, 'created[gte]': 0 });
 */
export class StripeClient {
  private readonly pool: Pool;
  private readonly prefix: string;
  private readonly headers: Record<string, string>;

  constructor(private readonly opts: StripeClientOptions) {
    const url = new URL(opts.baseUrl);
    this.pool = new Pool(url.origin, {
      connections: opts.connections,
      pipelining: 1,
      headersTimeout: opts.timeoutMs,
      bodyTimeout: opts.timeoutMs,
      connectTimeout: Math.min(opts.timeoutMs, 10_000),
    });
    this.prefix = url.pathname.replace(/\/+$/, '');
    this.headers = {
      authorization: `Bearer ${opts.apiKey}`,
      accept: 'application/json',
      'user-agent': 'payments-pipeline',
      ...(opts.apiVersion ? { 'stripe-version': opts.apiVersion } : {}),
    };
  }

  /**
   * Fetches one page of `endpoint` (e.g. `/v1/charges`), retrying transient failures. Each element
   * comes as its JSON bytes with its `id` and `created`, found by one scan of the body (`scanList`)
   * without decoding or parsing it; a body the scan cannot vouch for (pretty-printed, as Stripe's
   * own) is parsed and each element serialised again.
   */
  async listRawPage(
    entity: string,
    endpoint: string,
    params: ListParams,
    signal?: AbortSignal,
  ): Promise<RawListPage> {
    const path = `${this.prefix}${endpoint}`;
    const { bytes, sourceTime, retries } = await this.get(
      entity,
      path,
      `${path}?${buildQuery(params)}`,
      signal,
    );
    const scanned = scanList(bytes);
    if (scanned) {
      const items = scanned.items.map((it) => ({
        id: it.id,
        created: it.created,
        type: it.type,
        status: it.status,
        json: bytes.subarray(it.start, it.end),
        suspect: it.suspect,
      }));
      return { items, hasMore: scanned.hasMore, sourceTime, retries };
    }
    const { data, hasMore } = parseList(entity, path, bytes);
    const items = data.map((obj) => ({
      id: typeof obj?.id === 'string' ? obj.id : undefined,
      created: typeof obj?.created === 'number' ? obj.created : undefined,
      type: typeof obj?.type === 'string' ? obj.type : undefined,
      status: typeof obj?.status === 'string' ? obj.status : undefined,
      json: Buffer.from(JSON.stringify(obj) ?? 'null'),
      suspect: true,
      value: obj as unknown,
    }));
    return { items, hasMore, sourceTime, retries };
  }

  /**
   * Retrieves one object by id (`GET /v1/customers/cus_…`); `undefined` when the API says it does
   * not exist (404 `resource_missing`). A deleted object comes back as Stripe shows it:
   * `{id, object, deleted: true}`.
   */
  async retrieve(
    entity: string,
    endpoint: string,
    id: string,
    signal?: AbortSignal,
  ): Promise<{ object: Record<string, unknown>; sourceTime: number; retries: number } | undefined> {
    const path = `${this.prefix}${endpoint}/${encodeURIComponent(id)}`;
    try {
      const { bytes, sourceTime, retries } = await this.get(entity, path, path, signal);
      const body = parseJson(bytes.toString('utf8'));
      if (typeof body !== 'object' || body === null || typeof (body as { id?: unknown }).id !== 'string') {
        throw new ProtocolError(entity, path, 'expected a JSON object with a string "id"');
      }
      return { object: body as Record<string, unknown>, sourceTime, retries };
    } catch (err) {
      if (err instanceof StripeApiError && err.status === 404) return undefined;
      throw err;
    }
  }

  /** One GET with retries: the body of a 200 answer and the source's clock. */
  private async get(
    entity: string,
    path: string,
    url: string,
    signal?: AbortSignal,
  ): Promise<{ bytes: Buffer; sourceTime: number; retries: number }> {
    const random = this.opts.random ?? Math.random;
    const backoff = this.opts.backoff ?? DEFAULT_BACKOFF;
    let retries = 0;
    for (;;) {
      const outcome = await this.opts.limiter.run(() => this.attempt(entity, path, url, signal), signal);
      if (outcome.kind === 'ok') return { bytes: outcome.bytes, sourceTime: outcome.sourceTime, retries };
      if (retries >= this.opts.maxRetries) {
        throw new RetriesExhaustedError(entity, path, retries + 1, outcome.status, outcome.reason);
      }
      const delayMs = backoffDelayMs(retries, backoff, random, outcome.retryAfterMs);
      this.opts.onRetry?.({ entity, path, attempt: retries + 1, delayMs, reason: outcome.reason });
      retries++;
      await sleep(delayMs, signal);
    }
  }

  /** One HTTP exchange: a 200 body, a retryable failure, or a thrown typed error. */
  private async attempt(
    entity: string,
    path: string,
    url: string,
    signal?: AbortSignal,
  ): Promise<
    | { kind: 'ok'; bytes: Buffer; sourceTime: number }
    | { kind: 'retry'; status?: number; retryAfterMs?: number; reason: string }
  > {
    let res: Awaited<ReturnType<Pool['request']>>;
    let bytes: Buffer;
    try {
      res = await this.pool.request({ method: 'GET', path: url, headers: this.headers, signal });
      const u8 = await res.body.bytes();
      bytes = Buffer.from(u8.buffer, u8.byteOffset, u8.byteLength);
    } catch (err) {
      if (signal?.aborted) throw signal.reason;
      return { kind: 'retry', reason: `network error: ${(err as Error).message ?? String(err)}` };
    }
    const status = res.statusCode;
    if (status === 200) return { kind: 'ok', bytes, sourceTime: sourceTime(res.headers.date) };
    const stripe = ((parseJson(bytes.toString('utf8')) as { error?: StripeErrorBody })?.error ??
      {}) as StripeErrorBody;
    if (isRetryableStatus(status)) {
      const retryAfter = res.headers['retry-after'];
      return {
        kind: 'retry',
        status,
        retryAfterMs: parseRetryAfter(Array.isArray(retryAfter) ? retryAfter[0] : retryAfter, Date.now()),
        reason: `HTTP ${status}${stripe.message ? `: ${stripe.message}` : ''}`,
      };
    }
    if (status === 401) throw new ApiKeyRejectedError(entity, path, stripe);
    throw new StripeApiError(status, entity, path, stripe);
  }

  /** Closes the keep-alive connections. */
  async close(): Promise<void> {
    await this.pool.close();
  }
}

/** `k=v&...` with Stripe's bracketed keys left readable (`created[gte]=1`), values encoded. */
export function buildQuery(params: ListParams): string {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined) continue;
    const key = encodeURIComponent(k).replace(/%5B/g, '[').replace(/%5D/g, ']');
    if (Array.isArray(v)) for (const x of v) parts.push(`${key}=${encodeURIComponent(x)}`);
    else parts.push(`${key}=${encodeURIComponent(String(v))}`);
  }
  return parts.join('&');
}

/** The `Date` header as Unix seconds; the local clock when absent or unreadable. */
export function sourceTime(date: string | string[] | undefined): number {
  const v = Array.isArray(date) ? date[0] : date;
  const ms = v ? Date.parse(v) : Number.NaN;
  return Math.floor((Number.isNaN(ms) ? Date.now() : ms) / 1000);
}

/** A list body's `data` and `has_more`, or a `ProtocolError` that says what is wrong. */
function parseList(
  entity: string,
  path: string,
  bytes: Buffer,
): { data: Record<string, unknown>[]; hasMore: boolean } {
  // Decoding would silently replace the bad bytes (and change ids and text): refuse instead.
  if (!isUtf8(bytes)) throw new ProtocolError(entity, path, 'the response body is not valid UTF-8');
  const body = parseJson(bytes.toString('utf8'));
  if (body === undefined) throw new ProtocolError(entity, path, 'the response body is not JSON');
  const data = (body as { data?: unknown })?.data;
  const hasMore = (body as { has_more?: unknown })?.has_more;
  if (!Array.isArray(data) || typeof hasMore !== 'boolean') {
    throw new ProtocolError(entity, path, 'expected a JSON list object with "data" and "has_more"');
  }
  return { data: data as Record<string, unknown>[], hasMore };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
