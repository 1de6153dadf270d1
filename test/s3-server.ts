import { execFile } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import {
  BucketAlreadyExists,
  BucketAlreadyOwnedByYou,
  CreateBucketCommand,
  S3Client,
} from '@aws-sdk/client-s3';

const run = promisify(execFile);

/** Where the S3 tests send their requests. */
export interface S3TestConfig {
  readonly endpoint: string;
  readonly region: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly bucket: string;
  /** `ceph`: the throwaway cluster of scripts/s3-server.sh; `external`: TEST_S3_ENDPOINT/S3_ENDPOINT_URL. */
  readonly source: 'ceph' | 'external';
}

/** What global setup hands the tests: the server, or why there is none (the S3 tests then fail with it). */
export type S3TestServer =
  | { readonly ok: true; readonly config: S3TestConfig }
  | { readonly ok: false; readonly error: string };

declare module 'vitest' {
  export interface ProvidedContext {
    s3: S3TestServer;
  }
}

const SCRIPT = resolve(import.meta.dirname, '../scripts/s3-server.sh');
/** Per-run cluster dirs: `<tmp>/pp-ceph-test-<pid of the vitest main process>`. */
const DIR_PREFIX = 'pp-ceph-test-';

/**
 * Starts a Ceph RGW for this test run (or uses `TEST_S3_ENDPOINT` / `S3_ENDPOINT_URL` with the
 * AWS_* credentials and `S3_BUCKET` from the environment) and makes sure the bucket exists.
 * Never throws: a failure comes back as `{ ok: false, error }` so that only the S3 tests fail.
 */
export async function startS3TestServer(
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ server: S3TestServer; stop: () => Promise<void> }> {
  const external = env.TEST_S3_ENDPOINT || env.S3_ENDPOINT_URL;
  if (external) {
    const config: S3TestConfig = {
      endpoint: external,
      region: env.AWS_REGION || 'us-east-1',
      accessKeyId: env.AWS_ACCESS_KEY_ID ?? '',
      secretAccessKey: env.AWS_SECRET_ACCESS_KEY ?? '',
      bucket: env.S3_BUCKET || 'pp-test',
      source: 'external',
    };
    try {
      await ensureBucket(config);
      return { server: { ok: true, config }, stop: async () => {} };
    } catch (err) {
      return {
        server: { ok: false, error: `S3 endpoint ${external}: ${String(err)}` },
        stop: async () => {},
      };
    }
  }

  await removeStaleClusters();
  const dir = join(tmpdir(), `${DIR_PREFIX}${process.pid}`);
  const scriptEnv = { ...process.env, PP_CEPH_DIR: dir, PP_S3_PORT: '0' };
  const stop = async (): Promise<void> => {
    await run('bash', [SCRIPT, 'stop'], { env: scriptEnv }).catch(() => undefined);
  };
  const started = Date.now();
  let error = '';
  // A second boot from scratch when the first fails: a freshly made monitor has refused commands
  // (CI: EPERM "wrong fsid" right after answering), and a whole S3 half of the suite failing for
  // one such moment says nothing about our code. Both failures are reported if both happen.
  for (let attempt = 1; attempt <= 2; attempt++) {
    try {
      const config = await bootCeph(scriptEnv);
      await ensureBucket(config);
      process.stderr.write(
        `[s3-server] Ceph RGW at ${config.endpoint} ready in ${Date.now() - started} ms (attempt ${attempt})\n`,
      );
      return { server: { ok: true, config }, stop };
    } catch (err) {
      await stop();
      const e = err as { message?: string; stderr?: string };
      const detail = e.stderr ? `\n${e.stderr.slice(-8000)}` : '';
      error += `${error ? '\n\nthen, on the second attempt: ' : ''}${e.message ?? err}${detail}`;
      if (attempt === 1)
        process.stderr.write(`[s3-server] first boot failed, booting again: ${e.message ?? err}\n`);
    }
  }
  return {
    server: { ok: false, error: `could not start the Ceph S3 server (scripts/s3-server.sh start): ${error}` },
    stop: async () => {},
  };
}

/** One `scripts/s3-server.sh start` into the env's cluster dir; the config it printed. */
async function bootCeph(scriptEnv: NodeJS.ProcessEnv): Promise<S3TestConfig> {
  // Generous timeout: a fresh machine installs Ceph with apt first (~40 s).
  const { stdout } = await run('bash', [SCRIPT, 'start'], {
    env: scriptEnv,
    timeout: 300_000,
    maxBuffer: 16 * 1024 * 1024,
  });
  const vars = parseEnvLines(stdout);
  return {
    endpoint: required(vars, 'S3_ENDPOINT_URL'),
    region: 'us-east-1',
    accessKeyId: required(vars, 'AWS_ACCESS_KEY_ID'),
    secretAccessKey: required(vars, 'AWS_SECRET_ACCESS_KEY'),
    bucket: required(vars, 'S3_BUCKET'),
    source: 'ceph',
  };
}

/** The line global setup prints: which S3 server this run's S3 tests go to, and why. */
export function describeS3Server(server: S3TestServer): string {
  if (!server.ok) return `[s3-server] S3 tests will fail: ${server.error.split('\n')[0]}`;
  const { endpoint, bucket, source } = server.config;
  return source === 'ceph'
    ? `[s3-server] S3 tests use the throwaway Ceph RGW at ${endpoint} (bucket ${bucket})`
    : `[s3-server] S3 tests use an OUTSIDE server at ${endpoint} (bucket ${bucket}), from TEST_S3_ENDPOINT/S3_ENDPOINT_URL: not the throwaway Ceph cluster`;
}

/** `KEY=VALUE` lines -> a map; other lines are ignored. */
export function parseEnvLines(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (m?.[1] && m[2] !== undefined) out.set(m[1], m[2]);
  }
  return out;
}

function required(vars: Map<string, string>, name: string): string {
  const v = vars.get(name);
  if (!v) throw new Error(`scripts/s3-server.sh printed no ${name}`);
  return v;
}

/** A plain S3 client of the test server (path-style, checksums only where required, as RGW wants). */
export function testS3Client(config: S3TestConfig): S3Client {
  return new S3Client({
    region: config.region,
    endpoint: config.endpoint,
    forcePathStyle: true,
    credentials: { accessKeyId: config.accessKeyId, secretAccessKey: config.secretAccessKey },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

async function ensureBucket(config: S3TestConfig): Promise<void> {
  const client = testS3Client(config);
  try {
    await client.send(new CreateBucketCommand({ Bucket: config.bucket }));
  } catch (err) {
    if (!(err instanceof BucketAlreadyOwnedByYou || err instanceof BucketAlreadyExists)) throw err;
  } finally {
    client.destroy();
  }
}

/** Clusters left by runs that were killed before their teardown (their vitest pid is gone). */
async function removeStaleClusters(): Promise<void> {
  const entries = await readdir(tmpdir()).catch(() => [] as string[]);
  for (const name of entries) {
    if (!name.startsWith(DIR_PREFIX)) continue;
    const pid = Number(name.slice(DIR_PREFIX.length));
    if (!Number.isInteger(pid) || pid === process.pid || isAlive(pid)) continue;
    await run('bash', [SCRIPT, 'stop'], { env: { ...process.env, PP_CEPH_DIR: join(tmpdir(), name) } }).catch(
      () => undefined,
    );
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
