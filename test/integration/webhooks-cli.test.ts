import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import Stripe from 'stripe';
import { beforeEach, describe, expect, it } from 'vitest';
import { LocalObjectStore } from '../../src/storage/local-store.js';
import { spawnCli } from '../helpers/cli.js';
import { tempDirs } from '../helpers/temp-dirs.js';

/**
 * `payments-pipeline webhooks` as a user runs it, in a child process: from the sources (through
 * tsx, as every CLI test), so a change in src/ is what is tested, with no build in between.
 */

const SECRET = 'whsec_cli_child_secret';

function run(
  args: string[],
  env: Record<string, string>,
): { child: ChildProcess; stderr: string[]; url: Promise<string | undefined> } {
  const stderr: string[] = [];
  const child = spawnCli(args, { env });
  // The receiver's address, from its first log line that has one (undefined if it exits first).
  const url = new Promise<string | undefined>((res) => {
    createInterface({ input: child.stderr! }).on('line', (l) => {
      stderr.push(l);
      try {
        const u = (JSON.parse(l) as { url?: string }).url;
        if (u) res(u);
      } catch {
        // not a JSON log line
      }
    });
    child.once('exit', () => res(undefined));
  });
  return { child, stderr, url };
}

const exitCode = (child: ChildProcess) =>
  new Promise<number | null>((res) => {
    if (child.exitCode !== null) res(child.exitCode);
    else child.on('exit', (code) => res(code));
  });

describe('payments-pipeline webhooks', () => {
  const tempDir = tempDirs('wh-cli-child-');
  let dir: string;
  beforeEach(async () => {
    dir = await tempDir();
  });

  it('serves signed deliveries into LOCAL_DATA_DIR and exits 0 on SIGTERM', async () => {
    const {
      child,
      stderr,
      url: listening,
    } = run(['webhooks', '--port', '0'], {
      LOCAL_DATA_DIR: dir,
      WEBHOOK_SECRET: SECRET,
      RUN_ID: 'run-cli-child',
    });
    const url = await listening;
    expect(url, stderr.join('\n')).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/webhooks\/stripe$/);
    const body = JSON.stringify({
      id: 'evt_child',
      type: 'customer.created',
      created: 1_700_000_000,
      data: { object: {} },
    });
    const header = new Stripe('sk_test_x').webhooks.generateTestHeaderString({
      payload: body,
      secret: SECRET,
    });
    const ok = await fetch(url!, { method: 'POST', body, headers: { 'stripe-signature': header } });
    expect(ok.status).toBe(200);
    const bad = await fetch(url!, { method: 'POST', body, headers: { 'stripe-signature': `${header}0` } });
    expect(bad.status).toBe(400);
    child.kill('SIGTERM');
    expect(await exitCode(child)).toBe(0);
    const keys = (await new LocalObjectStore(dir).list('bronze/')).map((o) => o.key);
    expect(keys).toEqual([
      expect.stringMatching(/^bronze\/source=stripe\/entity=webhook_events\/dt=.*\/evt_child\.json$/),
    ]);
    const logs = stderr.join('\n');
    expect(logs).toContain('run-cli-child');
    expect(logs).not.toContain(SECRET);
    expect(logs).not.toContain(header.split('v1=')[1]!);
  });

  it('exits 2 naming WEBHOOK_SECRET when verification is on without a secret', async () => {
    const { child, stderr } = run(['webhooks', '--port', '0'], {
      LOCAL_DATA_DIR: dir,
      VERIFY_WEBHOOK_SIGNATURES: 'true',
    });
    expect(await exitCode(child)).toBe(2);
    expect(stderr.join('\n')).toContain('WEBHOOK_SECRET');
  });
});
