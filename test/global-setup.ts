import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { TestProject } from 'vitest/node';
import { startS3TestServer } from './s3-server.js';

const run = promisify(execFile);

/**
 * Runs once before the suite: builds `dist/` (so that CLI tests run the real executable) while the
 * S3 test server boots (scripts/s3-server.sh, or TEST_S3_ENDPOINT / S3_ENDPOINT_URL), and hands
 * the server to the tests as `inject('s3')` (see test/s3-env.ts). Tears the server down after.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  // The SDK's notice about Node 20 support ending in 2027, once per worker: noise in test output.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const [build, s3] = await Promise.allSettled([
    run(process.execPath, ['scripts/build.mjs'], { maxBuffer: 64 * 1024 * 1024 }),
    startS3TestServer(),
  ]);
  const stop = s3.status === 'fulfilled' ? s3.value.stop : async () => {};
  if (build.status === 'rejected') {
    await stop();
    const e = build.reason as { stdout?: string; stderr?: string };
    process.stderr.write(`${e.stdout ?? ''}${e.stderr ?? ''}`);
    throw build.reason;
  }
  project.provide(
    's3',
    s3.status === 'fulfilled'
      ? s3.value.server
      : { ok: false, error: `S3 setup crashed: ${String(s3.reason)}` },
  );
  return stop;
}
