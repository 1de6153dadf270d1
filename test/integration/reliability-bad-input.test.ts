import {
  appendFile,
  cp,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  stat,
  truncate,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMockApi } from '../../src/mock/index.js';
import { runCli } from '../helpers/cli.js';

const NOW = Date.UTC(2024, 5, 15, 12, 0, 0) / 1000;

/**
 * SPEC 15, bad input: each kind of damage gets a clear error naming the object (and line), exit
 * 1, never a silent loss. Every case works on its own copy of one healthy lake.
 */
describe('bad input is reported, never silently dropped', () => {
  let mock: Awaited<ReturnType<typeof startMockApi>>;
  let base: string;
  const env = (root: string) => ({
    API_BASE_URL: mock.url,
    API_KEY: 'sk_test_bad',
    LOCAL_DATA_DIR: root,
    DEFAULT_DAYS: '30',
    API_RATE_LIMIT_RPS: '1000',
    LOG_LEVEL: 'warn',
  });
  const copyOfBase = async () => {
    const root = await mkdtemp(join(tmpdir(), 'pp-bad-case-'));
    await cp(base, root, { recursive: true });
    return root;
  };
  /** A fresh Bronze part of charges (a later run's), holding the given lines. */
  const addBronzePart = async (root: string, lines: string[]) => {
    const key = 'bronze/source=stripe/entity=charges/dt=2024-06-14/run_id=zz-later/part-00000.jsonl';
    await mkdir(join(root, key, '..'), { recursive: true });
    await writeFile(join(root, key), `${lines.join('\n')}\n`);
    return key;
  };
  const goodLine = (id: string, amount: unknown = 1234) =>
    JSON.stringify({
      data: { id, object: 'charge', created: NOW - 86_400, amount, currency: 'usd', status: 'succeeded' },
      meta: {
        entity: 'charges',
        run_id: 'zz-later',
        ingested_at: new Date().toISOString(),
        source: 'api',
        version_ts: NOW,
      },
    });

  beforeAll(async () => {
    mock = await startMockApi({ preset: 'tiny', now: NOW, port: 0, quiet: true });
    base = await mkdtemp(join(tmpdir(), 'pp-bad-base-'));
    const r = await runCli(['run-all', '--run-id', 'base', '--until', String(NOW)], { env: env(base) });
    if (r.code !== 0) throw new Error(`base run failed:\n${r.stderr.slice(-2000)}`);
  });
  afterAll(async () => {
    await mock?.close();
  });

  it('a Bronze line that is not JSON: transform exits 1 naming the key and line', async () => {
    const root = await copyOfBase();
    const key = await addBronzePart(root, [
      goodLine('ch_bad_1'),
      '{"data": {"id": "ch_bad_2", "amount": 1',
      goodLine('ch_bad_3'),
    ]);
    const r = await runCli(['transform', '--run-id', 't-bad-json'], { env: env(root) });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(key);
    expect(r.stderr).toMatch(/line 2\b/);
  }, 60_000);

  it('a field of the wrong type: transform exits 1 naming the key, line and field', async () => {
    const root = await copyOfBase();
    const key = await addBronzePart(root, [
      goodLine('ch_bad_4'),
      goodLine('ch_bad_5'),
      goodLine('ch_bad_6', 'twelve'),
    ]);
    const r = await runCli(['transform', '--run-id', 't-bad-type'], { env: env(root) });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(key);
    expect(r.stderr).toMatch(/line 3\b/);
    expect(r.stderr).toContain('amount');
  }, 60_000);

  it('a truncated Silver Parquet: quality exits 1 naming the object', async () => {
    const root = await copyOfBase();
    const dir = join(root, 'silver/source=stripe/entity=charges');
    const dt = (await readdir(dir)).sort()[0]!;
    const file = join(dir, dt, 'data.parquet');
    await truncate(file, Math.floor((await stat(file)).size / 2));
    const r = await runCli(['quality', '--run-id', 'q-trunc-silver'], { env: env(root) });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`silver/source=stripe/entity=charges/${dt}/data.parquet`);
  }, 60_000);

  it('a truncated Gold Parquet: quality exits 1 naming the object', async () => {
    const root = await copyOfBase();
    const dir = join(root, 'gold/model=fct_payments');
    const dt = (await readdir(dir)).sort().at(-1)!;
    const file = join(dir, dt, 'data.parquet');
    await truncate(file, Math.floor((await stat(file)).size / 2));
    const r = await runCli(['quality', '--run-id', 'q-trunc-gold'], { env: env(root) });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`gold/model=fct_payments/${dt}/data.parquet`);
  }, 60_000);

  it('an unreadable watermark: extract and run-all exit 1 naming it, and it is left as it was', async () => {
    const root = await copyOfBase();
    const wm = join(root, '_state/watermarks/charges.json');
    await appendFile(wm, '}{ garbage');
    const damaged = await readFile(wm, 'utf8');
    for (const cmd of ['extract', 'run-all']) {
      const r = await runCli([cmd, '--run-id', `wm-${cmd}`, '--until', String(NOW + 3600)], {
        env: env(root),
      });
      expect(r.code, `${cmd}: ${r.stderr.slice(-1500)}`).toBe(1);
      expect(r.stderr).toContain('_state/watermarks/charges.json');
    }
    expect(await readFile(wm, 'utf8'), 'never silently replaced').toBe(damaged);
  }, 60_000);
});
