/**
 * Transform benchmark (not a test): N synthetic Bronze charges (or an existing data root) ->
 * `runTransform`, against the floor: DuckDB's own `read_ndjson` -> `COPY ... (FORMAT parquet)` of
 * the same Bronze. Prints seconds, the ratio (target <= 2 on Silver) and peak RSS.
 *
 *   npx tsx bench/transform.ts [--records 100000] [--days 30] [--root DIR]
 */
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { DuckDBInstance } from '@duckdb/node-api';
import { parseSettings } from '../src/config/settings.js';
import { silentLogger } from '../src/obs/logger.js';
import { layout } from '../src/storage/layout.js';
import { LocalObjectStore } from '../src/storage/local-store.js';
import { runTransform } from '../src/transform/run-transform.js';

const { values } = parseArgs({
  options: {
    records: { type: 'string', default: '100000' },
    days: { type: 'string', default: '30' },
    root: { type: 'string' },
  },
});
const N = Number(values.records);
const DAYS = Number(values.days);
const DAY0 = Date.parse('2024-01-01T00:00:00Z') / 1000;

async function generate(root: string): Promise<void> {
  const runId = '20240201T000000Z-bench0';
  const perDay = Math.ceil(N / DAYS);
  let written = 0;
  for (let d = 0; d < DAYS && written < N; d++) {
    const dt = new Date((DAY0 + d * 86400) * 1000).toISOString().slice(0, 10);
    const path = join(root, ...layout.bronzePart('charges', dt, runId, 0).split('/'));
    await mkdir(dirname(path), { recursive: true });
    const out = createWriteStream(path);
    for (let i = 0; i < perDay && written < N; i++, written++) {
      const created = DAY0 + d * 86400 + Math.floor((i * 86400) / perDay);
      const failed = i % 20 === 0;
      const data = {
        id: `ch_${String(written).padStart(24, '0')}`,
        object: 'charge',
        amount: 500 + (i % 9000),
        amount_captured: failed ? 0 : 500 + (i % 9000),
        amount_refunded: 0,
        balance_transaction: `txn_${String(written).padStart(24, '0')}`,
        billing_details: {
          address: { city: null, country: 'US', line1: null, postal_code: '94107' },
          email: null,
          name: 'Jenny Rosen',
        },
        captured: !failed,
        created,
        currency: ['usd', 'eur', 'gbp'][i % 3],
        customer: `cus_${String(i % 5000).padStart(14, '0')}`,
        description: 'Bench charge',
        disputed: false,
        failure_code: failed ? 'card_declined' : null,
        failure_message: failed ? 'Your card was declined.' : null,
        livemode: false,
        metadata: { order_id: String(written) },
        outcome: {
          network_status: 'approved_by_network',
          reason: null,
          risk_level: 'normal',
          seller_message: 'Payment complete.',
          type: 'authorized',
        },
        paid: !failed,
        payment_intent: `pi_${String(written).padStart(24, '0')}`,
        payment_method: `pm_${String(written).padStart(24, '0')}`,
        payment_method_details: {
          card: {
            brand: 'visa',
            checks: { cvc_check: 'pass' },
            country: 'US',
            exp_month: 8,
            exp_year: 2030,
            fingerprint: 'AOB934RVNwzk6xtn',
            funding: 'credit',
            last4: '4242',
            network: 'visa',
          },
          type: 'card',
        },
        receipt_url:
          'https://pay.stripe.com/receipts/payment/CAcaFwoVYWNjdF8xUGdhZlRCN1daMDF6Z2tXKI_ei7UGMgZv2S',
        refunded: false,
        refunds: { data: [], has_more: false, object: 'list', url: `/v1/charges/ch_${written}/refunds` },
        status: failed ? 'failed' : 'succeeded',
      };
      const meta = {
        entity: 'charges',
        run_id: runId,
        ingested_at: '2024-02-01T00:00:00.000Z',
        source: 'api',
        version_ts: DAY0 + 40 * 86400,
      };
      if (!out.write(`${JSON.stringify({ data, meta })}\n`))
        await new Promise<void>((r) => out.once('drain', () => r()));
    }
    await new Promise<void>((r, j) => out.end((e?: Error | null) => (e ? j(e) : r())));
  }
}

async function floor(root: string, work: string): Promise<number> {
  const inst = await DuckDBInstance.create(':memory:');
  const conn = await inst.connect();
  const t = performance.now();
  await conn.run(
    `copy (select * from read_ndjson('${root}/bronze/source=stripe/entity=charges/*/*/*.jsonl')) to '${work}/floor.parquet' (format parquet)`,
  );
  const s = (performance.now() - t) / 1000;
  conn.closeSync();
  inst.closeSync();
  return s;
}

const work = await mkdtemp(join(tmpdir(), 'bench-transform-'));
const root = values.root ?? join(work, 'lake');
if (!values.root) {
  const t = performance.now();
  await generate(root);
  console.log(`generated ${N} charges over ${DAYS} days in ${((performance.now() - t) / 1000).toFixed(1)} s`);
}
const floorSeconds = await floor(root, work);
const store = new LocalObjectStore(root);
const t = performance.now();
const report = await runTransform({
  store,
  settings: parseSettings({}),
  logger: silentLogger(),
  runId: 'bench',
  fullRefresh: true,
  workDir: join(work, 'transform'),
});
const total = (performance.now() - t) / 1000;
const silver = report.models['silver.charges']!;
const t2 = performance.now();
const again = await runTransform({
  store,
  settings: parseSettings({}),
  logger: silentLogger(),
  runId: 'bench2',
  workDir: join(work, 't2'),
});
const noop = (performance.now() - t2) / 1000;
console.table({
  floor: { seconds: floorSeconds.toFixed(2) },
  'silver.charges': {
    seconds: silver.seconds.toFixed(2),
    rows: silver.rows,
    ratio: (silver.seconds / floorSeconds).toFixed(2),
  },
  'runTransform (silver+gold)': { seconds: total.toFixed(2), ratio: (total / floorSeconds).toFixed(2) },
  'no-op rerun': { seconds: noop.toFixed(2), partitions: again.silverKeys.length },
});
console.log(`peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB`);
if (!values.root) await rm(work, { recursive: true, force: true });
