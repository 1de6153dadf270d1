import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMockApi } from '../../src/mock/index.js';
import { runCli } from '../helpers/cli.js';

const NOW = Date.UTC(2024, 5, 15, 12, 0, 0) / 1000;

async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const ent of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, ent.name);
    if (ent.isDirectory()) out.push(...(await filesUnder(p)));
    else out.push(p);
  }
  return out;
}

/**
 * SPEC 2 and 15, secrets: a full `run-all` at debug level with a random API key and webhook
 * secret, one run that succeeds and one whose key is rejected: neither secret appears in any log
 * line, nor in any file under `_state/` (manifests, watermarks, lock, transform state).
 */
describe('secrets stay out of logs and state', () => {
  let mock: Awaited<ReturnType<typeof startMockApi>>;
  let root: string;
  const apiKey = `sk_test_${randomBytes(12).toString('hex')}`;
  const webhookSecret = `whsec_${randomBytes(16).toString('hex')}`;
  beforeAll(async () => {
    mock = await startMockApi({ preset: 'tiny', now: NOW, port: 0, quiet: true });
    root = await mkdtemp(join(tmpdir(), 'pp-secrets-'));
  });
  afterAll(async () => {
    await mock?.close();
  });

  it('neither the API key nor the webhook secret is logged or stored', async () => {
    const env = {
      API_BASE_URL: mock.url,
      API_KEY: apiKey,
      WEBHOOK_SECRET: webhookSecret,
      LOCAL_DATA_DIR: root,
      DEFAULT_DAYS: '30',
      API_RATE_LIMIT_RPS: '1000',
      LOG_LEVEL: 'debug',
    };
    const ok = await runCli(['run-all', '--run-id', 'secret-ok', '--until', String(NOW)], { env });
    expect(ok.code, ok.stderr.slice(-2000)).toBe(0);
    // A rejected key is where an error message is most tempted to quote it.
    const badKey = `rk_bad_${randomBytes(12).toString('hex')}`;
    const bad = await runCli(['run-all', '--run-id', 'secret-bad', '--until', String(NOW + 60)], {
      env: { ...env, API_KEY: badKey },
    });
    expect(bad.code).toBe(1);
    const logs = [ok.stdout, ok.stderr, bad.stdout, bad.stderr].join('\n');
    expect(logs.split('\n').length, 'debug logging produced lines to scan').toBeGreaterThan(20);
    for (const secret of [apiKey, webhookSecret, badKey]) {
      // The key body alone too: a log that dropped the prefix would still leak it.
      for (const needle of [secret, secret.slice(secret.indexOf('_', 3) + 1)]) {
        expect(logs.includes(needle), `logs contain ${needle.slice(0, 10)}…`).toBe(false);
      }
    }
    const stateFiles = await filesUnder(join(root, '_state'));
    expect(stateFiles.some((f) => f.endsWith('run_secret-ok.json'))).toBe(true);
    for (const f of stateFiles) {
      const text = await readFile(f, 'utf8');
      for (const secret of [apiKey, webhookSecret, badKey]) {
        expect(text.includes(secret), `${f} contains a secret`).toBe(false);
      }
    }
  }, 120_000);
});
