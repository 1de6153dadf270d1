import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

const COMMANDS = ['run-all', 'extract', 'transform', 'quality', 'backfill', 'status', 'mock-api', 'webhooks'];

describe('CLI frame', () => {
  it('prints help listing every command, and the version', async () => {
    const help = await runCli(['--help']);
    expect(help.code).toBe(0);
    for (const c of COMMANDS) expect(help.stdout).toContain(c);
    const version = await runCli(['--version']);
    expect(version.code).toBe(0);
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it.each(COMMANDS)('exits 2 naming PIPELINE_ENV when it is invalid (%s)', async (command) => {
    const args = command === 'backfill' ? [command, '--from', '2024-01-01', '--to', '2024-01-02'] : [command];
    const r = await runCli(args, { env: { PIPELINE_ENV: 'BOGUS' } });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('PIPELINE_ENV');
  });

  it('exits 2 naming S3_BUCKET when AWS has no bucket', async () => {
    const r = await runCli(['status'], { env: { PIPELINE_ENV: 'AWS' } });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('S3_BUCKET');
  });

  it('exits 2 on usage errors and never prints a secret', async () => {
    const unknown = await runCli(['no-such-command']);
    expect(unknown.code).toBe(2);
    const badEntity = await runCli(['extract', '--entity', 'planets']);
    expect(badEntity.code).toBe(2);
    expect(badEntity.stderr).toContain('unknown entity');
    const badRetries = await runCli(['status'], {
      env: { API_KEY: 'sk_test_SECRET123', MAX_RETRIES: 'many' },
    });
    expect(badRetries.code).toBe(2);
    expect(badRetries.stderr).toContain('MAX_RETRIES');
    expect(badRetries.stderr).not.toContain('sk_test_SECRET123');
    const badUntil = await runCli(['run-all', '--until', 'tomorrow'], {
      env: { LOCAL_DATA_DIR: await mkdtemp(join(tmpdir(), 'pp-cli-')) },
    });
    expect(badUntil.code).toBe(2);
    expect(badUntil.stderr).toContain('--until');
  });

  it('reads settings from .env, and the environment beats it', async () => {
    const cwd = await mkdtemp(join(tmpdir(), 'pp-cli-'));
    await writeFile(join(cwd, '.env'), 'PIPELINE_ENV=BOGUS\n');
    expect((await runCli(['status'], { cwd })).code).toBe(2);
    const ok = await runCli(['status', '--json'], { cwd, env: { PIPELINE_ENV: 'LOCAL' } });
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout)).toHaveProperty('watermarks');
  });
});

describe('mock-api command', () => {
  it('exits 2 naming a bad flag', async () => {
    const r = await runCli(['mock-api', '--preset', 'huge']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--preset');
  });
});
