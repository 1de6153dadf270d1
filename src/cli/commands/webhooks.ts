import { ConfigError } from '../../config/settings.js';
import type { CommandContext } from '../context.js';
import { nextSignal } from '../signals.js';
import { storeFor } from '../store.js';

export interface WebhooksOptions {
  host?: string;
  port?: string;
}

/** `--port` as a TCP port (0 = any free one); a ConfigError (exit 2) otherwise. */
export function parsePort(value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!/^\d{1,5}$/.test(value.trim()) || Number(value) > 65535) {
    throw new ConfigError(`--port: invalid value "${value}"; accepts an integer from 0 to 65535`);
  }
  return Number(value);
}

/**
 * `webhooks`: serve the webhook receiver (SPEC section 11) on `--host` (127.0.0.1) and `--port`
 * (8001) until SIGINT or SIGTERM, then stop accepting, finish the requests in flight and exit 0.
 * Verification on without `WEBHOOK_SECRET` throws ConfigError (exit 2) before listening.
 */
export default async function webhooks(opts: WebhooksOptions, ctx: CommandContext): Promise<number> {
  const { startWebhookServer } = await import('../../webhooks/server.js');
  const port = parsePort(opts.port, 8001);
  const host = opts.host ?? '127.0.0.1';
  const s = ctx.settings;
  const store = storeFor(ctx);
  const server = await startWebhookServer({
    store,
    settings: s,
    logger: ctx.logger,
    runId: ctx.runId,
    host,
    port,
  });
  ctx.logger.info(
    {
      url: `${server.url}/webhooks/stripe`,
      store: store.root,
      verify: s.VERIFY_WEBHOOK_SIGNATURES,
      secrets: s.WEBHOOK_SECRET.length,
    },
    `webhook receiver listening on ${server.url}/webhooks/stripe`,
  );
  const signal = await nextSignal();
  ctx.logger.info({ signal }, 'webhook receiver stopping');
  await server.close();
  return 0;
}
