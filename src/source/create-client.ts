import type { Settings } from '../config/settings.js';
import type { Logger } from '../obs/logger.js';
import { RequestLimiter } from './request-limiter.js';
import { StripeClient } from './stripe-client.js';

/** The source client as the settings configure it: one shared limiter, keep-alive connections. */
export function createStripeClient(opts: {
  settings: Settings;
  logger: Logger;
  baseUrl: string;
  apiKey: string;
  rateLimitRps?: number;
}): StripeClient {
  const { settings, logger } = opts;
  return new StripeClient({
    baseUrl: opts.baseUrl,
    apiKey: opts.apiKey,
    apiVersion: settings.STRIPE_API_VERSION,
    timeoutMs: settings.HTTP_TIMEOUT_MS,
    maxRetries: settings.MAX_RETRIES,
    limiter: new RequestLimiter({
      concurrency: settings.EXTRACT_CONCURRENCY,
      ...(opts.rateLimitRps !== undefined ? { ratePerSecond: opts.rateLimitRps } : {}),
    }),
    connections: settings.EXTRACT_CONCURRENCY,
    // Every retry at warn: a run slowed by a struggling source must say so (SPEC 15).
    onRetry: (r) => logger.warn(r, `retrying ${r.path} in ${r.delayMs} ms (${r.reason})`),
  });
}
