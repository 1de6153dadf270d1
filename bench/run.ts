/**
 * `npm run bench -- --scale tiny|100k|1m` — the benchmark suite of SPEC section 14 (see
 * bench/lib/suite.ts). Writes `bench/results/<scale>.json` and, for 100k and 1m, appends the table
 * to docs/benchmarks.md with the machine and date.
 *
 *   npm run bench -- --scale 100k [--concurrency 8] [--incremental-fraction 0.01]
 *     [--work-dir DIR] [--keep] [--docs FILE|none] [--peer-days N]
 *     [--network-latency-ms 100 (0: skip)] [--network-days 2]
 */
import { appendFile, mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { cpus, loadavg, release, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ROOT } from './lib/child.js';
import { fmtSeconds, markdownTable } from './lib/report.js';
import { runSuite, SCALES, type Scale, type SuiteResult } from './lib/suite.js';

const { values } = parseArgs({
  options: {
    scale: { type: 'string', default: 'tiny' },
    concurrency: { type: 'string', default: '8' },
    'incremental-fraction': { type: 'string', default: '0.01' },
    'work-dir': { type: 'string' },
    keep: { type: 'boolean', default: false },
    docs: { type: 'string' },
    'peer-days': { type: 'string' },
    'network-latency-ms': { type: 'string', default: '100' },
    'network-days': { type: 'string', default: '2' },
  },
});
const scale = values.scale as Scale;
if (!(scale in SCALES)) {
  process.stderr.write(
    `bench: --scale must be one of ${Object.keys(SCALES).join(', ')}, got "${values.scale}"\n`,
  );
  process.exit(2);
}
const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
const resultsDir = join(ROOT, 'bench', 'results');
const docs = values.docs ?? (scale === 'tiny' ? 'none' : join(ROOT, 'docs', 'benchmarks.md'));

let baseline: number | undefined;
if (scale === '1m') {
  try {
    baseline = (JSON.parse(await readFile(join(resultsDir, '100k.json'), 'utf8')) as SuiteResult).full
      .peak_rss_mib;
  } catch {
    process.stderr.write('bench: no bench/results/100k.json: the 1m/100k peak RSS ratio is left out\n');
  }
}

const loadBefore = load();
const started = new Date();
const measured = await runSuite({
  scale,
  workDir: values['work-dir'] ?? (await mkdtemp(join(tmpdir(), `bench-${scale}-`))),
  concurrency: Number(values.concurrency),
  incrementalFraction: Number(values['incremental-fraction']),
  keep: values.keep,
  ...(values['peer-days'] ? { peerDays: Number(values['peer-days']) } : {}),
  ...(Number(values['network-latency-ms']) > 0
    ? { network: { latencyMs: Number(values['network-latency-ms']), days: Number(values['network-days']) } }
    : {}),
  ...(baseline ? { baselinePeakRssMiB: baseline } : {}),
  log: (line) =>
    process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)} load ${load()}] ${line}\n`),
});
const result: SuiteResult = {
  ...measured,
  date: started.toISOString(),
  machine: {
    cpu: cpus()[0]?.model ?? 'unknown',
    cpus: cpus().length,
    memory_gib: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    kernel: release(),
    load_before: loadBefore,
    load_after: load(),
  },
};

await mkdir(resultsDir, { recursive: true });
await writeFile(join(resultsDir, `${scale}.json`), `${JSON.stringify(result, null, 2)}\n`);

const stages = (s: Record<string, number>) =>
  Object.entries(s)
    .map(([k, v]) => `${k} ${fmtSeconds(v)}`)
    .join(', ');
const cpu = (c: { cpu_seconds: number; mock_cpu_seconds: number }) =>
  `${Math.round(c.cpu_seconds)} / ${Math.round(c.mock_cpu_seconds)}`;
const section = [
  `## Suite at ${scale}: \`npm run bench -- --scale ${scale}\` (${result.date.slice(0, 10)})`,
  '',
  `Machine: ${result.machine['cpus']} × ${result.machine['cpu']}, ${result.machine['memory_gib']} GiB, Node ${result.machine['node']}, Linux ${result.machine['kernel']}; load average (1/5/15 min) ${loadBefore} before, ${result.machine['load_after']} after. Mock API in its own process (started in ${result.mock_startup_ms} ms), frozen at 2025-01-01; \`EXTRACT_CONCURRENCY\` ${values.concurrency}.`,
  '',
  markdownTable(result.rows),
  '',
  `Full run stages: ${stages(result.full.stages)}; ${result.full.pages.toLocaleString('en-US')} list pages; peak RSS ${Math.round(result.full.peak_rss_mib)} MiB.`,
  `Incremental run stages: ${stages(result.incremental.stages)}; ${result.incremental.records.toLocaleString('en-US')} records.`,
  `CPU seconds, measuring process / mock API: full run ${cpu(result.full)}; extraction floor ${cpu(result.extract_floor)}; DuckDB copy ${cpu(result.transform_floor)}; peer ${cpu(result.peer)}; incremental run ${cpu(result.incremental)}.`,
  `Floors: extraction ${result.extract_floor.pages.toLocaleString('en-US')} pages / ${result.extract_floor.records.toLocaleString('en-US')} records; DuckDB copy ${result.transform_floor.rows.toLocaleString('en-US')} rows; peer ${result.peer.records.toLocaleString('en-US')} records. Raw numbers: \`bench/results/${scale}.json\`.`,
  '',
].join('\n');
process.stdout.write(`${section}\n`);
if (docs !== 'none') {
  await appendFile(docs, `\n${section}`);
  process.stderr.write(`bench: appended to ${docs}\n`);
}
