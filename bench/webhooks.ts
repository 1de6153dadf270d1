/**
 * Webhook receiver benchmark (not a test): signed deliveries with 30% duplicates at concurrency 50
 * against the receiver running in its own process (so client and server do not share one event
 * loop), on the local store and on S3; prints events/s and p50/p99 latency, as a table and JSON.
 *
 *   npx tsx bench/webhooks.ts [--deliveries 5000] [--concurrency 50] [--store local|s3|all]
 *                             [--json out.json]
 *
 * S3: S3_ENDPOINT_URL (+ AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, S3_BUCKET) if set, else a
 * throwaway Ceph RGW started by scripts/s3-server.sh (as the tests do).
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import pLimit from 'p-limit';
import { Agent, request } from 'undici';
import { parseSettings } from '../src/config/settings.js';
import { silentLogger } from '../src/obs/logger.js';
import { LocalObjectStore } from '../src/storage/local-store.js';
import type { ObjectStore } from '../src/storage/object-store.js';
import { S3ObjectStore } from '../src/storage/s3-store.js';
import { startWebhookServer } from '../src/webhooks/server.js';
import { signatureHeader } from '../src/webhooks/verify.js';
import { type S3TestConfig, startS3TestServer } from '../test/s3-server.js';

const SECRET = 'whsec_bench';
const SERVE_ENV = 'PP_WEBHOOK_BENCH_SERVE';

/** What the server child needs to build its store. */
type StoreSpec = { kind: 'local'; dir: string } | { kind: 's3'; config: S3TestConfig; prefix: string };

function makeStore(spec: StoreSpec): ObjectStore {
  if (spec.kind === 'local') return new LocalObjectStore(spec.dir);
  const c = spec.config;
  return new S3ObjectStore({
    bucket: c.bucket,
    prefix: spec.prefix,
    region: c.region,
    endpoint: c.endpoint,
    credentials: { accessKeyId: c.accessKeyId, secretAccessKey: c.secretAccessKey },
  });
}

/** Child mode: serve until stdin closes, print the URL once listening. */
async function serve(spec: StoreSpec): Promise<void> {
  const server = await startWebhookServer({
    store: makeStore(spec),
    settings: parseSettings({ WEBHOOK_SECRET: SECRET, VERIFY_WEBHOOK_SIGNATURES: 'true' }),
    logger: silentLogger(),
    runId: 'bench',
    host: '127.0.0.1',
    port: 0,
  });
  process.stdout.write(`READY ${server.url}\n`);
  process.stdin.resume();
  process.stdin.on('end', () => void server.close().then(() => process.exit(0)));
}

async function startChild(spec: StoreSpec): Promise<{ url: string; stop: () => Promise<void> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', new URL(import.meta.url).pathname], {
    env: { ...process.env, [SERVE_ENV]: JSON.stringify(spec) },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout });
    lines.on('line', (l) => l.startsWith('READY ') && resolve(l.slice(6)));
    child.on('exit', (code) => reject(new Error(`receiver exited with ${code}`)));
  });
  return {
    url,
    stop: () =>
      new Promise((resolve) => {
        child.on('exit', () => resolve());
        child.stdin.end();
      }),
  };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

interface Result {
  store: string;
  deliveries: number;
  distinct: number;
  concurrency: number;
  seconds: number;
  deliveries_per_s: number;
  new_events_per_s: number;
  p50_ms: number;
  p99_ms: number;
  non_200: number;
}

async function runOne(
  label: string,
  spec: StoreSpec,
  deliveries: number,
  concurrency: number,
): Promise<Result> {
  const distinct = Math.round(deliveries * 0.7);
  const ids = [...Array(distinct).keys()];
  const order = [...ids, ...ids.slice(0, deliveries - distinct)].sort(() => Math.random() - 0.5);
  const created = Math.floor(Date.now() / 1000);
  const run = Date.now().toString(36);
  // Bodies and signatures are made before the clock starts: only the receiver is measured.
  const requests = order.map((i) => {
    const body = JSON.stringify({
      id: `evt_bench_${run}_${i}`,
      object: 'event',
      type: 'charge.succeeded',
      created,
      livemode: false,
      data: { object: { id: `ch_bench_${i}`, object: 'charge', amount: 1000 + i, currency: 'usd' } },
    });
    return { body, header: signatureHeader(body, SECRET, created) };
  });
  const server = await startChild(spec);
  const agent = new Agent({ connections: concurrency });
  const latencies: number[] = [];
  let non200 = 0;
  try {
    // Warm-up on ids outside the measured set.
    for (let i = 0; i < 50; i++) {
      const body = JSON.stringify({ id: `evt_warm_${run}_${i}`, type: 'x', created, data: { object: {} } });
      const res = await request(`${server.url}/webhooks/stripe`, {
        method: 'POST',
        body,
        dispatcher: agent,
        headers: { 'stripe-signature': signatureHeader(body, SECRET, created) },
      });
      await res.body.dump();
    }
    const limit = pLimit(concurrency);
    const t0 = performance.now();
    await Promise.all(
      requests.map((r) =>
        limit(async () => {
          const s = performance.now();
          const res = await request(`${server.url}/webhooks/stripe`, {
            method: 'POST',
            body: r.body,
            dispatcher: agent,
            headers: { 'content-type': 'application/json', 'stripe-signature': r.header },
          });
          await res.body.dump();
          latencies.push(performance.now() - s);
          if (res.statusCode !== 200) non200++;
        }),
      ),
    );
    const seconds = (performance.now() - t0) / 1000;
    latencies.sort((a, b) => a - b);
    return {
      store: label,
      deliveries,
      distinct,
      concurrency,
      seconds: round(seconds, 2),
      deliveries_per_s: round(deliveries / seconds, 0),
      new_events_per_s: round(distinct / seconds, 0),
      p50_ms: round(percentile(latencies, 50), 1),
      p99_ms: round(percentile(latencies, 99), 1),
      non_200: non200,
    };
  } finally {
    await agent.close();
    await server.stop();
  }
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      deliveries: { type: 'string', default: '5000' },
      concurrency: { type: 'string', default: '50' },
      store: { type: 'string', default: 'all' },
      json: { type: 'string' },
    },
  });
  const deliveries = Number(values.deliveries);
  const concurrency = Number(values.concurrency);
  const results: Result[] = [];
  if (values.store === 'local' || values.store === 'all') {
    const dir = await mkdtemp(join(tmpdir(), 'wh-bench-'));
    try {
      results.push(await runOne('local', { kind: 'local', dir }, deliveries, concurrency));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
  if (values.store === 's3' || values.store === 'all') {
    const { server, stop } = await startS3TestServer();
    try {
      if (!server.ok) throw new Error(server.error);
      const prefix = `bench/webhooks-${Date.now().toString(36)}`;
      results.push(
        await runOne(
          `s3 (${server.config.source})`,
          { kind: 's3', config: server.config, prefix },
          deliveries,
          concurrency,
        ),
      );
    } finally {
      await stop();
    }
  }
  console.table(results);
  const md = [
    '| store | deliveries (distinct) | concurrency | deliveries/s | new events/s | p50 ms | p99 ms | non-200 |',
    '|---|---|---|---|---|---|---|---|',
    ...results.map(
      (r) =>
        `| ${r.store} | ${r.deliveries} (${r.distinct}) | ${r.concurrency} | ${r.deliveries_per_s} | ${r.new_events_per_s} | ${r.p50_ms} | ${r.p99_ms} | ${r.non_200} |`,
    ),
  ].join('\n');
  console.log(md);
  if (values.json) await writeFile(values.json, `${JSON.stringify(results, null, 2)}\n`);
}

const serveSpec = process.env[SERVE_ENV];
if (serveSpec) {
  await serve(JSON.parse(serveSpec) as StoreSpec);
} else {
  await main();
}
