import pino from 'pino';
import Stripe from 'stripe';
import { beforeEach, describe, expect, it } from 'vitest';
import { tempDirs } from '../../../test/helpers/temp-dirs.js';
import { ConfigError, parseSettings } from '../../config/settings.js';
import { LocalObjectStore } from '../../storage/local-store.js';
import type { CommandContext } from '../context.js';
import webhooks, { parsePort } from './webhooks.js';

const SECRET = 'whsec_cli_test';

describe('webhooks command', () => {
  const tempDir = tempDirs('wh-cli-');
  let dir: string;
  beforeEach(async () => {
    dir = await tempDir();
  });

  const context = (env: Record<string, string>, lines: string[]): CommandContext => ({
    settings: parseSettings({ LOCAL_DATA_DIR: dir, ...env }),
    logger: pino({ level: 'info' }, { write: (s: string) => lines.push(s) }),
    runId: 'run-cli-1',
    command: 'webhooks',
    interactive: false,
  });

  it('serves until SIGTERM, stores signed events, then closes and returns 0', async () => {
    // The listening line as soon as it is logged, or undefined if the command ends first.
    let onUrl: (u: string) => void = () => {};
    const listening = new Promise<string>((resolve) => {
      onUrl = resolve;
    });
    const lines: string[] = [];
    lines.push = (...logged: string[]) => {
      for (const l of logged) {
        const u = (JSON.parse(l) as { url?: string }).url;
        if (u) onUrl(u);
      }
      return Array.prototype.push.apply(lines, logged);
    };
    const done = webhooks({ port: '0' }, context({ WEBHOOK_SECRET: SECRET }, lines));
    const url = await Promise.race([listening, done.then(() => undefined)]);
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/webhooks\/stripe$/);
    const body = JSON.stringify({ id: 'evt_cli', type: 'x.y', created: 1_700_000_000, data: { object: {} } });
    const header = new Stripe('sk_test_x').webhooks.generateTestHeaderString({
      payload: body,
      secret: SECRET,
    });
    const res = await fetch(url!, { method: 'POST', body, headers: { 'stripe-signature': header } });
    expect(res.status).toBe(200);
    process.emit('SIGTERM', 'SIGTERM');
    expect(await done).toBe(0);
    await expect(fetch(url!, { method: 'POST', body })).rejects.toThrow();
    const keys = (await new LocalObjectStore(dir).list('bronze/')).map((o) => o.key);
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatch(/entity=webhook_events\/dt=\d{4}-\d{2}-\d{2}\/evt_cli\.json$/);
    expect(lines.join('')).not.toContain(SECRET);
  });

  it('refuses to start with verification on and no secret (ConfigError = exit 2)', async () => {
    await expect(webhooks({ port: '0' }, context({ VERIFY_WEBHOOK_SIGNATURES: 'true' }, []))).rejects.toThrow(
      ConfigError,
    );
  });

  it('parses --port', () => {
    expect(parsePort(undefined, 8001)).toBe(8001);
    expect(parsePort('0', 8001)).toBe(0);
    expect(parsePort('65535', 8001)).toBe(65535);
    for (const bad of ['-1', '65536', 'abc', '80.5', ''])
      expect(() => parsePort(bad, 8001)).toThrow(ConfigError);
  });
});
