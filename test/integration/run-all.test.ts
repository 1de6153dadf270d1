import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMockApi } from '../../src/mock/index.js';
import { runCli } from '../helpers/cli.js';
import { startCli } from '../helpers/crash.js';
import { readLayer } from '../helpers/lake.js';
import { advanceMockClock, configureMock, fetchTruth } from '../helpers/mock-control.js';
import {
  CHANGES_DEFAULT_DAYS,
  CHANGES_NOW,
  CHANGES_STEP,
  CHANGES_WORLD,
  censusOf,
  silverVsTruth,
} from '../helpers/truth-compare.js';

const NOW = CHANGES_NOW;
type Mock = Awaited<ReturnType<typeof startMockApi>>;

/** Asserts Silver equals the truth for every object entity: same ids, same latest state. */
async function expectSilverEqualsTruth(root: string, mockUrl: string): Promise<void> {
  expect(await silverVsTruth(root, mockUrl)).toEqual([]);
}

/** daily_overview sales straight from the truth, per day and currency. */
async function expectDailySalesEqualTruth(root: string, mockUrl: string): Promise<void> {
  const charges = await fetchTruth(mockUrl, 'charges');
  const expected = new Map<string, { amount: number; count: number }>();
  for (const c of charges) {
    if (c.status !== 'succeeded') continue;
    const key = `${new Date(Number(c.created) * 1000).toISOString().slice(0, 10)}|${c.currency}`;
    const e = expected.get(key) ?? { amount: 0, count: 0 };
    e.amount += Number(c.amount);
    e.count += 1;
    expected.set(key, e);
  }
  const rows = await readLayer(root, 'gold', 'daily_overview');
  const actual = new Map<string, { amount: number; count: number }>();
  for (const r of rows) {
    if (Number(r.sales_count) === 0) continue;
    actual.set(`${String(r.date_day).slice(0, 10)}|${r.currency}`, {
      amount: Number(r.sales_amount),
      count: Number(r.sales_count),
    });
  }
  expect(Object.fromEntries(actual)).toEqual(Object.fromEntries(expected));
}

interface Manifest {
  status: string;
  quality: { passed: boolean };
  transform: Record<string, { partitions: number }>;
  extract: Record<string, { records: number; window: { gte: number; lt: number } }>;
  references?: { fetched: Record<string, number>; not_found: string[] };
  timings: Record<string, number>;
  memory: { peak_rss_mib_after: Record<string, number> };
}

async function manifestOf(root: string, runId: string): Promise<Manifest> {
  return JSON.parse(await readFile(join(root, '_state', 'manifests', `run_${runId}.json`), 'utf8'));
}

describe('run-all end to end against the mock API', () => {
  let mock: Mock;
  let root: string;
  const env = () => ({
    API_BASE_URL: mock.url,
    API_KEY: 'sk_test_e2e',
    LOCAL_DATA_DIR: root,
    DEFAULT_DAYS: String(CHANGES_DEFAULT_DAYS),
    LOG_LEVEL: 'warn',
  });

  beforeAll(async () => {
    mock = await startMockApi({ ...CHANGES_WORLD, now: NOW, port: 0, quiet: true });
    root = await mkdtemp(join(tmpdir(), 'pp-e2e-'));
  });
  afterAll(async () => {
    await mock?.close();
  });

  it('loads everything, then a week later applies new objects, updates and deletions', async () => {
    // The world has every kind of change to load, so the comparisons below cover each of them.
    const before = await censusOf(mock.url);
    expect(before.deletedCustomers, 'deleted customers').toBeGreaterThan(0);
    expect(before.disputes, 'disputes').toBeGreaterThan(0);
    expect(before.refunds, 'refunds').toBeGreaterThan(0);
    expect(before.canceledSubscriptions, 'canceled subscriptions').toBeGreaterThan(0);
    const first = await runCli(['run-all', '--run-id', 'e2e-1', '--until', String(NOW)], { env: env() });
    expect(first.stderr).not.toMatch(/sk_test_e2e/);
    expect(first.code, first.stderr).toBe(0);
    await expectSilverEqualsTruth(root, mock.url);
    await expectDailySalesEqualTruth(root, mock.url);
    // the comparison above is not vacuous for the SaaS tables
    for (const table of ['products', 'prices', 'coupons', 'payouts'])
      expect((await readLayer(root, 'silver', table, 'id')).length, table).toBeGreaterThan(0);
    const m1 = await manifestOf(root, 'e2e-1');
    expect(m1.status).toBe('succeeded');
    expect(m1.quality.passed).toBe(true);
    // seconds and the peak RSS so far, per step; the peak never goes down
    const peaks = m1.memory.peak_rss_mib_after;
    expect(Object.keys(m1.timings)).toEqual(Object.keys(peaks));
    expect(peaks.extract).toBeGreaterThan(30);
    expect(peaks.quality).toBeGreaterThanOrEqual(peaks.extract!);
    for (const model of [
      'fct_payments',
      'fct_balance_transactions',
      'fct_invoices',
      'daily_overview',
      'dim_customers',
    ]) {
      const pointer = JSON.parse(
        await readFile(join(root, '_state/manifests/_latest', `${model}.json`), 'utf8'),
      );
      expect(pointer.run_id).toBe('e2e-1');
      for (const key of pointer.keys) expect(existsSync(join(root, key)), key).toBe(true);
    }

    // Balance transactions change without events (pending -> available): the first load notes
    // where the oldest one still pending starts, and the next run re-reads from there, not from
    // the whole 10-day lookback (the status comparison after it proves none was left pending).
    const pendingAtFirst = (await fetchTruth(mock.url, 'balance_transactions'))
      .filter((t) => t.status === 'pending')
      .map((t) => Number(t.created));
    expect(pendingAtFirst.length, 'balance transactions pending at the first load').toBeGreaterThan(0);
    const btMark = JSON.parse(
      await readFile(join(root, '_state/watermarks/balance_transactions.json'), 'utf8'),
    ) as { created_watermark: number; unsettled_from: number };
    expect(btMark.unsettled_from).toBe(Math.min(...pendingAtFirst));
    expect(btMark.unsettled_from).toBeGreaterThan(btMark.created_watermark - 10 * 86_400);

    await advanceMockClock(mock.url, CHANGES_STEP);
    const after = await censusOf(mock.url);
    expect(after.deletedCustomers, 'customers deleted since the first load').toBeGreaterThan(
      before.deletedCustomers,
    );
    expect(
      [...after.disputeStatuses].filter(([id, st]) => before.disputeStatuses.get(id) !== st),
      'disputes opened or closed since the first load',
    ).not.toEqual([]);
    const second = await runCli(['run-all', '--run-id', 'e2e-2', '--until', String(NOW + CHANGES_STEP)], {
      env: env(),
    });
    expect(second.code, second.stderr).toBe(0);
    await expectSilverEqualsTruth(root, mock.url);
    await expectDailySalesEqualTruth(root, mock.url);
    const m2 = await manifestOf(root, 'e2e-2');
    expect(m2.extract.balance_transactions?.window.gte, 'the lookback starts at the oldest pending').toBe(
      btMark.unsettled_from,
    );
    const silverCharges = await readdir(join(root, 'silver/source=stripe/entity=charges'));
    expect(m2.transform['silver.charges']?.partitions).toBeGreaterThan(0);
    expect(
      m2.transform['silver.charges']?.partitions,
      'the second run rebuilt only changed partitions',
    ).toBeLessThan(silverCharges.length);
    expect(m2.extract.charges?.records).toBeLessThan(m1.extract.charges?.records ?? 0);
    // Two full runs: a backstop for a hung run, not a speed check (a loaded machine is slow).
  }, 240_000);

  it('lets one of two concurrent runs in; the other exits 3 naming the holder', async () => {
    await configureMock(mock.url, { latency_ms: 150 });
    try {
      const a = startCli(['run-all', '--run-id', 'holder-run', '--until', String(NOW + CHANGES_STEP)], {
        env: { ...env(), LOG_LEVEL: 'info' },
      });
      // The holder logs "run … started" once it holds the lock (or ends without ever holding it).
      await new Promise<void>((resolve) => {
        a.onLine((_line, log) => {
          if (typeof log?.msg === 'string' && log.msg.startsWith('run holder-run started')) resolve();
        });
        void a.done.then(() => resolve());
      });
      expect(a.child.exitCode, 'the holder is still running').toBeNull();
      const b = await runCli(['run-all', '--run-id', 'second-run', '--until', String(NOW + CHANGES_STEP)], {
        env: env(),
      });
      expect(b.code).toBe(3);
      expect(b.stderr).toContain('holder-run');
      expect((await a.done).code).toBe(0);
    } finally {
      await configureMock(mock.url, { latency_ms: 0 });
    }
  });

  it('fails with exit 1 on a rejected key and moves no pointer and no watermark', async () => {
    const pointer = () => readFile(join(root, '_state/manifests/_latest/daily_overview.json'), 'utf8');
    const watermark = () => readFile(join(root, '_state/watermarks/charges.json'), 'utf8');
    const [p0, w0] = [await pointer(), await watermark()];
    const r = await runCli(
      ['run-all', '--run-id', 'bad-key', '--until', String(NOW + CHANGES_STEP + 86_400)],
      {
        env: { ...env(), API_KEY: 'bogus_key_123' },
      },
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('API key rejected');
    expect(r.stderr).not.toContain('bogus_key_123');
    expect(await pointer()).toBe(p0);
    expect(await watermark()).toBe(w0);
    expect((await manifestOf(root, 'bad-key')).status).toBe('failed');
  });
});

describe('run-all with a first window shorter than the account history', () => {
  let mock: Mock;
  afterAll(async () => {
    await mock?.close();
  });

  it('retrieves the referenced objects no window covered, so every reference resolves', async () => {
    mock = await startMockApi({ preset: 'tiny', now: NOW, port: 0, quiet: true });
    const root = await mkdtemp(join(tmpdir(), 'pp-e2e-refs-'));
    const r = await runCli(['run-all', '--run-id', 'refs-1', '--until', String(NOW), '--days', '4'], {
      env: { API_BASE_URL: mock.url, API_KEY: 'sk_test_refs', LOCAL_DATA_DIR: root, LOG_LEVEL: 'warn' },
    });
    expect(r.code, r.stderr).toBe(0);
    const m = await manifestOf(root, 'refs-1');
    expect(m.quality.passed).toBe(true);
    expect(
      m.references?.fetched.customers ?? 0,
      'customers created before the window were fetched',
    ).toBeGreaterThan(0);

    const customers = new Map((await readLayer(root, 'silver', 'customers')).map((c) => [String(c.id), c]));
    const truth = new Map((await fetchTruth(mock.url, 'customers')).map((c) => [String(c.id), c]));
    const charges = await readLayer(root, 'silver', 'charges', 'id, customer_id');
    const referenced = new Set(
      charges.map((c) => c.customer_id).filter((id): id is string => typeof id === 'string'),
    );
    expect(referenced.size).toBeGreaterThan(0);
    for (const id of referenced) {
      const row = customers.get(id);
      expect(row, `customer ${id} of a charge is in Silver`).toBeDefined();
      const t = truth.get(id)!;
      expect(row!.is_deleted, `customer ${id} deletion state`).toBe(t.deleted === true);
      if (t.deleted !== true) expect(row!.email, `customer ${id} email`).toBe(t.email);
    }
  });
});
