/**
 * The benchmark suite of SPEC section 14, in one run on one dataset: the mock API in its own
 * process, a full `run-all` into a fresh data root (per-stage time, records/s, peak RSS), the
 * extraction floor, the transform floor and the naive `stripe` peer on the same windows and
 * Bronze, then an incremental `run-all` after the mock clock moves by a fraction of the history.
 */

import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { TimeWindow } from '../../src/extract/windows.js';
import { type CliRun, type MockChild, runCli, startMockChild } from './child.js';
import { extractFloor, type FetchResult } from './extract-floor.js';
import { fmtInt, fmtMiB, fmtSeconds, type Row, ratioRow } from './report.js';
import { stripePeer } from './stripe-peer.js';
import { type TransformFloorResult, transformFloor } from './transform-floor.js';

/** Dataset scales: the mock preset and its history length. */
export const SCALES = { tiny: 3, '100k': 365, '1m': 365 } as const;
export type Scale = keyof typeof SCALES;
/** The frozen mock clock of every run: 2025-01-01T00:00:00Z, so every run sees the same data. */
export const BENCH_NOW = 1_735_689_600;
const API_KEY = 'sk_test_bench';
const GiB_MiB = 1024;

export interface SuiteOptions {
  readonly scale: Scale;
  /** Fresh data root and scratch space; removed at the end unless `keep`. */
  readonly workDir: string;
  readonly concurrency: number;
  /** New data for the incremental run, as a fraction of the history (0.01 = 1%). */
  readonly incrementalFraction: number;
  /** Days (newest) of each window the peer fetches; all when unset. Compared per record. */
  readonly peerDays?: number;
  /**
   * The peer again over a network: the mock answers every request after `latency_ms` (+ up to half
   * as much jitter), and our `extract` and the peer fetch the same newest `days` (first load).
   */
  readonly network?: { readonly latencyMs: number; readonly days: number };
  /** Peak RSS of the 100k run, for the 1m run's growth ratio. */
  readonly baselinePeakRssMiB?: number;
  readonly keep?: boolean;
  /** Progress lines. */
  readonly log?: (line: string) => void;
}

interface Manifest {
  status: string;
  timings: Record<string, number>;
  extract: Record<
    string,
    { window: TimeWindow; pages: number; records: number; retries: number; bronze_keys: string[] }
  >;
  transform: Record<string, { partitions: number; rows: number; seconds: number }>;
  references?: { fetched?: Record<string, number> };
  /** Silver typed while extraction went on (present only when some was). */
  overlap?: { silver_tables: string[]; seconds: number };
}

/** One `run-all` as measured. */
export interface RunMeasure {
  readonly wall_seconds: number;
  readonly peak_rss_mib: number;
  /** CPU seconds of the pipeline process and of the mock API while it ran. */
  readonly cpu_seconds: number;
  readonly mock_cpu_seconds: number;
  readonly stages: Record<string, number>;
  /** Records listed (entities and events) plus those fetched by id in the references step. */
  readonly records: number;
  readonly listed_records: number;
  readonly pages: number;
  readonly records_per_s: number;
}

/** CPU seconds of the measuring process and of the mock API during a measure. */
export interface Cpu {
  readonly cpu_seconds: number;
  readonly mock_cpu_seconds: number;
}

/** Everything the suite measured, as written to the JSON file. */
export interface SuiteResult {
  readonly scale: Scale;
  readonly date: string;
  readonly machine: Record<string, string | number>;
  readonly mock_startup_ms: number;
  readonly full: RunMeasure;
  readonly extract_floor: FetchResult & Cpu;
  readonly transform_floor: TransformFloorResult & Cpu;
  readonly peer: Omit<FetchResult, 'pages'> & Cpu;
  /** Our extraction and the peer over the same days with network latency (see `network`). */
  readonly network?: {
    readonly latency_ms: number;
    readonly days: number;
    readonly ours_seconds: number;
    readonly ours_records: number;
    readonly peer_seconds: number;
    readonly peer_records: number;
  };
  readonly incremental: RunMeasure & { readonly advance_seconds: number };
  readonly rows: readonly Row[];
}

async function readManifest(root: string, runId: string): Promise<Manifest> {
  return JSON.parse(
    await readFile(join(root, '_state', 'manifests', `run_${runId}.json`), 'utf8'),
  ) as Manifest;
}

/**
 * What the lists of the extraction returned (the floor's and the peer's work): the created
 * windows and the child lists read through their parents.
 */
const listedRecords = (m: Manifest): number => Object.values(m.extract).reduce((n, e) => n + e.records, 0);

function measure(run: CliRun, m: Manifest, mockCpu: number): RunMeasure {
  const extracted = Object.values(m.extract);
  const refs = Object.values(m.references?.fetched ?? {}).reduce((a, b) => a + b, 0);
  const records = extracted.reduce((n, e) => n + e.records, 0) + refs;
  return {
    wall_seconds: run.seconds,
    peak_rss_mib: run.peakRssMiB,
    cpu_seconds: run.cpuSeconds,
    mock_cpu_seconds: mockCpu,
    // the transform's work: after extraction, and beside it (a step's seconds hold only the former)
    stages: { ...m.timings, ...(m.overlap ? { transform_overlapped: m.overlap.seconds } : {}) },
    records,
    listed_records: listedRecords(m),
    pages: extracted.reduce((n, e) => n + e.pages, 0),
    records_per_s: records / run.seconds,
  };
}

/** CPU seconds of this process and of the mock while `fn` ran, added to its result. */
async function withCpu<T extends object>(
  mock: MockChild,
  fn: () => Promise<T>,
): Promise<T & { cpu_seconds: number; mock_cpu_seconds: number }> {
  const own = process.cpuUsage();
  const m0 = mock.cpuSeconds();
  const r = await fn();
  const used = process.cpuUsage(own);
  return { ...r, cpu_seconds: (used.user + used.system) / 1e6, mock_cpu_seconds: mock.cpuSeconds() - m0 };
}

/** The newest `seconds` of each window. */
export function newest(windows: ReadonlyMap<string, TimeWindow>, seconds: number): Map<string, TimeWindow> {
  return new Map([...windows].map(([e, w]) => [e, { gte: Math.max(w.gte, w.lt - seconds), lt: w.lt }]));
}

/** The table rows from the measures (pure). */
export function verdict(
  r: Omit<SuiteResult, 'rows' | 'date' | 'machine' | 'mock_startup_ms'>,
  scale: Scale,
  baselinePeakRssMiB?: number,
): Row[] {
  const ext = r.full.stages['extract'] ?? Number.NaN;
  const tr = (r.full.stages['transform'] ?? Number.NaN) + (r.full.stages['transform_overlapped'] ?? 0);
  const rows: Row[] = [
    {
      figure: `end-to-end \`run-all\` (${fmtInt(r.full.records)} records)`,
      ours: `${fmtSeconds(r.full.wall_seconds)}, ${fmtInt(r.full.records_per_s)} records/s`,
      other: '',
    },
    ratioRow(
      'extraction vs floor (same pages, tightest keep-alive loop)',
      fmtSeconds(ext),
      fmtSeconds(r.extract_floor.seconds),
      ext / r.extract_floor.seconds,
      { op: '<=', bound: 1.3 },
    ),
    ratioRow(
      'transform vs floor (DuckDB `read_ndjson` -> `COPY` Parquet)',
      fmtSeconds(tr),
      fmtSeconds(r.transform_floor.seconds),
      tr / r.transform_floor.seconds,
      { op: '<=', bound: 2 },
    ),
    ratioRow(
      'naive peer (`stripe` `autoPagingEach` -> JSONL), time per record / ours',
      `${fmtSeconds(ext)} for ${fmtInt(r.full.listed_records)}`,
      `${fmtSeconds(r.peer.seconds)} for ${fmtInt(r.peer.records)}`,
      r.peer.seconds / r.peer.records / (ext / r.full.listed_records),
      { op: '>=', bound: 3 },
    ),
    ...(r.network
      ? [
          ratioRow(
            `naive peer over a network (every request +${r.network.latency_ms} ms, +jitter), newest ${r.network.days} days, time per record / ours`,
            `${fmtSeconds(r.network.ours_seconds)} for ${fmtInt(r.network.ours_records)}`,
            `${fmtSeconds(r.network.peer_seconds)} for ${fmtInt(r.network.peer_records)}`,
            r.network.peer_seconds /
              r.network.peer_records /
              (r.network.ours_seconds / r.network.ours_records),
            { op: '>=', bound: 3 },
          ),
        ]
      : []),
    ratioRow(
      `incremental \`run-all\` (+${fmtInt(r.incremental.advance_seconds / 3600)} h of data) / full run`,
      fmtSeconds(r.incremental.wall_seconds),
      fmtSeconds(r.full.wall_seconds),
      r.incremental.wall_seconds / r.full.wall_seconds,
      // SPEC 14: at most 5% at 1m, 10% at 100k (and the smaller scales)
      { op: '<=', bound: scale === '1m' ? 0.05 : 0.1 },
    ),
    ratioRow(
      `peak RSS of \`run-all\` / 1 GiB${scale === '1m' ? '' : ' (target set at 1m)'}`,
      fmtMiB(r.full.peak_rss_mib),
      fmtMiB(GiB_MiB),
      r.full.peak_rss_mib / GiB_MiB,
      { op: '<=', bound: 1 },
    ),
    ratioRow(
      `peak RSS of the incremental \`run-all\` / 1 GiB${scale === '1m' ? '' : ' (target set at 1m)'}`,
      fmtMiB(r.incremental.peak_rss_mib),
      fmtMiB(GiB_MiB),
      r.incremental.peak_rss_mib / GiB_MiB,
      { op: '<=', bound: 1 },
    ),
  ];
  if (scale === '1m' && baselinePeakRssMiB) {
    rows.push(
      ratioRow(
        'peak RSS at 1m / at 100k',
        fmtMiB(r.full.peak_rss_mib),
        fmtMiB(baselinePeakRssMiB),
        r.full.peak_rss_mib / baselinePeakRssMiB,
        { op: '<=', bound: 1.5 },
      ),
    );
  }
  return rows;
}

/** Runs the whole suite; the mock and the data root are cleaned up whatever happens. */
export async function runSuite(o: SuiteOptions): Promise<Omit<SuiteResult, 'date' | 'machine'>> {
  const log = o.log ?? (() => {});
  const days = SCALES[o.scale];
  const root = join(o.workDir, 'lake');
  const env = {
    PIPELINE_ENV: 'LOCAL',
    API_KEY,
    LOCAL_DATA_DIR: root,
    DEFAULT_DAYS: String(days + 1),
    EXTRACT_CONCURRENCY: String(o.concurrency),
    // The mock has no rate limit; the sk_test_ default cap (25/s) would measure the cap.
    API_RATE_LIMIT_RPS: '1000000',
    LOG_LEVEL: 'warn',
    LOG_FORMAT: 'json',
  };
  log(`starting the mock API (${o.scale})`);
  const mock = await startMockChild(o.scale, BENCH_NOW);
  try {
    log(`mock ready in ${mock.startupMs} ms at ${mock.url}; full run-all`);
    let mockCpu0 = mock.cpuSeconds();
    const fullRun = await runCli(['run-all', '--until', String(BENCH_NOW), '--run-id', 'bench-full'], {
      ...env,
      API_BASE_URL: mock.url,
    });
    const fullManifest = await readManifest(root, 'bench-full');
    const full = measure(fullRun, fullManifest, mock.cpuSeconds() - mockCpu0);
    log(
      `full: ${fmtSeconds(full.wall_seconds)} ${JSON.stringify(full.stages)} peak ${fmtMiB(full.peak_rss_mib)}`,
    );

    const windows = new Map(Object.entries(fullManifest.extract).map(([e, x]) => [e, x.window]));
    const extract_floor = await withCpu(mock, () => extractFloor(mock.url, API_KEY, windows, o.concurrency));
    log(`extraction floor: ${fmtSeconds(extract_floor.seconds)}, ${fmtInt(extract_floor.records)} records`);

    const files = new Map(
      Object.entries(fullManifest.extract).map(([e, x]) => [
        e,
        x.bronze_keys.map((k) => join(root, ...k.split('/'))),
      ]),
    );
    const transform_floor = await withCpu(mock, () =>
      transformFloor(files, join(o.workDir, 'floor-parquet')),
    );
    log(`transform floor: ${fmtSeconds(transform_floor.seconds)}, ${fmtInt(transform_floor.rows)} rows`);

    const peerWindows = o.peerDays ? newest(windows, o.peerDays * 86_400) : windows;
    const peer = await withCpu(mock, () =>
      stripePeer(mock.port, API_KEY, peerWindows, join(o.workDir, 'peer')),
    );
    log(`peer: ${fmtSeconds(peer.seconds)}, ${fmtInt(peer.records)} records`);
    await rm(join(o.workDir, 'peer'), { recursive: true, force: true });

    let network: SuiteResult['network'];
    if (o.network) {
      const { latencyMs, days: netDays } = o.network;
      await mock.configure({ latency_ms: latencyMs });
      const netRoot = join(o.workDir, 'network-lake');
      await runCli(['extract', '--until', String(BENCH_NOW), '--run-id', 'bench-network'], {
        ...env,
        LOCAL_DATA_DIR: netRoot,
        DEFAULT_DAYS: String(netDays),
        API_BASE_URL: mock.url,
      });
      const m = await readManifest(netRoot, 'bench-network');
      const netWindows = new Map(Object.entries(m.extract).map(([e, x]) => [e, x.window]));
      const netPeer = await stripePeer(mock.port, API_KEY, netWindows, join(o.workDir, 'peer-network'));
      await mock.configure({ latency_ms: 0, latency_jitter_ms: 0 });
      network = {
        latency_ms: latencyMs,
        days: netDays,
        ours_seconds: m.timings.extract ?? Number.NaN,
        ours_records: listedRecords(m),
        peer_seconds: netPeer.seconds,
        peer_records: netPeer.records,
      };
      log(
        `network (${latencyMs} ms, ${netDays} days): ours ${fmtSeconds(network.ours_seconds)}, peer ${fmtSeconds(netPeer.seconds)}`,
      );
      await rm(join(o.workDir, 'peer-network'), { recursive: true, force: true });
      await rm(netRoot, { recursive: true, force: true });
    }

    const advance = Math.round(days * 86_400 * o.incrementalFraction);
    const until = await mock.advance(advance);
    mockCpu0 = mock.cpuSeconds();
    const incRun = await runCli(['run-all', '--until', String(until), '--run-id', 'bench-incremental'], {
      ...env,
      API_BASE_URL: mock.url,
    });
    const incremental = {
      ...measure(incRun, await readManifest(root, 'bench-incremental'), mock.cpuSeconds() - mockCpu0),
      advance_seconds: advance,
    };
    log(
      `incremental: ${fmtSeconds(incremental.wall_seconds)} ${JSON.stringify(incremental.stages)} peak ${fmtMiB(incremental.peak_rss_mib)}`,
    );

    const measured = {
      full,
      extract_floor,
      transform_floor,
      peer,
      ...(network ? { network } : {}),
      incremental,
      scale: o.scale,
    };
    return {
      ...measured,
      mock_startup_ms: mock.startupMs,
      rows: verdict(measured, o.scale, o.baselinePeakRssMiB),
    };
  } finally {
    await mock.stop();
    if (!o.keep) await rm(o.workDir, { recursive: true, force: true });
  }
}
