import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handler, LambdaDeadlineError } from '../../src/cli/lambda.js';

const NOW = '2024-06-15T12:00:00Z';
const VARS = [
  'PIPELINE_ENV',
  'LOCAL_DATA_DIR',
  'API_BASE_URL',
  'MOCK_PRESET',
  'MOCK_NOW',
  'LOG_LEVEL',
  'RUN_ID',
];

/** A Lambda context with a fixed amount of time left. */
const contextWith = (remainingMs: number) => ({ getRemainingTimeInMillis: () => remainingMs });

async function readJson(path: string): Promise<Record<string, unknown>> {
  return JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
}

describe('Lambda handler against the embedded mock (LOCAL, tiny preset)', () => {
  let dir: string;
  const saved = new Map<string, string | undefined>();

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pp-lambda-'));
    for (const k of VARS) saved.set(k, process.env[k]);
    // The handler reads its settings from the function's environment, as in Lambda.
    process.env.PIPELINE_ENV = 'LOCAL';
    process.env.LOCAL_DATA_DIR = dir;
    delete process.env.API_BASE_URL;
    delete process.env.RUN_ID;
    process.env.MOCK_PRESET = 'tiny';
    process.env.MOCK_NOW = NOW;
    process.env.LOG_LEVEL = 'warn';
  });

  afterAll(async () => {
    for (const [k, v] of saved) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    await rm(dir, { recursive: true, force: true });
  });

  it('refuses to start when less time is left than the margin, writing nothing', async () => {
    await expect(handler({ runId: 'too-late' }, contextWith(59_000))).rejects.toBeInstanceOf(
      LambdaDeadlineError,
    );
    expect(existsSync(join(dir, '_state/manifests/run_too-late.json'))).toBe(false);
  });

  it('stops at the deadline: the run fails cleanly, the manifest says so, the lock is released', async () => {
    // 50 ms of run time: the deadline fires during the run, long before it could finish.
    const err = await handler({ runId: 'deadline', until: NOW }, contextWith(60_050)).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(LambdaDeadlineError);
    expect((err as Error).message).toContain('_state/manifests/run_deadline.json');
    const manifest = await readJson(join(dir, '_state/manifests/run_deadline.json'));
    expect(manifest.status).toBe('failed');
    expect(manifest.error).toMatchObject({ step: expect.stringMatching(/^(extract|transform|quality)$/) });
    expect(existsSync(join(dir, '_state/lock.json'))).toBe(false);
    expect(existsSync(join(dir, '_state/manifests/_latest'))).toBe(false);
  });

  it('runs run-all and returns the run summary', async () => {
    const summary = await handler(
      { runId: 'lambda-ok', until: NOW, source: 'aws.events', 'detail-type': 'Scheduled Event' },
      contextWith(900_000),
    );
    expect(summary.status).toBe('succeeded');
    expect(summary.runId).toBe('lambda-ok');
    const records = Object.values(summary.extract ?? {}).reduce((n, e) => n + e.records, 0);
    expect(records).toBeGreaterThan(0);
    const gold = Object.keys(summary.transform ?? {}).filter((m) => m.startsWith('gold.'));
    expect(gold.length).toBeGreaterThan(0);
    expect(summary.quality?.passed).toBe(true);
    expect(summary.published?.length).toBeGreaterThan(0);
    const manifest = await readJson(join(dir, '_state/manifests/run_lambda-ok.json'));
    expect(manifest.status).toBe('succeeded');
    expect(existsSync(join(dir, '_state/lock.json'))).toBe(false);
  });
});
