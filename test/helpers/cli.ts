import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, inject, onTestFinished, TestRunner } from 'vitest';

const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
// An absolute loader URL, so that the CLI also runs from a temp working directory.
const TSX = new URL('../../node_modules/tsx/dist/loader.mjs', import.meta.url).href;

/**
 * Node's arguments that start the CLI: in the suite, its build for this run (test/cli-build.ts,
 * made by the global setup); outside vitest (scripts/crash-soak.ts), the sources through tsx.
 */
export function cliArgv(): string[] {
  return process.env.VITEST ? [inject('cliMain')] : ['--import', TSX, MAIN];
}

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Children started outside a test (in a beforeAll) or in a concurrent one: they die when their file ends. */
const outsideTests = new Set<ChildProcess>();
// Only inside vitest (scripts/crash-soak.ts imports these helpers too).
if (process.env.VITEST) {
  afterAll(() => {
    for (const child of outsideTests) child.kill('SIGKILL');
    outsideTests.clear();
  });
}

/**
 * Ties a child process's life to the test that started it: SIGKILLed when the test ends, also
 * when it failed or timed out (or when the file ends, for one started in a hook), so no run is
 * left writing into a data root after its test.
 */
export function tieToTest(child: ChildProcess): void {
  const kill = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  // Concurrent tests interleave: vitest's "current test" is whichever started last, so a global
  // onTestFinished would tie this child to another test and kill it when that one ends. Their
  // children die with the file instead.
  const current = process.env.VITEST ? TestRunner.getCurrentTest() : undefined;
  if (current && !current.concurrent) {
    onTestFinished(kill);
    return;
  }
  // Not inside a test (a hook, or no vitest at all), or inside a concurrent one.
  outsideTests.add(child);
  child.once('exit', () => outsideTests.delete(child));
}

/**
 * Starts the CLI (`cliArgv`) as a child process, with a clean
 * environment plus `env`, in `cwd`, tied to the current test (see `tieToTest`).
 */
export function spawnCli(
  args: string[],
  opts: { env?: Record<string, string>; cwd?: string } = {},
): ChildProcess {
  const child = spawn(process.execPath, [...cliArgv(), ...args], {
    cwd: opts.cwd ?? process.cwd(),
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '/tmp',
      LOG_FORMAT: 'json',
      // The suite runs three files at once on two cores: a child whose DuckDB runs one thread
      // spends less CPU waiting on the others (three runs at once: 34 against 39 CPU-s). The
      // in-process tests (transform, quality, partitioned writes) keep a thread per CPU.
      ...(process.env.VITEST ? { DUCKDB_THREADS: '1' } : {}),
      ...opts.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  tieToTest(child);
  return child;
}

/**
 * Runs the CLI (see `spawnCli`) to its end. The child lives as long as its test at most;
 * `timeoutMs` kills it sooner.
 */
export async function runCli(
  args: string[],
  opts: { env?: Record<string, string>; cwd?: string; timeoutMs?: number } = {},
): Promise<CliResult> {
  const child = spawnCli(args, opts);
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  return whenClosed(child, opts.timeoutMs, () => ({ stdout, stderr }));
}

/**
 * The child's end, with what `output` collected by then; `timeoutMs` (if given) kills it
 * sooner with SIGKILL.
 */
export function whenClosed(
  child: ChildProcess,
  timeoutMs: number | undefined,
  output: () => { stdout: string; stderr: string },
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const timer = timeoutMs === undefined ? undefined : setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, ...output() });
    });
  });
}

/** The environment that points the CLI at an S3 server, under `prefix` (PIPELINE_ENV=AWS). */
export function s3CliEnv(
  s3: { endpoint: string; region: string; accessKeyId: string; secretAccessKey: string; bucket: string },
  prefix: string,
): Record<string, string> {
  return {
    PIPELINE_ENV: 'AWS',
    S3_BUCKET: s3.bucket,
    S3_PREFIX: prefix,
    S3_ENDPOINT_URL: s3.endpoint,
    AWS_REGION: s3.region,
    AWS_ACCESS_KEY_ID: s3.accessKeyId,
    AWS_SECRET_ACCESS_KEY: s3.secretAccessKey,
  };
}
