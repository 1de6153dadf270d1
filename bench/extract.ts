/**
 * `npx tsx bench/extract.ts --scale 100k [--rounds 3] [--days N]` — extraction against its floor
 * alone (the first rows of the suite, without the rest): a first-load `extract` into a fresh data
 * root, then the floor over the same windows, repeated, with wall and CPU seconds of each. For
 * working on the extractor; the suite (`npm run bench`) stays the number of record.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { TimeWindow } from '../src/extract/windows.js';
import { runCli, startMockChild } from './lib/child.js';
import { extractFloor } from './lib/extract-floor.js';
import { BENCH_NOW, SCALES, type Scale } from './lib/suite.js';

const { values } = parseArgs({
  options: {
    scale: { type: 'string', default: '100k' },
    rounds: { type: 'string', default: '3' },
    days: { type: 'string' },
    concurrency: { type: 'string', default: '8' },
  },
});
const scale = values.scale as Scale;
if (!(scale in SCALES)) throw new Error(`--scale must be one of ${Object.keys(SCALES).join(', ')}`);
const days = Number(values.days ?? SCALES[scale] + 1);
const concurrency = Number(values.concurrency);
const API_KEY = 'sk_test_bench';

const mock = await startMockChild(scale, BENCH_NOW);
const work = await mkdtemp(join(tmpdir(), 'bench-extract-'));
try {
  process.stderr.write(`mock ${scale} ready in ${mock.startupMs} ms\n`);
  for (let round = 1; round <= Number(values.rounds); round++) {
    const root = join(work, `lake-${round}`);
    const m0 = mock.cpuSeconds();
    const run = await runCli(['extract', '--until', String(BENCH_NOW), '--run-id', `x${round}`], {
      PIPELINE_ENV: 'LOCAL',
      API_KEY,
      API_BASE_URL: mock.url,
      LOCAL_DATA_DIR: root,
      DEFAULT_DAYS: String(days),
      EXTRACT_CONCURRENCY: String(concurrency),
      API_RATE_LIMIT_RPS: '1000000',
      LOG_LEVEL: 'warn',
      LOG_FORMAT: 'json',
    });
    const mockExtract = mock.cpuSeconds() - m0;
    const manifest = JSON.parse(
      await readFile(join(root, '_state', 'manifests', `run_x${round}.json`), 'utf8'),
    ) as {
      timings: Record<string, number>;
      extract: Record<string, { window: TimeWindow; records: number; pages: number }>;
    };
    const windows = new Map(Object.entries(manifest.extract).map(([e, x]) => [e, x.window]));
    const records = Object.values(manifest.extract).reduce((a, x) => a + x.records, 0);
    const pages = Object.values(manifest.extract).reduce((a, x) => a + x.pages, 0);
    await rm(root, { recursive: true, force: true });
    const c0 = process.cpuUsage();
    const m1 = mock.cpuSeconds();
    const floor = await extractFloor(mock.url, API_KEY, windows, concurrency);
    const c1 = process.cpuUsage(c0);
    const ours = manifest.timings['extract'] ?? run.seconds;
    process.stdout.write(
      `${JSON.stringify({
        round,
        records,
        floor_records: floor.records,
        pages,
        floor_pages: floor.pages,
        pages_by_entity: Object.fromEntries(Object.entries(manifest.extract).map(([e, x]) => [e, x.pages])),
        ours_s: +ours.toFixed(2),
        floor_s: +floor.seconds.toFixed(2),
        ratio: +(ours / floor.seconds).toFixed(3),
        ours_cpu_s: +run.cpuSeconds.toFixed(1),
        floor_cpu_s: +((c1.user + c1.system) / 1e6).toFixed(1),
        mock_cpu_s: [+mockExtract.toFixed(1), +(mock.cpuSeconds() - m1).toFixed(1)],
        peak_rss_mib: Math.round(run.peakRssMiB),
      })}\n`,
    );
  }
} finally {
  await mock.stop();
  await rm(work, { recursive: true, force: true });
}
