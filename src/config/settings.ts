import { z } from 'zod';
import type { ErrorKind } from '../errors.js';
import { PIPELINE_API_VERSION } from '../source/api-version.js';

/** Raised for any invalid setting (a usage error: the CLI exits 2). */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly kind: ErrorKind = 'usage';
}

const int = (min: number, max = Number.MAX_SAFE_INTEGER) =>
  z
    .string()
    .trim()
    .regex(/^-?\d+$/, `an integer from ${min} to ${max}`)
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));

/** A Secrets Manager secret or an SSM parameter: its name or ARN (src/config/secrets.ts reads it). */
export const AWS_SECRET_REF = /^[A-Za-z0-9/_+=.@:!-]{1,2048}$/;
const awsSecretRef = (what: string) =>
  z.string().trim().regex(AWS_SECRET_REF, `a ${what} name or ARN`).optional().describe(`${what} name or ARN`);

/** Only `http:` and `https:`: `file:`, `ftp:` or `javascript:` are not an API (SPEC 15). */
const httpUrl = () => z.url({ protocol: /^https?$/, error: 'an http:// or https:// URL' });

const bool = z.stringbool({ truthy: ['true', '1', 'yes'], falsy: ['false', '0', 'no'] });

/**
 * Every setting of SPEC section 2, as read from the environment (strings in, typed values out).
 * Each key has a description: the README's configuration table and the error messages use it.
 */
const schema = z.object({
  PIPELINE_ENV: z.enum(['LOCAL', 'AWS']).default('LOCAL').describe('LOCAL (filesystem) or AWS (S3)'),
  LOCAL_DATA_DIR: z.string().min(1).default('./_local_data').describe('root of all keys in LOCAL'),
  S3_BUCKET: z.string().min(1).optional().describe('bucket name, required in AWS'),
  S3_PREFIX: z
    .string()
    .default('')
    .transform((s) => s.replace(/^\/+|\/+$/g, ''))
    .describe('optional key prefix inside the bucket'),
  AWS_REGION: z.string().min(1).default('us-east-1').describe('AWS region'),
  S3_ENDPOINT_URL: httpUrl()
    .optional()
    .describe('an S3-compatible endpoint (path-style), e.g. Ceph RGW or MinIO'),
  API_BASE_URL: httpUrl()
    .optional()
    .transform((s) => s?.replace(/\/+$/, ''))
    .describe('Stripe API base URL; unset in LOCAL = the embedded mock API'),
  API_KEY: z.string().min(1).optional().describe('API key, sent as Authorization: Bearer'),
  API_KEY_SECRET_ID: awsSecretRef('Secrets Manager secret').describe(
    'Secrets Manager secret (name or ARN) holding API_KEY, read at start (instead of API_KEY)',
  ),
  API_KEY_PARAMETER: awsSecretRef('SSM parameter').describe(
    'SSM SecureString parameter (name or ARN) holding API_KEY, read at start (instead of API_KEY)',
  ),
  WEBHOOK_SECRET_SECRET_ID: awsSecretRef('Secrets Manager secret').describe(
    'Secrets Manager secret (name or ARN) holding WEBHOOK_SECRET, read at start',
  ),
  WEBHOOK_SECRET_PARAMETER: awsSecretRef('SSM parameter').describe(
    'SSM SecureString parameter (name or ARN) holding WEBHOOK_SECRET, read at start',
  ),
  STRIPE_API_VERSION: z
    .string()
    .min(1)
    .default(PIPELINE_API_VERSION)
    .describe(`sent as Stripe-Version on every request (default ${PIPELINE_API_VERSION}, the mock's)`),
  MAX_PAGE_SIZE: int(1, 100).default(100).describe('list page size, 1-100'),
  SAFETY_WINDOW_SECONDS: int(0).default(300).describe('overlap subtracted from each watermark, seconds >= 0'),
  DEFAULT_DAYS: int(1, 3650).default(30).describe("history fetched on an entity's first run, 1-3650 days"),
  EXTRACT_CONCURRENCY: int(1, 256).default(8).describe('requests in flight at once, 1-256'),
  API_RATE_LIMIT_RPS: z
    .string()
    .trim()
    .regex(/^\d+(\.\d+)?$/, 'a positive number of requests per second')
    .transform(Number)
    .pipe(z.number().positive())
    .optional()
    .describe('client-side request rate cap (default 25 for sk_test_, 90 for sk_live_, none for the mock)'),
  HTTP_TIMEOUT_MS: int(100).default(30000).describe('per-request timeout in ms, >= 100'),
  MAX_RETRIES: int(0, 50).default(8).describe('retries per request for 429, 5xx and network errors, 0-50'),
  DUCKDB_MEMORY_LIMIT: z
    .string()
    .trim()
    .regex(/^\d+(\.\d+)?\s*(KB|MB|GB|KiB|MiB|GiB)$/i, 'a size such as 512MB or 1GB')
    .default('384MB')
    .describe(
      "DuckDB's memory limit for transform and quality (it spills to disk beyond it), e.g. 512MB or 2GB",
    ),
  DUCKDB_THREADS: int(1, 1024)
    .optional()
    .describe("DuckDB's worker threads for transform and quality (default: the CPUs Node.js may use)"),
  TRANSFORM_DURING_EXTRACT: z
    .enum(['auto', 'always', 'never'])
    .default('auto')
    .describe(
      "run-all types an entity's Silver while the rest is fetched: auto (when the machine has a core to spare), always or never",
    ),
  FRESHNESS_MAX_HOURS: int(1).default(26).describe('freshness check threshold in hours'),
  FRESHNESS_SEVERITY: z.enum(['warn', 'error']).default('warn').describe('warn or error'),
  QUALITY_FULL_SCOPE_DAYS: int(0)
    .default(7)
    .describe(
      'run-all re-checks everything (quality scope all) when no passing run did within this many days; 0: every run',
    ),
  WEBHOOK_SECRET: z
    .string()
    .optional()
    .transform((s) => (s === undefined ? [] : s.split(',').map((x) => x.trim())))
    // A blank secret (" ", ",", "whsec_a,,") is a typo, not "no secret": refuse it rather than
    // start a receiver that verifies nothing (SPEC 15).
    .refine((list) => list.every((x) => x.length > 0), 'no blank entries')
    .describe('webhook endpoint secret(s) whsec_..., comma-separated during rotation'),
  VERIFY_WEBHOOK_SIGNATURES: bool
    .optional()
    .describe('true or false (default: true if WEBHOOK_SECRET is set)'),
  WEBHOOK_TOLERANCE_SECONDS: int(1).default(300).describe('accepted age of a signature timestamp, seconds'),
  WEBHOOK_MAX_BYTES: int(1).default(1048576).describe('largest accepted webhook body in bytes'),
  LOG_LEVEL: z
    .enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'])
    .default('info')
    .describe('trace, debug, info, warn, error, fatal or silent'),
  LOG_FORMAT: z.enum(['json', 'pretty']).optional().describe('json or pretty (default: pretty on a TTY)'),
  RUN_ID: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/, 'letters, digits, ".", "_" and "-" (max 128)')
    .optional()
    .describe('run id (default: a new time-sortable id)'),
});

/** Documentation of every setting, for help texts and the README. */
export const SETTING_DESCRIPTIONS: Readonly<Record<string, string>> = Object.fromEntries(
  Object.entries(schema.shape).map(([k, v]) => [k, (v as z.ZodType).description ?? '']),
);

export type RawSettings = z.output<typeof schema>;

/** Settings after validation, with the derived defaults resolved. */
export interface Settings extends Omit<RawSettings, 'VERIFY_WEBHOOK_SIGNATURES' | 'LOG_FORMAT'> {
  readonly VERIFY_WEBHOOK_SIGNATURES: boolean;
  readonly LOG_FORMAT: 'json' | 'pretty';
}

/** Keys whose values never appear in logs, manifests or error messages. */
export const SECRET_KEYS = [
  'API_KEY',
  'WEBHOOK_SECRET',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
] as const;

/**
 * Validates the environment (after `.env` and CLI flags were merged into it) into typed settings.
 * Throws a `ConfigError` naming every invalid variable and what it accepts.
 *
 * @example
 * const settings = parseSettings({ ...process.env, LOG_LEVEL: 'debug' }, { isTTY: false });
 */
export function parseSettings(
  env: Readonly<Record<string, string | undefined>>,
  opts: { isTTY?: boolean } = {},
): Settings {
  // Empty strings mean "unset", as in most shells' `VAR= cmd`.
  const input: Record<string, string> = {};
  for (const key of Object.keys(schema.shape)) {
    const v = env[key];
    if (v !== undefined && v !== '') input[key] = v;
  }
  const parsed = schema.safeParse(input);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => {
      const key = String(issue.path[0] ?? '?');
      const accepts = SETTING_DESCRIPTIONS[key];
      const got = (SECRET_KEYS as readonly string[]).includes(key) ? '' : ` (got "${input[key] ?? ''}")`;
      return `${key}: invalid value${got}; accepts ${accepts || issue.message}`;
    });
    throw new ConfigError(`invalid configuration:\n  ${lines.join('\n  ')}`);
  }
  const raw = parsed.data;
  if (raw.PIPELINE_ENV === 'AWS' && !raw.S3_BUCKET) {
    throw new ConfigError('S3_BUCKET: required when PIPELINE_ENV=AWS (the bucket that holds the lake)');
  }
  const verify = raw.VERIFY_WEBHOOK_SIGNATURES ?? raw.WEBHOOK_SECRET.length > 0;
  return {
    ...raw,
    VERIFY_WEBHOOK_SIGNATURES: verify,
    LOG_FORMAT: raw.LOG_FORMAT ?? (opts.isTTY ? 'pretty' : 'json'),
  };
}

/** The client-side rate cap in force: explicit, else by key kind (none for the embedded mock). */
export function effectiveRateLimit(settings: Settings, embeddedMock: boolean): number | undefined {
  if (settings.API_RATE_LIMIT_RPS !== undefined) return settings.API_RATE_LIMIT_RPS;
  if (embeddedMock) return undefined;
  if (settings.API_KEY?.startsWith('sk_live_') || settings.API_KEY?.startsWith('rk_live_')) return 90;
  return 25;
}

/** Settings holding URLs, whose user-info (`https://user:pass@host`) is a secret too. */
const URL_KEYS = ['API_BASE_URL', 'S3_ENDPOINT_URL'] as const;

/**
 * A URL without credentials: user-info and query string become `[REDACTED]` (a key may hide in
 * either); anything unparseable is redacted whole.
 *
 * @example
 * redactUrl('https://me:sk_live_x@api.example.com/v1?key=k'); // 'https://[REDACTED]@api.example.com/v1?[REDACTED]'
 */
export function redactUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return '[REDACTED]';
  }
  const auth = url.username || url.password ? '[REDACTED]@' : '';
  const query = url.search ? '?[REDACTED]' : '';
  return `${url.protocol}//${auth}${url.host}${url.pathname === '/' && !value.endsWith('/') ? '' : url.pathname}${query}`;
}

/** A copy safe to print or store: secrets replaced by a marker, credentials cut out of URLs. */
export function redactSettings(settings: Settings): Record<string, unknown> {
  const out: Record<string, unknown> = { ...settings };
  for (const key of SECRET_KEYS) {
    const v = out[key];
    if (v !== undefined && !(Array.isArray(v) && v.length === 0)) out[key] = '[REDACTED]';
  }
  for (const key of URL_KEYS) {
    const v = out[key];
    if (typeof v === 'string') out[key] = redactUrl(v);
  }
  return out;
}
