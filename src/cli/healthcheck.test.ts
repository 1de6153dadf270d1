import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliArgv } from '../../test/helpers/cli.js';
import { checkHealth, probePort } from './healthcheck.js';

describe('probePort', () => {
  it.each([
    [[['node', '/app/bin/payments-pipeline.js', 'webhooks', '--host', '0.0.0.0']], 8001],
    [[['node', '/app/bin/payments-pipeline.js', 'webhooks', '--port', '9000']], 9000],
    [[['node', '/app/bin/payments-pipeline.js', 'webhooks', '--port=9001']], 9001],
    [
      [
        ['/sbin/docker-init', '--'],
        ['node', 'x/src/cli/main.ts', 'webhooks', '--port', '7'],
      ],
      7,
    ],
  ])('finds the receiver in %j', (lines, port) => {
    expect(probePort(lines)).toBe(port);
  });

  it.each([
    [[['node', '/app/bin/payments-pipeline.js', 'run-all']]],
    [[['node', '/app/bin/payments-pipeline.js', 'mock-api', '--port', '8001']]],
    [[['node', 'other.js', 'webhooks']]],
    [[]],
  ])('nothing to probe in %j', (lines) => {
    expect(probePort(lines)).toBeUndefined();
  });
});

/** A free TCP port on loopback. */
async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const addr = srv.address();
  await new Promise((r) => srv.close(r));
  return typeof addr === 'object' && addr ? addr.port : 0;
}

describe('checkHealth against a real `webhooks` process', () => {
  let dir: string;
  let port: number;
  let child: ChildProcess;
  let argv: string[];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pp-health-'));
    port = await freePort();
    argv = [process.execPath, ...cliArgv(), 'webhooks', '--port', String(port)];
    child = spawn(argv[0]!, argv.slice(1), {
      env: {
        PATH: process.env.PATH ?? '',
        LOCAL_DATA_DIR: dir,
        WEBHOOK_SECRET: 'whsec_h',
        LOG_FORMAT: 'json',
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    // Listening once it logs its URL.
    await new Promise<void>((resolve, reject) => {
      let err = '';
      child.stderr!.on('data', (d: Buffer) => {
        err += d.toString();
        if (err.includes('listening on')) resolve();
      });
      child.on('exit', (code) => reject(new Error(`webhooks exited ${code}: ${err}`)));
    });
  });
  afterAll(async () => {
    if (child.exitCode === null) child.kill('SIGTERM');
    await rm(dir, { recursive: true, force: true });
  });

  it('healthy while the receiver answers /health; unhealthy once it is gone', async () => {
    expect(await checkHealth([['/sbin/docker-init', '--'], argv])).toEqual({
      code: 0,
      message: `http://127.0.0.1:${port}/health: 200`,
    });
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
    const after = await checkHealth([argv], 2000);
    expect(after.code).toBe(1);
    expect(after.message).toContain(`127.0.0.1:${port}/health`);
  });

  it('a container without a receiver is healthy without probing', async () => {
    expect(await checkHealth([['node', '/app/bin/payments-pipeline.js', 'run-all']])).toEqual({
      code: 0,
      message: 'no webhook receiver in this container',
    });
  });
});
