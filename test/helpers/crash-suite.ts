import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout } from 'node:timers/promises';
import { startMockApi } from '../../src/mock/index.js';
import { SCRATCH_PREFIX } from '../../src/storage/scratch-dir.js';
import { cliArgv, runCli } from './cli.js';
import {
  type CrashPoint,
  checkLake,
  diffSnapshots,
  type KillPlan,
  killPlan,
  type LakeTarget,
  type Landing,
  landingOf,
  localTarget,
  readRunManifest,
  runAndKill,
  type StepTimings,
  snapshotLake,
  startCli,
} from './crash.js';
import { CHANGES_DEFAULT_DAYS, CHANGES_STEP, CHANGES_WORLD } from './truth-compare.js';

/** A frozen source clock for the first load; the incremental run comes a week later. */
export const CRASH_NOW = Date.UTC(2024, 5, 15, 12, 0, 0) / 1000;
// The world with every kind of change (deletions, disputes, refunds, cancellations), so crashes
// hit tombstones and disputes on their way through Silver too.
const DAY = 86_400;
const STEP = CHANGES_STEP;
// Longer than the world's history: the first load sees everything, so reruns converge.
export const DAYS = CHANGES_DEFAULT_DAYS;
const SAFETY = 300;

type Mock = Awaited<ReturnType<typeof startMockApi>>;

/**
 * The fixed ground of a crash campaign: two mock APIs over the same dataset frozen at NOW and
 * NOW + a week, the uninterrupted reference lakes after the first load and after the next week's
 * incremental run (their snapshots and step timings), and a copy-able day-1 lake.
 */
export interface CrashBench {
  readonly day1: Mock;
  readonly day2: Mock;
  readonly day1Root: string;
  readonly reference: { first: Record<string, string[]>; incremental: Record<string, string[]> };
  readonly timings: { first: StepTimings; incremental: StepTimings };
  close(): Promise<void>;
}

/** Environment of every run against `mockUrl` (no client-side rate cap: the mock is local). */
export function crashEnv(mockUrl: string): Record<string, string> {
  return {
    API_BASE_URL: mockUrl,
    API_KEY: 'sk_test_crash',
    DEFAULT_DAYS: String(DAYS),
    SAFETY_WINDOW_SECONDS: String(SAFETY),
    API_RATE_LIMIT_RPS: '1000',
    LOG_LEVEL: 'warn',
  };
}

async function mustRun(args: string[], env: Record<string, string>): Promise<void> {
  const r = await runCli(args, { env });
  if (r.code !== 0) throw new Error(`${args.join(' ')} exited ${r.code}:\n${r.stderr.slice(-3000)}`);
}

/** Scratch directories (in the OS temp directory) owned by process `pid`. */
async function scratchDirsOf(pid: number | undefined): Promise<string[]> {
  if (pid === undefined) return [];
  const out: string[] = [];
  for (const name of await readdir(tmpdir())) {
    if (!name.startsWith(SCRATCH_PREFIX)) continue;
    try {
      const owner = JSON.parse(await readFile(join(tmpdir(), name, 'owner.json'), 'utf8')) as {
        pid?: number;
      };
      if (owner.pid === pid) out.push(name);
    } catch {
      // not (or no longer) a scratch directory with an owner
    }
  }
  return out;
}

/** The uninterrupted reference of a crash campaign: the day-1 lake, both snapshots, both timings. */
interface CrashReference {
  readonly day1Root: string;
  readonly reference: CrashBench['reference'];
  readonly timings: CrashBench['timings'];
}

/** Builds the reference lakes (two uninterrupted runs) and measures their step timings. */
async function buildCrashReference(day1: Mock, day2: Mock): Promise<CrashReference> {
  const day1Root = await mkdtemp(join(tmpdir(), 'pp-crash-ref1-'));
  const ref1 = localTarget(day1Root);
  await mustRun(['run-all', '--run-id', 'r1-ref', '--until', String(CRASH_NOW)], {
    ...crashEnv(day1.url),
    ...ref1.env,
  });
  const ref2Root = await mkdtemp(join(tmpdir(), 'pp-crash-ref2-'));
  await cp(day1Root, ref2Root, { recursive: true });
  const ref2 = localTarget(ref2Root);
  await mustRun(['run-all', '--run-id', 'r2-ref', '--until', String(CRASH_NOW + STEP)], {
    ...crashEnv(day2.url),
    ...ref2.env,
  });
  const m1 = await readRunManifest(ref1.store, 'r1-ref');
  const m2 = await readRunManifest(ref2.store, 'r2-ref');
  return {
    day1Root,
    reference: { first: await snapshotLake(ref1.store), incremental: await snapshotLake(ref2.store) },
    timings: { first: m1?.timings as StepTimings, incremental: m2?.timings as StepTimings },
  };
}

/**
 * In the suite, the reference is built once for every file that needs it (two uninterrupted
 * run-alls of a deterministic world: the same lakes whichever mock served them), in a folder of
 * this suite run's CLI build: the first file to take the lock builds it, the others wait for its
 * record. Outside vitest (scripts/crash-soak.ts) each campaign builds its own.
 */
async function sharedCrashReference(day1: Mock, day2: Mock): Promise<CrashReference> {
  if (!process.env.VITEST) return buildCrashReference(day1, day2);
  const dir = join(dirname(dirname(cliArgv()[0]!)), 'crash-reference');
  const record = join(dir, 'reference.json');
  const failed = join(dir, 'failed.txt');
  try {
    await mkdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    // another file builds it: wait for its record (the builder's own runs are bounded by runCli)
    for (;;) {
      if (existsSync(record)) return JSON.parse(await readFile(record, 'utf8')) as CrashReference;
      if (existsSync(failed))
        throw new Error(`the shared crash reference failed: ${await readFile(failed, 'utf8')}`);
      await setTimeout(250);
    }
  }
  try {
    const ref = await buildCrashReference(day1, day2);
    await writeFile(`${record}.tmp`, JSON.stringify(ref));
    await rename(`${record}.tmp`, record);
    return ref;
  } catch (err) {
    await writeFile(failed, String(err));
    throw err;
  }
}

/** Starts the campaign's two mocks and gets the reference lakes (built once per suite run). */
export async function prepareCrashBench(): Promise<CrashBench> {
  const day1 = await startMockApi({ ...CHANGES_WORLD, now: CRASH_NOW, port: 0, quiet: true });
  const day2 = await startMockApi({ ...CHANGES_WORLD, now: CRASH_NOW + STEP, port: 0, quiet: true });
  try {
    const ref = await sharedCrashReference(day1, day2);
    return {
      day1,
      day2,
      ...ref,
      close: async () => {
        await day1.close();
        await day2.close();
      },
    };
  } catch (err) {
    await day1.close();
    await day2.close();
    throw err;
  }
}

/** What happened at one crash point. */
export interface CrashPointResult {
  readonly index: number;
  readonly phase: 'first' | 'incremental';
  readonly target: string;
  readonly plan: KillPlan;
  /** Where the killed run was, from its manifest. */
  readonly landing: Landing;
  readonly killed: boolean;
  /** The signal the crashed run died by (SIGKILL when the kill happened), and its manifest's status. */
  readonly killSignal: NodeJS.Signals | null;
  readonly manifestStatus: unknown;
  /** Invariant violations right after the kill, and after the clean run. */
  readonly afterCrash: string[];
  readonly afterClean: string[];
  /** Scratch directories of the killed process right after the kill, and after the clean run. */
  readonly scratchAfterKill: string[];
  readonly scratchAfterClean: string[];
  readonly cleanExit: number | null;
  readonly cleanStderr: string;
  /** First difference from the uninterrupted reference, or undefined. */
  readonly diff: string | undefined;
}

/**
 * One crash point: a `run-all` killed per the point's plan, the lake checked, a clean `run-all`
 * with the same `--until`, the lake checked again and compared with the reference.
 * `phase` first: an empty lake; incremental: a copy of the day-1 lake, runs a week later.
 * `target` defaults to a fresh local directory (incremental needs local: it copies the day-1 lake).
 */
export async function runCrashPoint(
  bench: CrashBench,
  point: CrashPoint,
  phase: 'first' | 'incremental',
  target?: LakeTarget,
  failpointAt?: string,
): Promise<CrashPointResult> {
  let lake = target;
  if (!lake) {
    const root = await mkdtemp(join(tmpdir(), `pp-crash-${point.index}-`));
    if (phase === 'incremental') await cp(bench.day1Root, root, { recursive: true });
    lake = localTarget(root);
  }
  const mock = phase === 'first' ? bench.day1 : bench.day2;
  const until = phase === 'first' ? CRASH_NOW : CRASH_NOW + STEP;
  const env = { ...crashEnv(mock.url), ...lake.env };
  const plan = killPlan(point, bench.timings[phase]);
  const tag = `p${String(point.index).padStart(3, '0')}`;
  const crashId = `${tag}-a-crash`;
  const args = ['run-all', '--run-id', crashId, '--until', String(until)];
  const killedRun = failpointAt
    ? await runAtFailpoint(args, env, failpointAt)
    : await runAndKill(args, env, plan);
  const crashManifest = await readRunManifest(lake.store, crashId);
  const landing = killedRun.killed ? landingOf(crashManifest) : 'completed';
  const exp = { mockUrl: mock.url, until, safetySeconds: SAFETY, firstWindowStart: CRASH_NOW - DAYS * DAY };
  const afterCrash = await checkLake(lake.store, exp);
  const scratchAfterKill = await scratchDirsOf(killedRun.pid);
  const clean = await runCli(['run-all', '--run-id', `${tag}-b-clean`, '--until', String(until)], { env });
  const afterClean = await checkLake(lake.store, exp);
  const scratchAfterClean = await scratchDirsOf(killedRun.pid);
  const diff =
    clean.code === 0
      ? diffSnapshots(bench.reference[phase], await snapshotLake(lake.store))
      : 'clean run failed';
  return {
    index: point.index,
    phase,
    target: point.target,
    plan,
    landing,
    killed: killedRun.killed,
    killSignal: killedRun.result.signal,
    manifestStatus: crashManifest?.status,
    afterCrash,
    afterClean,
    scratchAfterKill,
    scratchAfterClean,
    cleanExit: clean.code,
    cleanStderr: clean.stderr.slice(-2000),
    diff,
  };
}

/**
 * `runCrashPoint` until its kill lands inside the run: a run can end before a kill aimed late in
 * a short step (publish takes milliseconds); it is then aimed earlier in the same step (a quarter
 * of the fraction, then the step's start), each time on a fresh lake from `target()`.
 */
export async function runKilledCrashPoint(
  bench: CrashBench,
  point: CrashPoint,
  phase: 'first' | 'incremental',
  target?: () => LakeTarget,
): Promise<CrashPointResult> {
  // A kill that lands after the run finished its work (manifest final, process not yet gone)
  // crashed nothing: only a run whose manifest still says running was interrupted.
  const crashed = (x: CrashPointResult) => x.killed && x.manifestStatus === 'running';
  let r = await runCrashPoint(bench, point, phase, target?.());
  for (const fraction of [point.fraction / 4, 0]) {
    if (crashed(r)) break;
    r = await runCrashPoint(bench, { ...point, fraction }, phase, target?.());
  }
  // A short step on a loaded machine can still end before a timed kill lands: the last resort is
  // a kill at the step's own start, by the failpoint there (src/state/failpoint.ts).
  const at = STEP_FAILPOINT[point.target];
  if (!crashed(r) && at) r = await runCrashPoint(bench, point, phase, target?.(), at);
  return r;
}

/** Failpoints at (or right before) the start of the short steps. */
const STEP_FAILPOINT: Partial<Record<CrashPoint['target'], string>> = {
  transform: 'transform.silver_table',
  references: 'run.referencing',
  quality: 'run.checking',
  publish: 'run.checked',
};

/** What happened at one failpoint crash (`runFailpointCrash`). */
export interface FailpointCrashResult {
  /** The run died of the SIGKILL it sent itself at the failpoint. */
  readonly killed: boolean;
  readonly afterCrash: string[];
  readonly afterClean: string[];
  readonly cleanExit: number | null;
  readonly cleanStderr: string;
  /** What the killed run logged. */
  readonly crashStderr: string;
  readonly diff: string | undefined;
}

/**
 * A crash at an exact place: `run-all` with `PAYMENTS_PIPELINE_CRASH_AT=<failpoint>` SIGKILLs
 * itself there (src/state/failpoint.ts), the lake is checked right after (what a reader could see
 * then), a clean `run-all` with the same `--until` follows, and the lake is checked again and
 * compared with the uninterrupted `reference`.
 */
export async function runFailpointCrash(opts: {
  lake: LakeTarget;
  mockUrl: string;
  until: number;
  failpoint: string;
  tag: string;
  reference: Record<string, string[]>;
  /** Settings of both runs beyond the crash suite's. */
  env?: Record<string, string>;
}): Promise<FailpointCrashResult> {
  const env = { ...crashEnv(opts.mockUrl), ...opts.lake.env, ...opts.env };
  const crashed = await runCli(
    ['run-all', '--run-id', `${opts.tag}-a-crash`, '--until', String(opts.until)],
    {
      env: { ...env, PAYMENTS_PIPELINE_CRASH_AT: opts.failpoint },
    },
  );
  const exp = {
    mockUrl: opts.mockUrl,
    until: opts.until,
    safetySeconds: SAFETY,
    firstWindowStart: opts.until - DAYS * DAY,
  };
  const afterCrash = await checkLake(opts.lake.store, exp);
  const clean = await runCli(['run-all', '--run-id', `${opts.tag}-b-clean`, '--until', String(opts.until)], {
    env,
  });
  const afterClean = await checkLake(opts.lake.store, exp);
  const diff =
    clean.code === 0
      ? diffSnapshots(opts.reference, await snapshotLake(opts.lake.store))
      : 'clean run failed';
  return {
    killed: crashed.signal === 'SIGKILL',
    afterCrash,
    afterClean,
    cleanExit: clean.code,
    cleanStderr: clean.stderr.slice(-2000),
    crashStderr: crashed.stderr,
    diff,
  };
}

/** Runs the CLI until it SIGKILLs itself at `failpoint`; `killed` says whether it got there. */
async function runAtFailpoint(args: string[], env: Record<string, string>, failpoint: string) {
  const proc = startCli(args, { env: { ...env, PAYMENTS_PIPELINE_CRASH_AT: failpoint } });
  const result = await proc.done;
  return { killed: result.signal === 'SIGKILL', result, pid: proc.child.pid };
}
