import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHILD_TABLES } from '../../src/contracts/silver.js';
import { OBJECT_ENTITIES } from '../../src/entities/lookups.js';
import { startMockApi } from '../../src/mock/index.js';
import { LocalObjectStore } from '../../src/storage/local-store.js';
import { S3ObjectStore } from '../../src/storage/s3-store.js';
import { runCli, s3CliEnv } from '../helpers/cli.js';
import { mapReads, readLayer } from '../helpers/lake.js';
import { fetchTruth } from '../helpers/mock-control.js';
import { freshPrefix, s3TestConfig } from '../s3-env.js';

const DAY = 86_400;
const NOW = Date.UTC(2024, 5, 15, 12, 0, 0) / 1000;
const dateOf = (t: number) => new Date(t * 1000).toISOString().slice(0, 10);
/** Lineage columns: which run or read produced the winning version, not what the object is. */
const LINEAGE = new Set(['_version_ts', '_source', '_run_id', '_ingested_at', '_bronze_key']);

type Mock = Awaited<ReturnType<typeof startMockApi>>;

/** Every Silver table's rows without lineage columns, sorted, as comparable strings. */
async function silverContent(root: string): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  for (const name of [...OBJECT_ENTITIES.map((d) => d.name), ...CHILD_TABLES]) {
    const rows = await readLayer(root, 'silver', name);
    out[name] = rows.map((r) => JSON.stringify(Object.entries(r).filter(([k]) => !LINEAGE.has(k)))).sort();
  }
  return out;
}

describe('run-all operations', () => {
  let mock: Mock;
  beforeAll(async () => {
    mock = await startMockApi({ preset: 'tiny', now: NOW, port: 0, quiet: true });
  });
  afterAll(async () => {
    await mock?.close();
  });
  const env = (root: string, extra: Record<string, string> = {}) => ({
    API_BASE_URL: mock.url,
    API_KEY: 'sk_test_ops',
    LOCAL_DATA_DIR: root,
    LOG_LEVEL: 'warn',
    ...extra,
  });

  it('backfill over a loaded window changes no Silver row; over a window never loaded it adds it', async () => {
    const root = await mkdtemp(join(tmpdir(), 'pp-backfill-'));
    // First load: the last 4 days only (older referenced customers come through the references pass).
    expect((await runCli(['run-all', '--until', String(NOW), '--days', '4'], { env: env(root) })).code).toBe(
      0,
    );
    const before = await silverContent(root);
    const wm0 = await readFile(join(root, '_state/watermarks/charges.json'), 'utf8');

    const loaded = await runCli(
      ['backfill', '--from', dateOf(NOW - 3 * DAY), '--to', dateOf(NOW - 2 * DAY)],
      {
        env: env(root),
      },
    );
    expect(loaded.code, loaded.stderr).toBe(0);
    expect(await silverContent(root)).toEqual(before);

    // the 14 days of customers before the tiny history: their subscriptions' charges (some start
    // with a trial and no charge, so a few days may have none)
    const older = await runCli(
      ['backfill', '--from', dateOf(NOW - 16 * DAY), '--to', dateOf(NOW - 6 * DAY)],
      {
        env: env(root),
      },
    );
    expect(older.code, older.stderr).toBe(0);
    // Every charge created in the backfilled days is now in Silver (before: only those that the
    // references pass fetched because a refund or dispute named them).
    const inWindow = (t: number) =>
      t >= Date.parse(`${dateOf(NOW - 16 * DAY)}T00:00:00Z`) / 1000 &&
      t < Date.parse(`${dateOf(NOW - 5 * DAY)}T00:00:00Z`) / 1000;
    const truth = (await fetchTruth(mock.url, 'charges'))
      .filter((c) => inWindow(Number(c.created)))
      .map((c) => String(c.id));
    const silverIds = new Set((await readLayer(root, 'silver', 'charges', 'id')).map((c) => String(c.id)));
    expect(truth.length).toBeGreaterThan(0);
    expect(before.charges!.length, 'the first load did not have that window').toBeLessThan(silverIds.size);
    expect(
      truth.filter((id) => !silverIds.has(id)),
      'charges of the backfilled window missing',
    ).toEqual([]);
    expect(await readFile(join(root, '_state/watermarks/charges.json'), 'utf8'), 'no watermark moved').toBe(
      wm0,
    );
  }, 180_000);

  it('a Gold partition tampered with behind the pipeline is rebuilt by the next run (self-healing)', async () => {
    const root = await mkdtemp(join(tmpdir(), 'pp-badgold-'));
    expect(
      (await runCli(['run-all', '--run-id', 'good', '--until', String(NOW)], { env: env(root) })).code,
    ).toBe(0);
    const pointerPath = join(root, '_state/manifests/_latest/daily_overview.json');
    const pointer = JSON.parse(await readFile(pointerPath, 'utf8')) as { keys: string[]; run_id: string };
    expect(pointer.run_id).toBe('good');

    const bronzeCheck = async (runId: string, args: string[]) => {
      const q = await runCli(['quality', '--run-id', runId, ...args], { env: env(root) });
      expect(q.code, q.stderr).toBe(0);
      const m = JSON.parse(await readFile(join(root, `_state/manifests/run_${runId}.json`), 'utf8'));
      return m.quality.checks.find((c: { name: string }) => c.name === 'reconcile.bronze_silver.charges')
        .details as Record<string, unknown>;
    };
    // Nothing changed since run-all's passing check (its record of what it verified covers the
    // partitions it promoted): nothing is read. With --scope all everything is, from the sidecars
    // the extractor wrote beside the parts (no JSON is parsed again).
    const changed = await bronzeCheck('q-changed', []);
    expect(changed).toMatchObject({ partitions_checked: [], bronze_files_read: 0 });
    const all = await bronzeCheck('q-all', ['--scope', 'all']);
    expect(all.bronze_files_from_id_cache).toBe(0);
    expect(all.bronze_files_read).toBe(0);
    expect(all.bronze_files_from_sidecars).toBeGreaterThan(0);
    expect((await runCli(['quality', '--scope', 'some'], { env: env(root) })).code).toBe(2);

    // Tamper with one Gold partition: its sales are off by one cent.
    const key = pointer.keys[0]!;
    const file = join(root, key);
    const original = await readFile(file);
    const db = await DuckDBInstance.create(':memory:');
    const conn = await db.connect();
    await conn.run(`create table t as select * from read_parquet('${file}')`);
    await conn.run('update t set sales_amount = sales_amount + 1 where rowid = 0');
    await conn.run(`copy t to '${file}' (format parquet)`);
    conn.closeSync();
    db.closeSync();

    const bad = await runCli(['run-all', '--run-id', 'after-tamper', '--until', String(NOW)], {
      env: env(root),
    });
    // (before self-healing, this run failed reconcile.silver_gold.daily_overview_sales forever)
    expect(bad.code, bad.stderr.slice(-2000)).toBe(0);
    expect(bad.stderr).not.toContain('reconcile.silver_gold.daily_overview_sales');
    expect(JSON.parse(await readFile(pointerPath, 'utf8')).run_id).toBe('after-tamper');
    expect(await readFile(file), 'rebuilt byte for byte').toEqual(original);
    const manifest = JSON.parse(await readFile(join(root, '_state/manifests/run_after-tamper.json'), 'utf8'));
    expect(manifest.status).toBe('succeeded');
    // Extraction ran and is recorded (null or {} would not do).
    expect(Object.keys(manifest.extract).length).toBeGreaterThan(0);
    expect(manifest.healed).toEqual([{ key, reason: expect.stringMatching(/^(size|changed)$/) }]);
    expect(manifest.quality.passed).toBe(true);

    const status = await runCli(['status', '--json'], { env: env(root) });
    expect(status.code).toBe(0);
    const report = JSON.parse(status.stdout);
    // Newest first by run id (these test ids sort alphabetically, not by time).
    expect(report.runs.map((r: { run_id: string; status: string }) => [r.run_id, r.status])).toEqual([
      ['q-changed', 'succeeded'],
      ['q-all', 'succeeded'],
      ['good', 'succeeded'],
      ['after-tamper', 'succeeded'],
    ]);
    expect(report.latest.daily_overview.run_id).toBe('after-tamper');
    expect(report.watermarks.charges.created_watermark).toBeGreaterThan(0);
  }, 180_000);

  it('on the Ceph S3 server writes the same keys and the same rows as on disk', async () => {
    const s3 = s3TestConfig();
    const prefix = freshPrefix('run-all');
    const localRoot = await mkdtemp(join(tmpdir(), 'pp-local-'));
    const args = ['run-all', '--run-id', 'same-run', '--until', String(NOW)];
    // two independent lakes of the same frozen source: the runs at once
    const [local, aws] = await Promise.all([
      runCli(args, { env: env(localRoot) }),
      runCli(args, { env: env(await mkdtemp(join(tmpdir(), 'pp-unused-')), s3CliEnv(s3, prefix)) }),
    ]);
    expect(local.code, local.stderr).toBe(0);
    expect(aws.code, aws.stderr).toBe(0);
    expect(aws.stderr).not.toContain(s3.secretAccessKey);

    const store = new S3ObjectStore({
      bucket: s3.bucket,
      prefix,
      region: s3.region,
      endpoint: s3.endpoint,
      credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
    });
    const localStore = new LocalObjectStore(localRoot);
    const dataKeys = async (st: { list(p: string): Promise<{ key: string }[]> }) =>
      (await Promise.all(['bronze/', 'silver/', 'gold/'].map((p) => st.list(p)))).flat().map((o) => o.key);
    const s3Keys = await dataKeys(store);
    expect(s3Keys.length).toBeGreaterThan(0);
    expect(s3Keys).toEqual(await dataKeys(localStore));
    const pointers = (await store.list('_state/manifests/_latest/')).map((o) => o.key);
    expect(pointers).toEqual((await localStore.list('_state/manifests/_latest/')).map((o) => o.key));

    // Same rows: download the S3 lake's Silver and Gold and compare with the local one.
    const copy = await mkdtemp(join(tmpdir(), 'pp-s3copy-'));
    const copied = await mapReads(
      s3Keys.filter((k) => !k.startsWith('bronze/')),
      (key) => store.getToFile(key, join(copy, key)),
    );
    expect(copied.every((ok) => ok)).toBe(true);
    expect(await silverContent(copy)).toEqual(await silverContent(localRoot));
    for (const model of [
      'fct_payments',
      'daily_overview',
      'dim_customers',
      'fct_invoices',
      'fct_balance_transactions',
    ]) {
      const rows = async (root: string) =>
        (await readLayer(root, 'gold', model)).map((r) => JSON.stringify(r)).sort();
      expect(await rows(copy), model).toEqual(await rows(localRoot));
    }
  }, 240_000);
});
