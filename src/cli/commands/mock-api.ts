import type { CommandContext } from '../context.js';

/** `mock-api`: serve the Stripe-like mock API until SIGINT/SIGTERM. */
export default async function mockApi(
  opts: Record<string, string | undefined>,
  ctx: CommandContext,
): Promise<number> {
  const { parseMockOptions, startMockApi } = await import('../../mock/index.js');
  const options = parseMockOptions(opts, process.env);
  const api = await startMockApi(options);
  ctx.logger.info(
    { url: api.url, preset: options.preset, seed: options.seed },
    `mock API listening on ${api.url}`,
  );
  await waitForSignal();
  await api.close();
  return 0;
}

/** Resolves on the first SIGINT or SIGTERM. */
export function waitForSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const on = (sig: NodeJS.Signals) => {
      process.off('SIGINT', on);
      process.off('SIGTERM', on);
      resolve(sig);
    };
    process.on('SIGINT', on);
    process.on('SIGTERM', on);
  });
}
