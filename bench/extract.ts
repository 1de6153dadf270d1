/**
 * Extraction benchmark (SPEC section 14): `runExtract` against the mock API (in a child process,
 * so the two share the machine as they would in production), then the floor: the same pages
 * fetched by the tightest loop (undici keep-alive, same concurrency, only the JSON parse that
 * pagination needs). Prints records/s, peak RSS and the ratio (target <= 1.3).
 *
 *   npx tsx bench/extract.ts --preset 100k [--concurrency 8] [--json]
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pLimit from 'p-limit';
import { Pool } from 'undici';
import { parseSettings } from '../src/config/settings.js';
import { ENTITIES } from '../src/entities/registry.js';
import { runExtract } from '../src/extract/run-extract.js';
import { type TimeWindow, timeSlices } from '../src/extract/windows.js';
import { silentLogger } from '../src/obs/logger.js';
import { LocalObjectStore } from '../src/storage/local-store.js';

const { values } = parseArgs({
  options: {
    preset: { type: 'string', default: '100k' },
    concurrency: { type: 'string', default: '8' },
    json: { type: 'boolean', default: false },
  },
});
const preset = values.preset!;
const concurrency = Number(values.concurrency);
const NOW = 1_735_689_600; // 2025-01-01T00:00:00Z, frozen: the same dataset every time
const KEY = 'sk_test_bench';

/** Starts the mock API in a child process and resolves its URL. */
async function startMock(): Promise<{ url: string; stop: () => void }> {
  const code = `
    const { startMockApi } = await import(${JSON.stringify(new URL('../src/mock/index.ts', import.meta.url).href)});
    const m = await startMockApi({ preset: ${JSON.stringify(preset)}, now: ${NOW}, port: 0, host: '127.0.0.1', quiet: true });
    process.stdout.write(JSON.stringify({ url: m.url }) + '\\n');
  `;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let buf = '';
    child.stdout.on('data', (c: Buffer) => {
      buf += c.toString();
      const nl = buf.indexOf('\n');
      if (nl >= 0) resolve((JSON.parse(buf.slice(0, nl)) as { url: string }).url);
    });
    child.on('exit', (c) => reject(new Error(`mock exited with ${c}`)));
  });
  return { url, stop: () => child.kill() };
}

/** The floor: every page of the same windows, keep-alive, same concurrency, no processing. */
async function floor(
  url: string,
  windows: Map<string, TimeWindow>,
): Promise<{ seconds: number; records: number; pages: number }> {
  const pool = new Pool(url, { connections: concurrency, pipelining: 1 });
  const slices = pLimit(concurrency * 2);
  let records = 0;
  let pages = 0;
  const t0 = performance.now();
  const jobs: Promise<void>[] = [];
  for (const def of ENTITIES) {
    const w = windows.get(def.name)!;
    for (const s of timeSlices(w)) {
      jobs.push(
        slices(async () => {
          let after: string | undefined;
          for (;;) {
            const q = new URLSearchParams({
              limit: '100',
              'created[gte]': String(s.gte),
              'created[lt]': String(s.lt),
              ...def.listParams,
            });
            if (after) q.set('starting_after', after);
            const res = await pool.request({
              method: 'GET',
              path: `${def.endpoint}?${q}`,
              headers: { authorization: `Bearer ${KEY}` },
            });
            const body = JSON.parse(await res.body.text()) as { data: { id: string }[]; has_more: boolean };
            pages++;
            records += body.data.length;
            if (!body.has_more || body.data.length === 0) break;
            after = body.data[body.data.length - 1]!.id;
          }
        }),
      );
    }
  }
  await Promise.all(jobs);
  const seconds = (performance.now() - t0) / 1000;
  await pool.close();
  return { seconds, records, pages };
}

const mock = await startMock();
const dir = await mkdtemp(join(tmpdir(), 'bench-extract-'));
try {
  const days = { tiny: 3, demo: 60, '100k': 365, '1m': 365 }[preset] ?? 365;
  const settings = parseSettings(
    {
      LOCAL_DATA_DIR: dir,
      DEFAULT_DAYS: String(days + 1),
      EXTRACT_CONCURRENCY: String(concurrency),
      LOG_LEVEL: 'silent',
    },
    { isTTY: false },
  );
  const store = new LocalObjectStore(dir);
  const t0 = performance.now();
  const report = await runExtract({
    store,
    settings,
    logger: silentLogger(),
    runId: 'bench',
    baseUrl: mock.url,
    apiKey: KEY,
    until: NOW,
  });
  const extractSeconds = (performance.now() - t0) / 1000;
  const records = Object.values(report.entities).reduce((n, e) => n + e.records, 0);
  const pages = Object.values(report.entities).reduce((n, e) => n + e.pages, 0);
  const rssMiB = process.resourceUsage().maxRSS / 1024;
  const windows = new Map(Object.entries(report.entities).map(([k, e]) => [k, e.window]));
  const f = await floor(mock.url, windows);
  const result = {
    preset,
    concurrency,
    records,
    pages,
    extract_seconds: +extractSeconds.toFixed(2),
    extract_records_per_s: Math.round(records / extractSeconds),
    floor_seconds: +f.seconds.toFixed(2),
    floor_records: f.records,
    floor_pages: f.pages,
    floor_records_per_s: Math.round(f.records / f.seconds),
    ratio: +(extractSeconds / f.seconds).toFixed(2),
    peak_rss_mib: Math.round(rssMiB),
    bronze_parts: report.bronzeKeys.length,
  };
  if (values.json) process.stdout.write(`${JSON.stringify(result)}\n`);
  else {
    for (const [k, v] of Object.entries(result)) process.stdout.write(`${k.padEnd(22)} ${v}\n`);
    process.stdout.write(`target ratio <= 1.3: ${result.ratio <= 1.3 ? 'met' : 'NOT met'}\n`);
  }
} finally {
  mock.stop();
  await rm(dir, { recursive: true, force: true });
}
