import { ConfigError, effectiveRateLimit } from '../config/settings.js';
import type { CommandContext } from './context.js';

/** Where extraction reads from: the configured API, or the embedded mock API. */
export interface ResolvedSource {
  readonly baseUrl: string;
  readonly apiKey: string;
  readonly rateLimitRps: number | undefined;
  readonly embedded: boolean;
  /** What the run manifest records as its source: the URL without credentials, or the mock's preset and seed. */
  readonly description: Record<string, unknown>;
  close(): Promise<void>;
}

/** A URL without user, password, query or fragment (a key in a URL must never reach a manifest). */
export function urlWithoutCredentials(raw: string): string {
  try {
    const u = new URL(raw);
    u.username = '';
    u.password = '';
    u.search = '';
    u.hash = '';
    return u.href;
  } catch {
    return '(not a URL)';
  }
}

/** The key the embedded mock is called with (it accepts any `sk_test_` key). */
const EMBEDDED_KEY = 'sk_test_embedded_mock';

/**
 * The source settings a run needs, checked before it takes the lock or writes anything (SPEC 15):
 * `API_KEY` with `API_BASE_URL`, and `API_BASE_URL` itself in AWS. Throws ConfigError (exit 2).
 */
export function assertSourceSettings(settings: CommandContext['settings']): void {
  if (settings.API_BASE_URL && !settings.API_KEY)
    throw new ConfigError('API_KEY: required when API_BASE_URL is set (a Stripe secret key sk_…)');
  if (!settings.API_BASE_URL && settings.PIPELINE_ENV === 'AWS') {
    throw new ConfigError('API_BASE_URL: required when PIPELINE_ENV=AWS (e.g. https://api.stripe.com)');
  }
}

/**
 * Resolves the source API. With no `API_BASE_URL` in LOCAL, starts the mock API in-process on a
 * free loopback port (the `demo` preset on the wall clock unless `MOCK_…` variables say otherwise)
 * and says so in one log line. In AWS, `API_BASE_URL` is required.
 */
export async function resolveSource(ctx: CommandContext): Promise<ResolvedSource> {
  const { settings, logger } = ctx;
  assertSourceSettings(settings);
  if (settings.API_BASE_URL) {
    return {
      baseUrl: settings.API_BASE_URL,
      apiKey: settings.API_KEY ?? '',
      rateLimitRps: effectiveRateLimit(settings, false),
      embedded: false,
      description: { kind: 'api', url: urlWithoutCredentials(settings.API_BASE_URL) },
      close: async () => {},
    };
  }
  const { parseMockOptions, startMockApi } = await import('../mock/index.js');
  const { DEFAULT_SEED } = await import('../mock/options.js');
  const options = parseMockOptions({}, { MOCK_PRESET: 'demo', ...process.env });
  const mock = await startMockApi({ ...options, host: '127.0.0.1', port: 0, quiet: true });
  logger.info(
    { mock_url: mock.url, preset: options.preset ?? 'custom', seed: options.seed },
    `no API_BASE_URL set: using the embedded mock API at ${mock.url} (preset ${options.preset ?? 'custom'})`,
  );
  return {
    baseUrl: mock.url,
    apiKey: settings.API_KEY?.startsWith('sk_test_') ? settings.API_KEY : EMBEDDED_KEY,
    rateLimitRps: effectiveRateLimit(settings, true),
    embedded: true,
    description: {
      kind: 'embedded mock',
      url: mock.url,
      preset: options.preset ?? 'custom',
      seed: options.seed ?? DEFAULT_SEED,
      ...(options.now !== undefined ? { now: options.now } : {}),
    },
    close: () => mock.close(),
  };
}
