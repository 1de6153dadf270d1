import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const SCRIPT = join(process.cwd(), 'scripts/job-summary.mjs');

/** A manifest of the shape runPipeline writes (SPEC section 10). */
const MANIFEST = {
  run_id: '20240615T020000Z-abc',
  command: 'run-all',
  status: 'failed',
  started_at: '2024-06-15T02:00:00.000Z',
  finished_at: '2024-06-15T02:03:20.000Z',
  settings: { PIPELINE_ENV: 'LOCAL', API_KEY: '[redacted]' },
  extract: {
    charges: { window: { from: 1, to: 2 }, pages: 12, records: 1150, retries: 1, bronze_keys: ['a', 'b'] },
    refunds: { window: { from: 1, to: 2 }, pages: 1, records: 40, retries: 0, bronze_keys: ['c'] },
  },
  transform: {
    'silver.charges': { partitions: 3, rows: 1150, seconds: 0.41 },
    'gold.daily_overview': { partitions: 3, rows: 9, seconds: 0.12 },
  },
  quality: {
    passed: false,
    checks: [
      { name: 'schema.silver.charges', severity: 'error', passed: true, details: {} },
      { name: 'freshness.daily_overview', severity: 'warn', passed: true, details: {} },
      {
        name: 'ref.charges.customer_id',
        severity: 'error',
        passed: false,
        details: { orphans: { count: 2 } },
      },
    ],
  },
  published: [],
  error: { step: 'quality', message: 'error-severity checks failed' },
};

function run(args: string[], env: Record<string, string>) {
  return spawnSync(process.execPath, [SCRIPT, ...args], {
    env: { PATH: process.env.PATH ?? '', ...env },
    encoding: 'utf8',
  });
}

describe('scripts/job-summary.mjs', () => {
  let dir: string;
  let summaryFile: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pp-jobsum-'));
    await mkdir(join(dir, 'data/_state/manifests'), { recursive: true });
    await writeFile(
      join(dir, `data/_state/manifests/run_${MANIFEST.run_id}.json`),
      JSON.stringify(MANIFEST, null, 2),
    );
    summaryFile = join(dir, 'step-summary.md');
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('renders the manifest from the LOCAL store into $GITHUB_STEP_SUMMARY', async () => {
    const r = run(['--run-id', MANIFEST.run_id], {
      PIPELINE_ENV: 'LOCAL',
      LOCAL_DATA_DIR: join(dir, 'data'),
      GITHUB_STEP_SUMMARY: summaryFile,
    });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const md = await readFile(summaryFile, 'utf8');
    expect(md).toBe(r.stdout);
    expect(md).toContain('run `20240615T020000Z-abc`: failed');
    expect(md).toContain('took 200.0 s');
    expect(md).toContain('### Extract: 1,190 records');
    expect(md).toContain('| charges | 1,150 | 12 | 1 | 2 |');
    expect(md).toContain('| gold.daily_overview | 3 | 9 | 0.12 |');
    expect(md).toContain('### Quality: 2 passed, 1 failed');
    expect(md).toMatch(/\| ref\.charges\.customer_id \| error \| .*orphans/);
    expect(md).toContain('none (previous pointers kept)');
    expect(md).toContain('**error** in `quality`');
  });

  it('reads a manifest file given with --manifest', () => {
    const r = run(['--manifest', join(dir, `data/_state/manifests/run_${MANIFEST.run_id}.json`)], {});
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('| refunds | 40 | 1 | 0 | 1 |');
  });

  it('exits 1 and says so when the run left no manifest; 2 without arguments', async () => {
    const missing = run(['--run-id', 'nope'], {
      PIPELINE_ENV: 'LOCAL',
      LOCAL_DATA_DIR: join(dir, 'data'),
      GITHUB_STEP_SUMMARY: summaryFile,
    });
    expect(missing.status).toBe(1);
    expect(await readFile(summaryFile, 'utf8')).toMatch(/run `nope`: no manifest[\s\S]*run_nope\.json/);
    expect(run([], {}).status).toBe(2);
  });
});
