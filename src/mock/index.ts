import { MockClock } from './clock.js';
import { Dataset } from './dataset/dataset.js';
import { Faults } from './http/faults.js';
import { createMockServer, listen } from './http/server.js';
import { WebhookSender, type WebhookStats } from './http/webhook-sender.js';
import {
  DEFAULT_HOST,
  DEFAULT_PORT,
  DEFAULT_SEED,
  type MockOptions,
  type MockVolume,
  resolveVolume,
} from './options.js';

/**
 * The Stripe-compatible mock API (SPEC 4.2): a deterministic, time-evolving dataset served with
 * Stripe's wire semantics, plus the `/_mock` control API.
 */

export { ApiError } from './api-error.js';
export { MockClock } from './clock.js';
export { Dataset } from './dataset/dataset.js';
export { MOCK_API_VERSION } from './dataset/render/event.js';
export { EVENT_RETENTION_SECONDS } from './dataset/versions.js';
export type { FaultConfig } from './http/faults.js';
export { signatureHeader, type WebhookStats, type WebhookTarget } from './http/webhook-sender.js';
export {
  MOCK_PRESETS,
  MockOptionError,
  type MockOptions,
  type MockPreset,
  type MockVolume,
  parseMockOptions,
  resolveVolume,
} from './options.js';

/** A running mock API. */
export interface MockApi {
  /** Base URL, e.g. `http://127.0.0.1:8000` (use as `API_BASE_URL`). */
  readonly url: string;
  readonly port: number;
  readonly seed: number;
  readonly volume: MockVolume;
  /** The dataset (indexes, `list`, `retrieve`, `truth`). */
  readonly dataset: Dataset;
  /** Milliseconds from call to listening (index build included). */
  readonly startupMs: number;
  /** The mock clock, unix seconds. */
  now(): number;
  setNow(t: number): void;
  advance(seconds: number): void;
  /** Webhook delivery counters. */
  webhookDeliveries(): WebhookStats;
  /** Resolves when every queued webhook delivery has succeeded or been given up. */
  drainWebhooks(): Promise<WebhookStats>;
  /** Stops the server, webhook deliveries and timers. */
  close(): Promise<void>;
}

/**
 * Builds the dataset's indexes and starts the server (a free port with `port: 0`).
 *
 * @example
 * const mock = await startMockApi({ preset: 'tiny', now: 1767225600, port: 0 });
 * const stripe = new Stripe('sk_test_x', { host: '127.0.0.1', port: mock.port, protocol: 'http' });
 * await mock.close();
 */
export async function startMockApi(options: MockOptions = {}): Promise<MockApi> {
  const started = performance.now();
  const host = options.host ?? DEFAULT_HOST;
  const seed = options.seed ?? DEFAULT_SEED;
  const volume = resolveVolume(options);
  const clock = new MockClock(options.now);
  const dataset = new Dataset(seed, volume, clock.now(), options.embeddedListLimit);
  if (options.oldVersionShare !== undefined) dataset.oldVersionShare = options.oldVersionShare;
  const faults = new Faults();
  const webhooks = new WebhookSender(dataset, clock);
  const server = createMockServer({ dataset, clock, faults, webhooks });
  const port = await listen(server, host, options.port ?? DEFAULT_PORT);
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  const startupMs = performance.now() - started;
  if (!options.quiet) {
    process.stderr.write(
      `mock API listening on ${url} (seed ${seed}, ${volume.days} days, ${volume.chargesPerDay} charges/day, ` +
        `${clock.frozen ? `clock frozen at ${new Date(clock.now() * 1000).toISOString()}` : 'wall clock'}, ` +
        `started in ${Math.round(startupMs)} ms)\n`,
    );
  }
  let closing: Promise<void> | null = null;
  return {
    url,
    port,
    seed,
    volume,
    dataset,
    startupMs,
    now: () => clock.now(),
    setNow: (t) => clock.setNow(t),
    advance: (s) => clock.advance(s),
    webhookDeliveries: () => webhooks.stats(),
    drainWebhooks: () => webhooks.drain(),
    close: () => {
      closing ??= (async () => {
        await webhooks.close();
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeIdleConnections();
          // Connections mid-request (e.g. a long truth stream) get a moment, then are cut.
          setTimeout(() => server.closeAllConnections(), 1000).unref();
        });
      })();
      return closing;
    },
  };
}
