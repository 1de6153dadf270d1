import { describe, expect, it } from 'vitest';
import { ConfigError, effectiveRateLimit, parseSettings, redactSettings } from './settings.js';

describe('parseSettings', () => {
  it('applies the defaults of SPEC section 2', () => {
    const s = parseSettings({}, { isTTY: false });
    expect(s).toMatchObject({
      PIPELINE_ENV: 'LOCAL',
      LOCAL_DATA_DIR: './_local_data',
      MAX_PAGE_SIZE: 100,
      SAFETY_WINDOW_SECONDS: 300,
      DEFAULT_DAYS: 30,
      EXTRACT_CONCURRENCY: 8,
      HTTP_TIMEOUT_MS: 30000,
      MAX_RETRIES: 8,
      FRESHNESS_MAX_HOURS: 26,
      FRESHNESS_SEVERITY: 'warn',
      QUALITY_FULL_SCOPE_DAYS: 7,
      VERIFY_WEBHOOK_SIGNATURES: false,
      WEBHOOK_TOLERANCE_SECONDS: 300,
      WEBHOOK_MAX_BYTES: 1048576,
      LOG_LEVEL: 'info',
      LOG_FORMAT: 'json',
    });
    expect(parseSettings({}, { isTTY: true }).LOG_FORMAT).toBe('pretty');
  });

  it.each([
    [{ PIPELINE_ENV: 'BOGUS' }, 'PIPELINE_ENV'],
    [{ PIPELINE_ENV: 'AWS' }, 'S3_BUCKET'],
    [{ MAX_PAGE_SIZE: '101' }, 'MAX_PAGE_SIZE'],
    [{ MAX_PAGE_SIZE: 'ten' }, 'MAX_PAGE_SIZE'],
    [{ EXTRACT_CONCURRENCY: '0' }, 'EXTRACT_CONCURRENCY'],
    [{ DUCKDB_THREADS: '0' }, 'DUCKDB_THREADS'],
    [{ DUCKDB_THREADS: 'two' }, 'DUCKDB_THREADS'],
    [{ API_BASE_URL: 'not a url' }, 'API_BASE_URL'],
    [{ FRESHNESS_SEVERITY: 'fatal' }, 'FRESHNESS_SEVERITY'],
    [{ VERIFY_WEBHOOK_SIGNATURES: 'maybe' }, 'VERIFY_WEBHOOK_SIGNATURES'],
    [{ RUN_ID: '../etc' }, 'RUN_ID'],
    [{ API_BASE_URL: 'ftp://api.example.com' }, 'API_BASE_URL'],
    [{ API_BASE_URL: 'file:///etc/passwd' }, 'API_BASE_URL'],
    [{ S3_ENDPOINT_URL: 'file:///tmp' }, 'S3_ENDPOINT_URL'],
    [{ WEBHOOK_SECRET: ' ' }, 'WEBHOOK_SECRET'],
    [{ WEBHOOK_SECRET: ',' }, 'WEBHOOK_SECRET'],
    [{ WEBHOOK_SECRET: 'whsec_a,,whsec_b' }, 'WEBHOOK_SECRET'],
  ])('rejects %j naming %s', (env, name) => {
    expect(() => parseSettings(env)).toThrow(ConfigError);
    expect(() => parseSettings(env)).toThrow(name);
  });

  it('never echoes a secret in an error', () => {
    expect(() => parseSettings({ API_KEY: 'sk_live_secret', MAX_RETRIES: 'x' })).not.toThrow(
      /sk_live_secret/,
    );
  });

  it('derives signature verification and rate limits', () => {
    expect(parseSettings({ WEBHOOK_SECRET: 'whsec_a, whsec_b' })).toMatchObject({
      WEBHOOK_SECRET: ['whsec_a', 'whsec_b'],
      VERIFY_WEBHOOK_SIGNATURES: true,
    });
    expect(effectiveRateLimit(parseSettings({ API_KEY: 'sk_test_x' }), false)).toBe(25);
    expect(effectiveRateLimit(parseSettings({ API_KEY: 'sk_live_x' }), false)).toBe(90);
    expect(effectiveRateLimit(parseSettings({}), true)).toBeUndefined();
    expect(effectiveRateLimit(parseSettings({ API_RATE_LIMIT_RPS: '5' }), true)).toBe(5);
  });

  it('cuts credentials out of URLs it writes (SPEC 15)', () => {
    const r = redactSettings(
      parseSettings({ API_BASE_URL: 'https://me:sk_live_pw@api.example.com/base?key=k2', API_KEY: 'sk_x' }),
    );
    expect(r.API_BASE_URL).toBe('https://[REDACTED]@api.example.com/base?[REDACTED]');
    expect(JSON.stringify(r)).not.toMatch(/sk_live_pw|k2|me:/);
    expect(redactSettings(parseSettings({ API_BASE_URL: 'http://127.0.0.1:8000' })).API_BASE_URL).toBe(
      'http://127.0.0.1:8000',
    );
  });

  it('redacts secrets', () => {
    const r = redactSettings(parseSettings({ API_KEY: 'sk_test_abc', WEBHOOK_SECRET: 'whsec_x' }));
    expect(JSON.stringify(r)).not.toMatch(/sk_test_abc|whsec_x/);
  });
});
