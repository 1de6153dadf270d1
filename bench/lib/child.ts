/**
 * Child processes of the benchmark: the mock API (under tsx's loader) and the CLI as users run it
 * (`bin/payments-pipeline.js` over the compiled `dist/`), with their peak RSS sampled from /proc
 * while they live.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Repository root (bench/lib/../..). */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** tsx's loader by absolute path, so children work from any cwd. */
const TSX_LOADER = fileURLToPath(new URL('../../node_modules/tsx/dist/loader.mjs', import.meta.url));

/** A child process of the benchmark failed. */
/** Children alive now: `killBenchChildren` ends them (a test that timed out must not leave any). */
const live = new Set<ChildProcess>();

function track(child: ChildProcess): ChildProcess {
  live.add(child);
  child.once('exit', () => live.delete(child));
  return child;
}

/** SIGKILLs every benchmark child still running (the mock APIs and CLI runs started here). */
export function killBenchChildren(): void {
  for (const child of live) child.kill('SIGKILL');
  live.clear();
}

export class BenchChildError extends Error {
  constructor(
    message: string,
    readonly stderr: string,
  ) {
    super(stderr ? `${message}\n${stderr.slice(-4000)}` : message);
    this.name = 'BenchChildError';
  }
}

/** `parse` of `/proc/<pid>/<file>` of a live process; undefined once it is gone. */
function readProc<T>(pid: number, file: string, parse: (text: string) => T): T | undefined {
  try {
    return parse(readFileSync(`/proc/${pid}/${file}`, 'utf8'));
  } catch {
    return undefined;
  }
}

/** Reads `VmHWM` (peak resident set) of a live process in KiB; undefined once it is gone. */
export const readPeakRssKiB = (pid: number): number | undefined => readProc(pid, 'status', parsePeakRssKiB);

/** The larger of `VmHWM` and `VmRSS` in a `/proc/<pid>/status` text, KiB (0 when absent). */
export function parsePeakRssKiB(status: string): number {
  let peak = 0;
  for (const m of status.matchAll(/^Vm(?:HWM|RSS):\s+(\d+)\s+kB$/gm)) peak = Math.max(peak, Number(m[1]));
  return peak;
}

/** CPU seconds (user + system, all threads) a live process has used; undefined once it is gone. */
export const readCpuSeconds = (pid: number): number | undefined => readProc(pid, 'stat', parseCpuSeconds);

/** utime + stime of a `/proc/<pid>/stat` line, in seconds (clock ticks of 1/100 s). */
export function parseCpuSeconds(stat: string): number {
  // Fields after the parenthesised command name (which may hold spaces): state is field 3.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** Samples a child's peak RSS every `everyMs` until it exits (VmHWM is monotonic, so the last read wins). */
export function watchPeakRss(
  child: ChildProcess,
  everyMs = 100,
): () => { peakKiB: number; cpuSeconds: number } {
  let peak = 0;
  let cpu = 0;
  const sample = () => {
    if (child.pid === undefined) return;
    peak = Math.max(peak, readPeakRssKiB(child.pid) ?? 0);
    cpu = Math.max(cpu, readCpuSeconds(child.pid) ?? 0);
  };
  const timer = setInterval(sample, everyMs);
  sample();
  return () => {
    clearInterval(timer);
    return { peakKiB: peak, cpuSeconds: cpu };
  };
}

/** A running mock API child. */
export interface MockChild {
  readonly url: string;
  readonly port: number;
  readonly startupMs: number;
  /** CPU seconds the mock process has used so far. */
  cpuSeconds(): number;
  /** Moves the mock clock forward (its `/_mock/clock` control API); resolves the new time. */
  advance(seconds: number): Promise<number>;
  /** Sets fault/latency options through `/_mock/config` (e.g. `{ latency_ms: 100 }`). */
  configure(patch: Record<string, number>): Promise<void>;
  stop(): Promise<void>;
}

/** Starts the mock API (frozen clock at `now`) in a separate process. */
export async function startMockChild(preset: string, now: number): Promise<MockChild> {
  const child = track(
    spawn(
      process.execPath,
      [
        '--import',
        TSX_LOADER,
        fileURLToPath(new URL('./mock-child.ts', import.meta.url)),
        preset,
        String(now),
      ],
      { stdio: ['ignore', 'pipe', 'pipe'], cwd: ROOT },
    ),
  );
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => {
    stderr += c.toString();
  });
  const info = await new Promise<{ url: string; port: number; startup_ms: number }>((resolve, reject) => {
    let buf = '';
    child.stdout!.on('data', (c: Buffer) => {
      buf += c.toString();
      const nl = buf.indexOf('\n');
      if (nl >= 0) resolve(JSON.parse(buf.slice(0, nl)));
    });
    child.once('exit', (code) =>
      reject(new BenchChildError(`mock API exited with ${code} before listening`, stderr)),
    );
  });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  return {
    url: info.url,
    port: info.port,
    startupMs: info.startup_ms,
    cpuSeconds: () => (child.pid === undefined ? 0 : (readCpuSeconds(child.pid) ?? 0)),
    async advance(seconds) {
      const res = await fetch(`${info.url}/_mock/clock`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ advance_seconds: seconds }),
      });
      if (!res.ok) throw new BenchChildError(`POST /_mock/clock answered ${res.status}`, await res.text());
      return ((await res.json()) as { now: number }).now;
    },
    async configure(patch) {
      const res = await fetch(`${info.url}/_mock/config`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(patch),
      });
      if (!res.ok) throw new BenchChildError(`POST /_mock/config answered ${res.status}`, await res.text());
    },
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

/** What one CLI run took. */
export interface CliRun {
  readonly seconds: number;
  readonly peakRssMiB: number;
  /** CPU seconds of the process (sampled every 100 ms, so up to 0.1 s short). */
  readonly cpuSeconds: number;
  readonly stderr: string;
}

let built = false;

const nodeFlags = (): string[] => (process.env['BENCH_NODE_FLAGS'] ?? '').split(' ').filter(Boolean);

/**
 * Compiles src/ into dist/ once per benchmark process, so the figures are those of the shipped
 * CLI (tsx's loader compiles every module at start: about 0.3 s more a run) and of today's code.
 */
function buildOnce(): void {
  if (built) return;
  // BENCH_BUILD_FLAGS=--no-bundle: the compiled modules as they are, for a preload that patches a package
  const flags = (process.env['BENCH_BUILD_FLAGS'] ?? '').split(' ').filter(Boolean);
  const r = spawnSync(process.execPath, ['scripts/build.mjs', ...flags], { cwd: ROOT, encoding: 'utf8' });
  if (r.status !== 0) throw new BenchChildError('npm run build failed', `${r.stdout}${r.stderr}`);
  built = true;
}

/** Runs `payments-pipeline <args>` (the built `bin/payments-pipeline.js`); rejects on a non-zero exit. */
export async function runCli(args: string[], env: Record<string, string>): Promise<CliRun> {
  buildOnce();
  const t0 = performance.now();
  const child = track(
    // BENCH_NODE_FLAGS: e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof` (not allowed in NODE_OPTIONS)
    spawn(process.execPath, [...nodeFlags(), 'bin/payments-pipeline.js', ...args], {
      cwd: ROOT,
      env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '/tmp', ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    }),
  );
  const stopWatch = watchPeakRss(child);
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => {
    stderr += c.toString();
    if (stderr.length > 1_000_000) stderr = stderr.slice(-100_000);
  });
  const code = await new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
  const seconds = (performance.now() - t0) / 1000;
  const { peakKiB, cpuSeconds } = stopWatch();
  if (code !== 0)
    throw new BenchChildError(`payments-pipeline ${args.join(' ')} exited with ${code}`, stderr);
  return { seconds, peakRssMiB: peakKiB / 1024, cpuSeconds, stderr };
}
