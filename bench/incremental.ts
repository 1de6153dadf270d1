/**
 * The daily run alone, repeatably: a full `run-all` into `<work-dir>/snap` once (kept), then for
 * each round a copy of it (hard links: every write of the lake is a new file renamed into place),
 * the mock clock moved on by `--fraction` of the history, and `run-all` again. Prints the wall,
 * CPU and peak RSS of each round with its stage seconds; the logs go to `<work-dir>/round-N.log`.
 *
 *   npx tsx bench/incremental.ts --scale 100k --work-dir /tmp/inc [--rounds 3] [--fraction 0.01]
 *
 * `--chain N` (one round): N daily runs one after the other on the same copy, the clock moved on
 * by `--fraction` before each, as a user's week of daily runs (a defect of the state a run leaves
 * for the next showed only on the third run).
 *
 * `--latency-ms N`: the mock answers every request N ms late (+ up to half of it), as a source
 * across a network: extraction then waits on the network, not on the machine's CPU.
 *
 * A kept suite lake (`npm run bench -- --keep`) already holds the first 1% of new data: pass it
 * as `--snapshot DIR/lake` with `--fraction 0.02` to measure the next 1%.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { runCli, startMockChild } from './lib/child.js';
import { BENCH_NOW, SCALES, type Scale } from './lib/suite.js';

const { values } = parseArgs({
  options: {
    scale: { type: 'string', default: '100k' },
    'work-dir': { type: 'string' },
    snapshot: { type: 'string' },
    rounds: { type: 'string', default: '1' },
    fraction: { type: 'string', default: '0.01' },
    chain: { type: 'string', default: '1' },
    'latency-ms': { type: 'string', default: '0' },
  },
});
const scale = values.scale as Scale;
if (!(scale in SCALES)) throw new Error(`--scale must be one of ${Object.keys(SCALES).join(', ')}`);
if (!values['work-dir']) throw new Error('--work-dir DIR is required');
const dir = values['work-dir'];
const snap = values.snapshot ?? join(dir, 'snap');
const days = SCALES[scale];
const chain = Number(values.chain);
if (!Number.isInteger(chain) || chain < 1) throw new Error('--chain must be a positive integer');
if (chain > 1 && values.rounds !== '1') throw new Error('--chain runs one round (the clock only moves on)');
const env = (root: string, url: string) => ({
  PIPELINE_ENV: 'LOCAL',
  API_KEY: 'sk_test_bench',
  API_BASE_URL: url,
  LOCAL_DATA_DIR: root,
  DEFAULT_DAYS: String(days + 1),
  EXTRACT_CONCURRENCY: '8',
  API_RATE_LIMIT_RPS: '1000000',
  // a run more than a week after the last full-scope check re-verifies everything (SPEC 9)
  QUALITY_FULL_SCOPE_DAYS: '30',
  LOG_LEVEL: 'debug',
  LOG_FORMAT: 'json',
  ...(process.env['DUCKDB_THREADS'] ? { DUCKDB_THREADS: process.env['DUCKDB_THREADS'] } : {}),
  // e.g. `--cpu-prof` or a preload, to look inside the daily run
  ...(process.env['NODE_OPTIONS'] ? { NODE_OPTIONS: process.env['NODE_OPTIONS'] } : {}),
});

const mock = await startMockChild(scale, BENCH_NOW);
try {
  const latencyMs = Number(values['latency-ms']);
  if (latencyMs > 0) await mock.configure({ latency_ms: latencyMs, latency_jitter_ms: latencyMs / 2 });
  if (!existsSync(snap)) {
    const r = await runCli(
      ['run-all', '--until', String(BENCH_NOW), '--run-id', 'bench-full'],
      env(snap, mock.url),
    );
    console.log(`full run-all: ${r.seconds.toFixed(1)} s, peak ${r.peakRssMiB.toFixed(0)} MiB`);
  }
  const step = Math.round(days * 86_400 * Number(values.fraction));
  let until = await mock.advance(step);
  for (let round = 1; round <= Number(values.rounds); round++) {
    const lake = join(dir, 'lake');
    execFileSync('rm', ['-rf', lake]);
    execFileSync('cp', ['-al', snap, lake]);
    for (let link = 1; link <= chain; link++) {
      if (link > 1) until = await mock.advance(step);
      const [runId, label, log] =
        chain === 1
          ? ['bench-incremental', `round ${round}`, `round-${round}.log`]
          : [`bench-incremental-${link}`, `daily run ${link}`, `chain-${link}.log`];
      const r = await runCli(['run-all', '--until', String(until), '--run-id', runId], env(lake, mock.url));
      writeFileSync(join(dir, log), r.stderr);
      const m = JSON.parse(readFileSync(join(lake, `_state/manifests/run_${runId}.json`), 'utf8'));
      console.log(
        `${label}: ${r.seconds.toFixed(2)} s, CPU ${r.cpuSeconds.toFixed(1)} s, peak ${r.peakRssMiB.toFixed(0)} MiB, ` +
          `stages ${JSON.stringify(m.timings)}, quality scope ${m.quality?.scope}`,
      );
    }
  }
} finally {
  await mock.stop();
}
