import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseSettings } from '../../src/config/settings.js';
import { silentLogger } from '../../src/obs/logger.js';
import { runQuality } from '../../src/quality/index.js';
import { LocalObjectStore } from '../../src/storage/local-store.js';
import { runTransform } from '../../src/transform/run-transform.js';
import { at, makeCustomer, meta, writeBronze, writeWebhook } from '../fixtures/bronze/factories.js';
import { useDuckSession } from '../helpers/duck-session.js';
import { checkNamed } from '../helpers/quality.js';

// A table's first build reads its Bronze a run of days at a time when it would not fit one query
// (the 1m preset's invoices did not). Here every day is over the budget, so each is a run of its
// own: the rows must be those one whole query gives, and the checks must still see every row.

const R1 = '20240110T000000Z-aaaaaa';
const duck = useDuckSession('child-chunks-q-');
const settings = parseSettings({});
let root: string;
let store: LocalObjectStore;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'child-chunks-'));
  store = new LocalObjectStore(root);
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

const invoice = (id: string, day: string, lines: string[], status = 'open') => ({
  id,
  object: 'invoice',
  created: at(day),
  customer: 'cus_1',
  status,
  lines: {
    object: 'list',
    has_more: false,
    data: lines.map((l) => ({
      id: l,
      object: 'line_item',
      amount: 100,
      currency: 'usd',
      type: 'subscription',
    })),
  },
});
const version = (data: Record<string, unknown>, v: number, over = {}) => ({
  data,
  meta: meta('invoices', { run_id: R1, version_ts: v, ...over }),
});

async function seed(): Promise<void> {
  for (const [n, day] of ['2024-01-01', '2024-01-02', '2024-01-03', '2024-01-04'].entries())
    await writeBronze(store, 'invoices', day, R1, [
      version(invoice(`in_${n + 1}`, day, [`il_${n + 1}a`, `il_${n + 1}b`]), at('2024-01-09')),
    ]);
  // a later version of in_1, delivered by webhook: its lines replace the first ones
  await writeWebhook(store, '2024-01-09', {
    id: 'evt_1',
    type: 'invoice.updated',
    created: at('2024-01-09', 7200),
    data: { object: invoice('in_1', '2024-01-01', ['il_1c'], 'paid') },
  });
  // an invoice known only from a webhook, created after the last day with invoice Bronze
  await writeWebhook(store, '2024-01-09', {
    id: 'evt_2',
    type: 'invoice.created',
    created: at('2024-01-09', 7300),
    data: { object: invoice('in_5', '2024-01-09', ['il_5a']) },
  });
  // a bare tombstone of in_3 (no `created`), in another day's file: it ends in_3's lines
  await writeBronze(store, 'invoices', '2024-01-08', R1, [
    version({ id: 'in_3', object: 'invoice', deleted: true }, at('2024-01-09', 7400), {
      source: 'events',
      deleted: true,
    }),
  ]);
}

const transform = (runId: string, extra: { dayChunkBytes?: number; fullRefresh?: boolean } = {}) =>
  runTransform({ store, settings, logger: silentLogger(), runId, until: at('2024-01-10'), ...extra });
const lines = () =>
  duck.session.rows<{ id: string; invoice_id: string; dt: string; invoice_status: string }>(
    `select id, invoice_id, dt::VARCHAR as dt, invoice_status
     from read_parquet('${root}/silver/source=stripe/entity=invoice_line_items/*/data.parquet') order by id`,
  );
const check = async (runId: string, dayChunkBytes?: number) =>
  checkNamed(
    await runQuality({
      store,
      settings,
      logger: silentLogger(),
      runId,
      until: at('2024-01-10'),
      scope: 'all',
      ...(dayChunkBytes === undefined ? {} : { dayChunkBytes }),
    }),
    'reconcile.bronze_silver.invoice_line_items',
  );

describe('a child table built and checked a run of its parents’ days at a time', () => {
  it('gives the lines one whole query gives, and the check reads every run', async () => {
    await seed();
    await transform('r1', { dayChunkBytes: 1 });
    const chunked = await lines();
    expect(chunked).toEqual([
      { id: 'il_1c', invoice_id: 'in_1', dt: '2024-01-01', invoice_status: 'paid' },
      { id: 'il_2a', invoice_id: 'in_2', dt: '2024-01-02', invoice_status: 'open' },
      { id: 'il_2b', invoice_id: 'in_2', dt: '2024-01-02', invoice_status: 'open' },
      { id: 'il_4a', invoice_id: 'in_4', dt: '2024-01-04', invoice_status: 'open' },
      { id: 'il_4b', invoice_id: 'in_4', dt: '2024-01-04', invoice_status: 'open' },
      { id: 'il_5a', invoice_id: 'in_5', dt: '2024-01-09', invoice_status: 'open' },
    ]);
    await transform('r2', { fullRefresh: true });
    expect(await lines()).toEqual(chunked);

    // the lists typed by the JSON reader: every day in one query
    const passed = await check('q1', 1);
    expect(passed.passed, JSON.stringify(passed.details)).toBe(true);
    expect(passed.details).toMatchObject({ expected_children: 6, silver_rows: 6, embedded_lists: 'typed' });

    // a line lost behind the pipeline's back, in the last day
    await store.delete(LAST_DAY_LINES);
    const failed = await check('q2', 1);
    expect(failed.passed).toBe(false);
    expect(JSON.stringify(failed.details.missing_from_silver)).toContain('il_5a');
  });

  it('reads the lists as JSON text, a run of days at a time, when one cannot be typed', async () => {
    await seed();
    // a list that is an array, not a list object: the transform reads no lines from it (as JSON
    // text), the typed read fails on it
    await writeBronze(store, 'invoices', '2024-01-05', R1, [
      version({ ...invoice('in_6', '2024-01-05', []), lines: [{ id: 'il_6a' }] }, at('2024-01-09')),
    ]);
    await transform('r1', { dayChunkBytes: 1 });
    expect((await lines()).map((l) => l.id)).not.toContain('il_6a');

    const passed = await check('q1', 1);
    expect(passed.passed, JSON.stringify(passed.details)).toBe(true);
    expect(passed.details).toMatchObject({ expected_children: 6, silver_rows: 6, embedded_lists: 'json' });

    // a line lost behind the pipeline's back, in the last run of days: found by the chunked check
    await store.delete(LAST_DAY_LINES);
    const failed = await check('q2', 1);
    expect(failed.passed).toBe(false);
    expect(failed.details).toMatchObject({ embedded_lists: 'json' });
    expect(JSON.stringify(failed.details.missing_from_silver)).toContain('il_5a');
  });
});

const LAST_DAY_LINES = 'silver/source=stripe/entity=invoice_line_items/dt=2024-01-09/data.parquet';

describe('an entity built a run of its days at a time', () => {
  const customer = (id: string, day: string, name: string) => makeCustomer({ id, created: at(day), name });
  const customers = () =>
    duck.session.rows<{ id: string; name: string; dt: string; is_deleted: boolean }>(
      `select id, name, dt::VARCHAR as dt, is_deleted
       from read_parquet('${root}/silver/source=stripe/entity=customers/*/data.parquet') order by id`,
    );
  const partitions = async () =>
    (await store.list('silver/source=stripe/entity=customers/')).map((o) => o.key.split('/')[3]).sort();

  async function seedCustomers(): Promise<void> {
    for (const [n, day] of ['2024-01-01', '2024-01-02', '2024-01-03', '2024-01-04'].entries()) {
      const id = `cus_${n + 1}`;
      await writeBronze(store, 'customers', day, R1, [
        {
          data: customer(id, day, 'first'),
          meta: meta('customers', { run_id: R1, version_ts: at('2024-01-09') }),
        },
        {
          data: customer(id, day, 'second'),
          meta: meta('customers', { run_id: R1, version_ts: at('2024-01-09', 7000) }),
        },
      ]);
    }
    // a later version of cus_1 by webhook, and a customer known only from a webhook, created
    // after the last day with customer Bronze
    await writeWebhook(store, '2024-01-09', {
      id: 'evt_c1',
      type: 'customer.updated',
      created: at('2024-01-09', 7200),
      data: { object: customer('cus_1', '2024-01-01', 'by webhook') },
    });
    await writeWebhook(store, '2024-01-09', {
      id: 'evt_c9',
      type: 'customer.created',
      created: at('2024-01-09', 7300),
      data: { object: customer('cus_9', '2024-01-09', 'webhook only') },
    });
  }

  it('gives the rows one whole query gives', async () => {
    await seedCustomers();
    await transform('r1', { dayChunkBytes: 1 });
    const chunked = await customers();
    expect(chunked.map((r) => [r.id, r.name, r.dt])).toEqual([
      ['cus_1', 'by webhook', '2024-01-01'],
      ['cus_2', 'second', '2024-01-02'],
      ['cus_3', 'second', '2024-01-03'],
      ['cus_4', 'second', '2024-01-04'],
      ['cus_9', 'webhook only', '2024-01-09'],
    ]);
    await transform('r2', { fullRefresh: true });
    expect(await customers()).toEqual(chunked);
  });

  it('builds the table whole when an object has no created (a bare tombstone), leaving no partition of the runs behind', async () => {
    await seedCustomers();
    // cus_3 deleted, its tombstone without `created`: on its own day it would be a row of its own
    await writeBronze(store, 'customers', '2024-01-10', R1, [
      {
        data: { id: 'cus_3', object: 'customer', deleted: true },
        meta: meta('customers', {
          run_id: R1,
          version_ts: at('2024-01-10'),
          source: 'events',
          deleted: true,
        }),
      },
    ]);
    await transform('r1', { dayChunkBytes: 1 });
    const chunked = await customers();
    expect(chunked.find((r) => r.id === 'cus_3')).toMatchObject({ dt: '2024-01-03', is_deleted: true });
    expect(chunked.filter((r) => r.id === 'cus_3')).toHaveLength(1);
    expect(await partitions()).not.toContain('dt=2024-01-10');
    await transform('r2', { fullRefresh: true });
    expect(await customers()).toEqual(chunked);
  });
});
