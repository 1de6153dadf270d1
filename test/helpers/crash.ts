import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { LocalObjectStore } from '../../src/storage/local-store.js';
import type { ObjectStore } from '../../src/storage/object-store.js';
import { S3ObjectStore } from '../../src/storage/s3-store.js';
import { type CliResult, s3CliEnv, spawnCli, whenClosed } from './cli.js';
import { mapReads } from './lake.js';
import { fetchTruth } from './mock-control.js';
import { seededRandom } from './random.js';

export { seededRandom };

/** Where a lake lives: the store to inspect it with, and the environment that points the CLI at it. */
export interface LakeTarget {
  readonly store: ObjectStore;
  readonly env: Record<string, string>;
  readonly label: string;
}

/** A lake under a local directory. */
export function localTarget(root: string): LakeTarget {
  return { store: new LocalObjectStore(root), env: { LOCAL_DATA_DIR: root }, label: root };
}

/** A lake under a prefix of an S3 bucket (the CLI runs with `PIPELINE_ENV=AWS`). */
export function s3Target(
  s3: { endpoint: string; region: string; accessKeyId: string; secretAccessKey: string; bucket: string },
  prefix: string,
): LakeTarget {
  return {
    store: new S3ObjectStore({
      bucket: s3.bucket,
      prefix,
      region: s3.region,
      endpoint: s3.endpoint,
      credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
    }),
    env: s3CliEnv(s3, prefix),
    label: `s3://${s3.bucket}/${prefix}`,
  };
}

/** A running CLI child process whose stderr is read line by line as it arrives. */
export interface CliProcess {
  readonly child: ChildProcess;
  readonly done: Promise<CliResult>;
  /** Calls `fn` for every complete stderr line (parsed JSON log line or undefined). */
  onLine(fn: (line: string, log: Record<string, unknown> | undefined) => void): void;
}

/** Starts the CLI from sources (`spawnCli`: tied to its test) and hands back the child, so a test can kill it. */
export function startCli(
  args: string[],
  opts: { env?: Record<string, string>; timeoutMs?: number } = {},
): CliProcess {
  const child = spawnCli(args, opts);
  const listeners: ((line: string, log: Record<string, unknown> | undefined) => void)[] = [];
  let stdout = '';
  let stderr = '';
  let partial = '';
  child.stdout?.on('data', (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    const text = d.toString();
    stderr += text;
    partial += text;
    const lines = partial.split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      let log: Record<string, unknown> | undefined;
      try {
        log = JSON.parse(line) as Record<string, unknown>;
      } catch {
        log = undefined;
      }
      for (const fn of listeners) fn(line, log);
    }
  });
  const done = whenClosed(child, opts.timeoutMs, () => ({ stdout, stderr }));
  return { child, done, onLine: (fn) => listeners.push(fn) };
}

/** Columns that legitimately differ between a crashed-then-healed lake and an uninterrupted one. */
export const LINEAGE_COLUMNS = ['_run_id', '_ingested_at', '_bronze_key'] as const;

/** Local paths of some keys: in place for the local store, downloaded into `dir` otherwise. */
async function localPaths(store: ObjectStore, keys: readonly string[], dir: string): Promise<string[]> {
  if (store instanceof LocalObjectStore) return keys.map((k) => join(store.root, ...k.split('/')));
  return mapReads(keys, async (k) => {
    const p = join(dir, ...k.split('/'));
    if (!(await store.getToFile(k, p))) throw new Error(`${k} vanished while reading the lake`);
    return p;
  });
}

const SILVER_FILE = /^silver\/source=stripe\/entity=([a-z_]+)\/dt=\d{4}-\d{2}-\d{2}\/data\.parquet$/;
const GOLD_FILE = /^gold\/model=([a-z_]+)\/dt=\d{4}-\d{2}-\d{2}\/data\.parquet$/;
const BRONZE_FILE =
  /^bronze\/source=stripe\/entity=([a-z_]+)\/dt=\d{4}-\d{2}-\d{2}\/run_id=[A-Za-z0-9_.-]+\/part-\d{5}\.jsonl$/;

/** Canonical JSON with sorted keys, so rows compare as strings. */
function canonical(row: Record<string, unknown>): string {
  return JSON.stringify(Object.fromEntries(Object.entries(row).sort(([a], [b]) => (a < b ? -1 : 1))));
}

/**
 * Every Silver table and Gold model of a lake as sorted canonical rows (lineage columns left
 * out), keyed `silver.<table>` / `gold.<model>`: two lakes hold the same data iff these are equal.
 */
export async function snapshotLake(store: ObjectStore): Promise<Record<string, string[]>> {
  const keys = [...(await store.list('silver/')), ...(await store.list('gold/'))].map((o) => o.key);
  const groups = new Map<string, string[]>();
  for (const k of keys) {
    const s = SILVER_FILE.exec(k);
    const g = GOLD_FILE.exec(k);
    const name = s ? `silver.${s[1]}` : g ? `gold.${g[1]}` : undefined;
    if (!name) continue;
    groups.set(name, [...(groups.get(name) ?? []), k]);
  }
  const dir = await mkdtemp(join(tmpdir(), 'pp-snapshot-'));
  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  try {
    const out: Record<string, string[]> = {};
    for (const [name, ks] of [...groups].sort()) {
      const paths = await localPaths(store, ks, dir);
      const list = paths.map((p) => `'${p.replace(/'/g, "''")}'`).join(', ');
      const reader = await conn.runAndReadAll(
        `select * from read_parquet([${list}], hive_partitioning = false, union_by_name = true)`,
      );
      const rows = reader.getRowObjectsJson() as Record<string, unknown>[];
      out[name] = rows
        .map((r) => {
          const copy = { ...r };
          for (const c of LINEAGE_COLUMNS) delete copy[c];
          return canonical(copy);
        })
        .sort();
    }
    return out;
  } finally {
    conn.closeSync();
    db.closeSync();
    await rm(dir, { recursive: true, force: true });
  }
}

/** What `checkLake` needs to know about the runs that built the lake. */
export interface LakeExpectations {
  /** The mock API whose truth the watermarks are checked against. */
  readonly mockUrl: string;
  /** The runs' `--until` (the source's clock when frozen). */
  readonly until: number;
  readonly safetySeconds: number;
  /** Start of the first load's window (until - DEFAULT_DAYS of the first run). */
  readonly firstWindowStart: number;
}

/**
 * The crash invariants of SPEC section 15, checked on what is in the store; returns the problems
 * found (empty = healthy):
 * - only finished objects are visible: every key under `bronze/`, `silver/`, `gold/` has the
 *   layout's shape (no temp or partial names), every Parquet opens with DuckDB, every Bronze part
 *   ends with a newline and each line is an envelope `{data, meta}`;
 * - every JSON object under `_state/` parses;
 * - every `_latest` pointer's keys exist;
 * - no watermark is ahead of durable Bronze. Precisely, per entity with a watermark file:
 *   `created_watermark <= until`; `created_watermark <= max(firstWindowStart, largest created in
 *   its Bronze)`; every truth object (not deleted) with
 *   `firstWindowStart <= created < created_watermark - SAFETY_WINDOW_SECONDS` (so the next run will not list it
 *   again) has its id in that entity's Bronze; `events_watermark <= until`; and for `events`,
 *   every truth event created in
 *   `[firstWindowStart, events_watermark - SAFETY_WINDOW_SECONDS)` is in Bronze.
 */
export async function checkLake(store: ObjectStore, exp: LakeExpectations): Promise<string[]> {
  const problems: string[] = [];
  const all = await store.list('');
  const dir = await mkdtemp(join(tmpdir(), 'pp-check-'));
  const bronzeIds = new Map<string, Set<string>>();
  const bronzeMaxCreated = new Map<string, number>();
  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  try {
    const lakeKeys = new Set<string>();
    for (const { key } of all) {
      const top = key.split('/')[0];
      if (top === 'bronze' || top === 'silver' || top === 'gold') {
        lakeKeys.add(key);
        if (!BRONZE_FILE.test(key) && !SILVER_FILE.test(key) && !GOLD_FILE.test(key))
          problems.push(`stray or partial object visible: ${key}`);
      }
    }
    const parquetKeys = [...lakeKeys].filter((k) => k.endsWith('.parquet'));
    const parquetPaths = await localPaths(store, parquetKeys, dir);
    for (const [i, key] of parquetKeys.entries()) {
      const path = parquetPaths[i];
      try {
        await conn.runAndReadAll(`select count(*) from read_parquet('${path!.replace(/'/g, "''")}')`);
      } catch (err) {
        problems.push(`Parquet does not open: ${key}: ${(err as Error).message.split('\n')[0]}`);
      }
    }
    const bronzeKeys = [...lakeKeys].filter((k) => BRONZE_FILE.test(k));
    const bronzeBodies = await mapReads(bronzeKeys, (k) => store.get(k));
    for (const [i, key] of bronzeKeys.entries()) {
      const entity = BRONZE_FILE.exec(key)![1]!;
      const body = bronzeBodies[i];
      const text = Buffer.from(body ?? new Uint8Array()).toString('utf8');
      if (!text.endsWith('\n')) problems.push(`Bronze part does not end with a newline (partial?): ${key}`);
      const ids = bronzeIds.get(entity) ?? new Set<string>();
      bronzeIds.set(entity, ids);
      text.split('\n').forEach((line, i) => {
        if (line === '') return;
        try {
          const rec = JSON.parse(line) as { data?: Record<string, unknown>; meta?: unknown };
          if (typeof rec.data !== 'object' || rec.data === null || typeof rec.meta !== 'object')
            throw new Error('not an envelope');
          if (typeof rec.data.id === 'string') ids.add(rec.data.id);
          const created = rec.data.created;
          if (typeof created === 'number' && created > (bronzeMaxCreated.get(entity) ?? -1))
            bronzeMaxCreated.set(entity, created);
        } catch (err) {
          problems.push(`Bronze line ${i + 1} of ${key} does not parse: ${(err as Error).message}`);
        }
      });
    }
    const state = all.filter((o) => o.key.startsWith('_state/') && o.key.endsWith('.json'));
    const json = new Map<string, unknown>();
    const stateBodies = await mapReads(state, (o) => store.get(o.key));
    for (const [i, { key }] of state.entries()) {
      try {
        json.set(key, JSON.parse(Buffer.from(stateBodies[i] ?? new Uint8Array()).toString('utf8')));
      } catch (err) {
        problems.push(`state object does not parse: ${key}: ${(err as Error).message}`);
      }
    }
    for (const [key, v] of json) {
      if (!key.startsWith('_state/manifests/_latest/')) continue;
      for (const k of (v as { keys?: string[] }).keys ?? []) {
        if (!lakeKeys.has(k)) problems.push(`${key} names a missing object: ${k}`);
      }
    }
    const windowStart = exp.firstWindowStart;
    for (const [key, v] of json) {
      const m = /^_state\/watermarks\/([a-z_]+)\.json$/.exec(key);
      if (!m) continue;
      const entity = m[1]!;
      const w = v as { created_watermark: number; events_watermark: number };
      const maxCreated = bronzeMaxCreated.get(entity);
      if (w.created_watermark > exp.until)
        problems.push(`${key}: created_watermark ${w.created_watermark} is after until ${exp.until}`);
      if (w.created_watermark > Math.max(windowStart, maxCreated ?? windowStart))
        problems.push(
          `${key}: created_watermark ${w.created_watermark} is ahead of durable Bronze (largest created ${maxCreated})`,
        );
      if (w.events_watermark > exp.until)
        problems.push(`${key}: events_watermark ${w.events_watermark} is after until ${exp.until}`);
      const ids = bronzeIds.get(entity) ?? new Set<string>();
      const checks: [number, string][] = [[w.created_watermark, 'created_watermark']];
      if (entity === 'events') checks.push([w.events_watermark, 'events_watermark']);
      const truth = await fetchTruth(exp.mockUrl, entity);
      for (const [mark, name] of checks) {
        const missing = truth.filter(
          (t) =>
            t.deleted !== true &&
            typeof t.created === 'number' &&
            t.created >= windowStart &&
            t.created < mark - exp.safetySeconds &&
            !ids.has(String(t.id)),
        );
        if (missing.length > 0)
          problems.push(
            `${key}: ${name} ${mark} passes ${missing.length} objects not in durable Bronze (e.g. ${String(missing[0]!.id)})`,
          );
      }
    }
    return problems;
  } finally {
    conn.closeSync();
    db.closeSync();
    await rm(dir, { recursive: true, force: true });
  }
}

/** The steps of `run-all`, in order. */
export const RUN_STEPS = ['extract', 'transform', 'references', 'quality', 'publish'] as const;
export type RunStep = (typeof RUN_STEPS)[number];

/** Where a killed run was, from the sections of its manifest (`start`: no manifest yet). */
export type Landing = RunStep | 'start' | 'completed';

/** The step a run was in when it stopped, from its manifest (undefined = none written). */
export function landingOf(manifest: Record<string, unknown> | undefined): Landing {
  if (!manifest) return 'start';
  if (manifest.status !== 'running') return 'completed';
  if (!('extract' in manifest)) return 'extract';
  if (!('transform' in manifest)) return 'transform';
  if (!('references' in manifest)) return 'references';
  if (!('quality' in manifest)) return 'quality';
  return 'publish';
}

/** Seconds per step of an uninterrupted run (the manifest's `timings`). */
export type StepTimings = Partial<Record<RunStep, number>>;

/** A planned kill: aim at a step, at a seeded fraction of that step's reference duration. */
export interface CrashPoint {
  readonly index: number;
  readonly seed: number;
  readonly target: RunStep;
  readonly fraction: number;
}

/** The log line a kill delay counts from, and the delay in ms. */
export interface KillPlan {
  readonly trigger: 'started' | 'extracted' | 'quality' | 'checked';
  readonly delayMs: number;
}

/** Steps the crash points aim at, round robin (publish is short, so it gets its own share). */
const TARGETS: readonly RunStep[] = ['extract', 'transform', 'quality', 'publish', 'references'];

/**
 * `n` crash points from one seed: targets round robin over the steps, each at a seeded fraction
 * of the step. The same seed gives the same points, so a failure replays.
 */
export function planCrashPoints(seed: number, n: number, first = 0): CrashPoint[] {
  const rnd = seededRandom(seed);
  const out: CrashPoint[] = [];
  for (let i = 0; i < first + n; i++) {
    const p = { index: i, seed, target: TARGETS[i % TARGETS.length]!, fraction: rnd() };
    if (i >= first) out.push(p);
  }
  return out;
}

/**
 * When to kill for a crash point: counted from the log line that opens (or closes just before)
 * the target step, plus the fraction of the step's reference duration. Log lines used:
 * `run … started` (extract starts), `extraction finished`, `quality: N of M checks passed`.
 */
export function killPlan(point: CrashPoint, t: StepTimings): KillPlan {
  const ms = (s: number | undefined) => Math.round((s ?? 0) * 1000);
  switch (point.target) {
    case 'extract':
      return { trigger: 'started', delayMs: point.fraction * ms(t.extract) };
    case 'transform':
      return { trigger: 'extracted', delayMs: point.fraction * ms(t.transform) };
    case 'references':
      return { trigger: 'extracted', delayMs: ms(t.transform) + point.fraction * ms(t.references) };
    case 'quality':
      // From the step's own start: timed from extraction's end, a transform faster than the
      // reference run's let the checks finish before the kill.
      return { trigger: 'quality', delayMs: point.fraction * ms(t.quality) };
    case 'publish':
      // The pointers are written within milliseconds of the checks' summary line.
      return { trigger: 'checked', delayMs: point.fraction * Math.max(ms(t.publish), 20) };
  }
}

function triggerOf(log: Record<string, unknown> | undefined): KillPlan['trigger'] | undefined {
  const msg = typeof log?.msg === 'string' ? log.msg : '';
  if (/^run \S+ started/.test(msg)) return 'started';
  if (msg === 'extraction finished') return 'extracted';
  if (msg === 'quality checks started') return 'quality';
  if (/^quality: \d+ of \d+ checks passed/.test(msg)) return 'checked';
  return undefined;
}

/** Outcome of one killed run. */
export interface KilledRun {
  /** Whether the kill happened before the run ended on its own. */
  readonly killed: boolean;
  readonly result: CliResult;
  /** The run's process id. */
  readonly pid: number | undefined;
}

/**
 * Runs the CLI and SIGKILLs it per `plan` (LOG_LEVEL must be `info` or lower for the trigger
 * lines). If the run ends before the kill, `killed` is false.
 */
export async function runAndKill(
  args: string[],
  env: Record<string, string>,
  plan: KillPlan,
): Promise<KilledRun> {
  const proc = startCli(args, { env: { ...env, LOG_LEVEL: 'info' } });
  let killed = false;
  let timer: NodeJS.Timeout | undefined;
  let exited = false;
  proc.onLine((_line, log) => {
    if (timer || triggerOf(log) !== plan.trigger) return;
    timer = setTimeout(() => {
      if (exited) return;
      killed = proc.child.kill('SIGKILL');
    }, plan.delayMs);
  });
  const result = await proc.done;
  exited = true;
  if (timer) clearTimeout(timer);
  return { killed: killed && result.signal === 'SIGKILL', result, pid: proc.child.pid };
}

/** Reads a run manifest from a store, or undefined. */
export async function readRunManifest(
  store: ObjectStore,
  runId: string,
): Promise<Record<string, unknown> | undefined> {
  const body = await store.get(`_state/manifests/run_${runId}.json`);
  return body ? (JSON.parse(Buffer.from(body).toString('utf8')) as Record<string, unknown>) : undefined;
}

/** The first difference between two lake snapshots, or undefined when equal. */
export function diffSnapshots(
  expected: Record<string, string[]>,
  actual: Record<string, string[]>,
): string | undefined {
  const names = [...new Set([...Object.keys(expected), ...Object.keys(actual)])].sort();
  for (const n of names) {
    const a = expected[n] ?? [];
    const b = actual[n] ?? [];
    if (a.length !== b.length) return `${n}: ${b.length} rows, expected ${a.length}`;
    for (let i = 0; i < a.length; i++) {
      if (a[i] !== b[i]) return `${n}: row ${i} differs:\n  expected ${a[i]}\n  actual   ${b[i]}`;
    }
  }
  return undefined;
}
