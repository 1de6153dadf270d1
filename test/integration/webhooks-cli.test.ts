import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import Stripe from 'stripe';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LocalObjectStore } from '../../src/storage/local-store.js';

/** `payments-pipeline webhooks` as a user runs it: the built executable in a child process. */

const BIN = resolve(import.meta.dirname, '../../bin/payments-pipeline.js');
const SECRET = 'whsec_cli_child_secret';

function run(args: string[], env: Record<string, string>): { child: ChildProcess; stderr: string[] } {
  const stderr: string[] = [];
  const child = spawn(process.execPath, [BIN, ...args], {
    env: { PATH: process.env.PATH ?? '', LOG_FORMAT: 'json', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  createInterface({ input: child.stderr! }).on('line', (l) => stderr.push(l));
  return { child, stderr };
}

const exitCode = (child: ChildProcess) =>
  new Promise<number | null>((res) => {
    if (child.exitCode !== null) res(child.exitCode);
    else child.on('exit', (code) => res(code));
  });

describe('payments-pipeline webhooks', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'wh-cli-child-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('serves signed deliveries into LOCAL_DATA_DIR and exits 0 on SIGTERM', async () => {
    const { child, stderr } = run(['webhooks', '--port', '0'], {
      LOCAL_DATA_DIR: dir,
      WEBHOOK_SECRET: SECRET,
      RUN_ID: 'run-cli-child',
    });
    let url: string | undefined;
    for (let i = 0; i < 300 && !url && child.exitCode === null; i++) {
      await new Promise((r) => setTimeout(r, 20));
      url = stderr.map((l) => JSON.parse(l) as { url?: string }).find((l) => l.url)?.url;
    }
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
