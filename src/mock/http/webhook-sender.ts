import { createHmac } from 'node:crypto';
import { Agent, request } from 'undici';
import type { MockClock } from '../clock.js';
import type { Dataset } from '../dataset/dataset.js';

/**
 * Delivers the dataset's new events as signed webhooks, as Stripe does: each event created
 * after registration (as the clock moves) is POSTed with `Stripe-Signature`, some twice and in
 * shuffled order when asked, and retried with exponential backoff when the receiver fails.
 */

export interface WebhookTarget {
  url: string;
  secret: string;
  /** Share of events delivered twice (0–1). */
  duplicate_rate: number;
  /** Deliver each batch of new events in random order. */
  shuffle: boolean;
  /** Attempts per delivery before giving up. */
  max_attempts: number;
}

export interface WebhookStats {
  /** Deliveries queued (events plus duplicates). */
  queued: number;
  /** Deliveries the receiver answered 2xx. */
  delivered: number;
  /** Deliveries abandoned after `max_attempts`. */
  failed: number;
  /** HTTP attempts made, retries included. */
  attempts: number;
  /** Extra copies queued by `duplicate_rate`. */
  duplicates: number;
  /** Deliveries still queued, waiting to retry or in flight. */
  pending: number;
}

/** Invalid webhook registration. */
export class WebhookTargetError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WebhookTargetError';
  }
}

/** Validates a `POST /_mock/webhooks` body. */
export function parseWebhookTarget(body: Record<string, unknown>): WebhookTarget {
  const { url, secret } = body;
  if (typeof url !== 'string' || !/^https?:\/\//.test(url))
    throw new WebhookTargetError('url: an http(s) URL is required');
  if (typeof secret !== 'string' || secret === '')
    throw new WebhookTargetError('secret: a non-empty string is required');
  const dup = body['duplicate_rate'] ?? 0;
  if (typeof dup !== 'number' || dup < 0 || dup > 1)
    throw new WebhookTargetError('duplicate_rate: a number from 0 to 1');
  const shuffle = body['shuffle'] ?? false;
  if (typeof shuffle !== 'boolean') throw new WebhookTargetError('shuffle: a boolean');
  const max = body['max_attempts'] ?? 6;
  if (typeof max !== 'number' || !Number.isInteger(max) || max < 1)
    throw new WebhookTargetError('max_attempts: an integer >= 1');
  return { url, secret, duplicate_rate: dup, shuffle, max_attempts: max };
}

/** Stripe's signature header for `body` at unix time `t`. */
export function signatureHeader(secret: string, t: number, body: string): string {
  const v1 = createHmac('sha256', secret).update(`${t}.${body}`).digest('hex');
  return `t=${t},v1=${v1}`;
}

interface Delivery {
  body: string;
  attempts: number;
}

const CONCURRENCY = 8;
const POLL_MS = 500;

export class WebhookSender {
  private target: WebhookTarget | null = null;
  private cursor = 0;
  private queue: Delivery[] = [];
  private inFlight = 0;
  private readonly timers = new Set<NodeJS.Timeout>();
  private poll: NodeJS.Timeout | null = null;
  private unsubscribe: (() => void) | null = null;
  private waiters: (() => void)[] = [];
  private readonly agent = new Agent({ keepAliveTimeout: 2000, connections: CONCURRENCY });
  private counters = { queued: 0, delivered: 0, failed: 0, attempts: 0, duplicates: 0 };

  constructor(
    private readonly dataset: Dataset,
    private readonly clock: MockClock,
    private readonly random: () => number = Math.random,
  ) {}

  get active(): WebhookTarget | null {
    return this.target;
  }

  stats(): WebhookStats {
    const waiting = this.timers.size;
    return { ...this.counters, pending: this.queue.length + this.inFlight + waiting };
  }

  /** Starts delivering every event created after the clock's current time. */
  start(target: WebhookTarget): void {
    this.stop();
    this.target = target;
    this.cursor = this.clock.now();
    this.counters = { queued: 0, delivered: 0, failed: 0, attempts: 0, duplicates: 0 };
    this.unsubscribe = this.clock.onChange(() => this.pump());
    if (!this.clock.frozen) {
      this.poll = setInterval(() => this.pump(), POLL_MS);
      this.poll.unref();
    }
  }

  /** Stops delivering and drops what is queued. */
  stop(): void {
    this.target = null;
    this.unsubscribe?.();
    this.unsubscribe = null;
    if (this.poll) clearInterval(this.poll);
    this.poll = null;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.queue = [];
    this.settle();
  }

  /** Resolves once nothing is queued, waiting for a retry, or in flight. */
  drain(): Promise<WebhookStats> {
    this.pump();
    if (this.stats().pending === 0) return Promise.resolve(this.stats());
    return new Promise((resolve) => this.waiters.push(() => resolve(this.stats())));
  }

  async close(): Promise<void> {
    this.stop();
    await this.agent.close();
  }

  /** Queues the events created since the last pump. */
  pump(): void {
    const target = this.target;
    if (!target) return;
    const now = this.clock.now();
    if (now <= this.cursor) return;
    const batch: Delivery[] = [];
    for (const body of this.dataset.eventsBetween(this.cursor, now)) {
      batch.push({ body, attempts: 0 });
      if (this.random() < target.duplicate_rate) {
        batch.push({ body, attempts: 0 });
        this.counters.duplicates++;
      }
    }
    this.cursor = now;
    if (target.shuffle) {
      for (let k = batch.length - 1; k > 0; k--) {
        const j = Math.floor(this.random() * (k + 1));
        [batch[k], batch[j]] = [batch[j]!, batch[k]!];
      }
    }
    this.counters.queued += batch.length;
    this.queue.push(...batch);
    this.kick();
  }

  private kick(): void {
    while (this.target && this.inFlight < CONCURRENCY && this.queue.length > 0) {
      const d = this.queue.shift()!;
      this.inFlight++;
      void this.send(this.target, d).finally(() => {
        this.inFlight--;
        this.kick();
        this.settle();
      });
    }
  }

  private async send(target: WebhookTarget, d: Delivery): Promise<void> {
    d.attempts++;
    this.counters.attempts++;
    let ok = false;
    try {
      // Signed with the wall clock, as receivers check the timestamp against their own clock.
      const t = Math.floor(Date.now() / 1000);
      const res = await request(target.url, {
        method: 'POST',
        dispatcher: this.agent,
        headers: {
          'content-type': 'application/json; charset=utf-8',
          'stripe-signature': signatureHeader(target.secret, t, d.body),
          'user-agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)',
        },
        body: d.body,
        headersTimeout: 10_000,
        bodyTimeout: 10_000,
      });
      await res.body.dump();
      ok = res.statusCode >= 200 && res.statusCode < 300;
    } catch {
      ok = false;
    }
    if (ok) {
      this.counters.delivered++;
      return;
    }
    if (d.attempts >= target.max_attempts || this.target !== target) {
      this.counters.failed++;
      return;
    }
    const wait = Math.min(5000, 100 * 2 ** (d.attempts - 1));
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (this.target !== target) return;
      this.queue.push(d);
      this.kick();
      this.settle();
    }, wait);
    this.timers.add(timer);
  }

  private settle(): void {
    if (this.stats().pending > 0 || this.waiters.length === 0) return;
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }
}
