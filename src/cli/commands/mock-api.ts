import { ConfigError } from '../../config/settings.js';
import type { CommandContext } from '../context.js';
import { nextSignal } from '../signals.js';

/** `mock-api`: serve the Stripe-like mock API until SIGINT/SIGTERM. */
export default async function mockApi(
  opts: Record<string, string | undefined>,
  ctx: CommandContext,
): Promise<number> {
  const { parseMockOptions, startMockApi } = await import('../../mock/index.js');
  let options: ReturnType<typeof parseMockOptions>;
  try {
    options = parseMockOptions(opts, process.env);
  } catch (err) {
    // A bad flag or MOCK_… variable is bad usage (exit 2), named by the mock's own message.
    throw new ConfigError((err as Error).message);
  }
  const api = await startMockApi(options);
  ctx.logger.info(
    { url: api.url, preset: options.preset, seed: options.seed },
    `mock API listening on ${api.url}`,
  );
  await nextSignal();
  await api.close();
  return 0;
}
