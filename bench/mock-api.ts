/**
 * Mock API benchmark: start-up time, peak RSS, and pages/s of `GET /v1/charges?limit=100`
 * paging (keep-alive, several clients over different created slices) against a bare
 * `node:http` server replaying the same recorded bytes for the same URLs. Both servers run on
 * the main thread and the clients in worker threads, so the main thread's CPU time per page is
 * each server's own cost, a figure that a loaded machine distorts less than pages/s.
 *
 *   npx tsx bench/mock-api.ts --preset 1m [--clients 4] [--seconds 10] [--pages 60]
 *
 * Prints a JSON result and writes the `## Mock API` section of docs/benchmarks.md.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';
import { type MockPreset, startMockApi } from '../src/mock/index.js';

const { values } = parseArgs({
  options: {
    preset: { type: 'string', default: '1m' },
    clients: { type: 'string', default: '4' },
    seconds: { type: 'string', default: '10' },
    pages: { type: 'string', default: '60' },
    rounds: { type: 'string', default: '5' },
  },
});
const preset = values.preset as MockPreset;
const clients = Number(values.clients);
const seconds = Number(values.seconds);
const pagesPerSlice = Number(values.pages);
const rounds = Number(values.rounds);
const NOW = Date.parse('2026-03-01T00:00:00Z') / 1000;
const mb = (kb: number): number => Math.round(kb / 1024);

/**
 * CPU milliseconds the main thread (where both servers run) has used: utime + stime of
 * /proc/self/task/<pid>/stat, in clock ticks of 10 ms. Unlike wall time, a loaded machine does
 * not inflate it much.
 */
function mainThreadCpuMs(): number {
  const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) * 10;
}

// The client runs in a worker thread so it does not share the server's event loop.
const CLIENT = `
const { parentPort, workerData } = require('node:worker_threads');
const { Pool } = require(workerData.undici);
const { base, slice, pages, seconds, record } = workerData;
const pool = new Pool(base, { connections: 1, pipelining: 1 });
(async () => {
  const recorded = [];
  let n = 0, bytes = 0;
  const started = performance.now();
  const until = Date.now() + seconds * 1000;
  outer: for (;;) {
    let after = null;
    for (let p = 0; p < pages; p++) {
      const path = '/v1/charges?limit=100&created%5Bgte%5D=' + slice[0] + '&created%5Blt%5D=' + slice[1] + (after ? '&starting_after=' + after : '');
      const res = await pool.request({ path, method: 'GET', headers: { authorization: 'Bearer sk_test_bench' } });
      const body = await res.body.text();
      if (res.statusCode !== 200) throw new Error('status ' + res.statusCode + ' ' + body.slice(0, 200));
      n++; bytes += body.length;
      if (record) recorded.push([path, body]);
      const k = body.lastIndexOf('{"id":"ch_');
      if (k < 0 || body.endsWith('"has_more":false,"url":"/v1/charges"}')) break;
      after = body.slice(k + 7, body.indexOf('"', k + 7));
      if (!record && Date.now() > until) break outer;
    }
    if (record || Date.now() > until) break;
  }
  const elapsed = (performance.now() - started) / 1000;
  await pool.close();
  parentPort.postMessage({ n, bytes, recorded, elapsed });
})().catch((e) => { parentPort.postMessage({ error: String(e) }); });
`;

interface ClientResult {
  n: number;
  bytes: number;
  /** Seconds from the client's first request to its last response (worker start-up excluded). */
  elapsed: number;
  recorded: [string, string][];
  error?: string;
}

interface Run {
  pages: number;
  bytes: number;
  seconds: number;
  recorded: [string, string][];
}

async function runClients(
  base: string,
  slices: [number, number][],
  record: boolean,
  secs: number,
): Promise<Run> {
  const undici = import.meta
    .resolve('undici')
    .replace('file://', '')
    .replace(/index\.js$/, 'index.js');
  const results = await Promise.all(
    slices.map(
      (slice) =>
        new Promise<ClientResult>((resolve, reject) => {
          const w = new Worker(CLIENT, {
            eval: true,
            workerData: { base, slice, pages: pagesPerSlice, seconds: secs, record, undici },
          });
          w.once('message', (m: ClientResult) => (m.error ? reject(new Error(m.error)) : resolve(m)));
          w.once('error', reject);
        }),
    ),
  );
  return {
    pages: results.reduce((s, r) => s + r.n, 0),
    bytes: results.reduce((s, r) => s + r.bytes, 0),
    // The clients run side by side: their mean time is the run's.
    seconds: results.reduce((s, r) => s + r.elapsed, 0) / results.length,
    recorded: results.flatMap((r) => r.recorded),
  };
}

const mock = await startMockApi({ preset, now: NOW, port: 0, quiet: true });
const rssAfterStart = process.memoryUsage().rss;
const startupMs = Math.round(mock.startupMs);
const days = mock.volume.days;
const span = days * 86_400;
const slices: [number, number][] = Array.from({ length: clients }, (_, k) => [
  NOW - span + Math.floor((k * span) / clients),
  NOW - span + Math.floor(((k + 1) * span) / clients),
]);

// Record the exact URL sequence and bytes, then time the mock and the bare server on it, in
// alternating rounds so that both see the same machine load (the machine is shared).
const rec = await runClients(mock.url, slices, true, seconds);
const replay = new Map(rec.recorded.map(([p, b]) => [p, Buffer.from(b)]));
const bare = createServer({ keepAliveTimeout: 5000 }, (req, res) => {
  const body = replay.get(req.url ?? '');
  if (!body) {
    res.writeHead(404).end();
    return;
  }
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length });
  res.end(body);
});
await new Promise<void>((r) => bare.listen(0, '127.0.0.1', r));
const bareUrl = `http://127.0.0.1:${(bare.address() as AddressInfo).port}`;

const load1 = loadavg()[0]!;
const mockRun: Run = { pages: 0, bytes: 0, seconds: 0, recorded: [] };
const bareRun: Run = { pages: 0, bytes: 0, seconds: 0, recorded: [] };
let mockCpuMs = 0;
let bareCpuMs = 0;
const add = (to: Run, r: Run): void => {
  to.pages += r.pages;
  to.bytes += r.bytes;
  to.seconds += r.seconds;
};
for (let r = 0; r < rounds; r++) {
  let cpu = mainThreadCpuMs();
  add(mockRun, await runClients(mock.url, slices, false, seconds / rounds));
  mockCpuMs += mainThreadCpuMs() - cpu;
  cpu = mainThreadCpuMs();
  add(bareRun, await runClients(bareUrl, slices, false, seconds / rounds));
  bareCpuMs += mainThreadCpuMs() - cpu;
}
const load2 = loadavg()[0]!;
const peakRssMock = process.resourceUsage().maxRSS;
await new Promise((r) => bare.close(r));
await mock.close();

const result = {
  preset,
  volume: mock.volume,
  indexed: Object.fromEntries(
    (
      [
        'charges',
        'payment_intents',
        'balance_transactions',
        'customers',
        'invoices',
        'refunds',
        'disputes',
        'events',
      ] as const
    ).map((e) => [e, mock.dataset.size(e)]),
  ),
  startup_ms: startupMs,
  index_mb: Math.round(mock.dataset.indexBytes / 1e6),
  rss_after_start_mb: Math.round(rssAfterStart / 2 ** 20),
  peak_rss_mb: mb(peakRssMock),
  clients,
  page_kb: Math.round(mockRun.bytes / mockRun.pages / 1024),
  mock_pages_per_s: Math.round(mockRun.pages / mockRun.seconds),
  bare_pages_per_s: Math.round(bareRun.pages / bareRun.seconds),
  ratio: Number((mockRun.pages / mockRun.seconds / (bareRun.pages / bareRun.seconds)).toFixed(2)),
  mock_server_cpu_ms_per_page: Number((mockCpuMs / mockRun.pages).toFixed(2)),
  bare_server_cpu_ms_per_page: Number((bareCpuMs / bareRun.pages).toFixed(2)),
  load_average_1m: [Number(load1.toFixed(2)), Number(load2.toFixed(2))],
  node: process.version,
  cpus: (await import('node:os')).cpus().length,
};
console.log(JSON.stringify(result, null, 2));

const section = `## Mock API

\`npx tsx bench/mock-api.ts --preset ${preset} --clients ${clients} --seconds ${seconds}\` (${new Date().toISOString().slice(0, 10)}, Node ${result.node}, ${result.cpus} CPUs; server and client threads share the machine).

| measure | value |
|---|---|
| volume | ${result.volume.days} days × ${result.volume.chargesPerDay} one-off charges/day, ${result.volume.customersPerDay} customers/day |
| indexed objects | ${Object.entries(result.indexed)
  .map(([k, v]) => `${k} ${v.toLocaleString('en-US')}`)
  .join(', ')} |
| start-up (index build + listen) | ${result.startup_ms} ms |
| index memory | ${result.index_mb} MB |
| RSS after start / peak (both servers and the recorded pages in one process) | ${result.rss_after_start_mb} MiB / ${result.peak_rss_mb} MiB |
| page size (\`limit=100\` charges) | ${result.page_kb} KiB |
| mock pages/s (${clients} keep-alive clients, different created slices; ${rounds} rounds of ${seconds / rounds} s alternating with the bare server) | ${result.mock_pages_per_s} |
| bare \`node:http\` replaying the same bytes | ${result.bare_pages_per_s} |
| ratio (target >= 0.7) | ${result.ratio} |
| server CPU per page (main thread): mock / bare | ${result.mock_server_cpu_ms_per_page} ms / ${result.bare_server_cpu_ms_per_page} ms |
| load average (1 min) before / after the timed rounds | ${result.load_average_1m.join(' / ')} |

How a page is served (issue #3): each object is rendered straight to JSON text from per-kind
templates (\`src/mock/dataset/render/\`; byte-equal to \`JSON.stringify\` of the reference builders
kept with the tests, unit-tested) and written into a pooled buffer as soon as it is rendered; the page
goes out with one \`res.end\`. Nothing is cached: every page is rendered from the dataset. Before
this, building ~100 JS objects per page and \`JSON.stringify\`-ing them cost about 6 ms of server
CPU per page (ratio 0.2–0.3).

What limits it: the mock still spends about 1 ms of CPU per 232 KB page against ~0.3 ms for the
bare server (which only writes bytes it already has). That millisecond is the work itself, spread
thin: the plan hashing of ~100 charge families, ~7 ids and random strings per charge, template
concatenation and the UTF-8 write, and young-generation GC (~15%; on this 2-core machine the
parallel scavenger competes with the client threads). Under \`tsx\` each call across modules also
goes through an export getter (~7%). Server and clients share 2 cores, so the ratio is about
(client + bare CPU) / (client + mock CPU) and moves with the machine's load: twelve runs on
2026-11-30 at load averages 2–6 (other engineers' test suites) gave 0.63–0.84, median 0.67; the
rounds alternate so both servers see the same load. The target (>= 0.7) is met only in some runs.

\`\`\`json
${JSON.stringify(result, null, 2)}
\`\`\`
`;
const docPath = new URL('../docs/benchmarks.md', import.meta.url);
const existing = existsSync(docPath) ? readFileSync(docPath, 'utf8') : '# Benchmarks\n';
const start = existing.indexOf('## Mock API');
let next = start < 0 ? -1 : existing.indexOf('\n## ', start + 1);
if (next >= 0) next += 1;
const updated =
  start < 0
    ? `${existing.trimEnd()}\n\n${section}`
    : `${existing.slice(0, start)}${section}${next >= 0 ? `\n${existing.slice(next)}` : ''}`;
writeFileSync(docPath, updated);
