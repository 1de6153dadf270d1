import type { TestProject } from 'vitest/node';
import { buildCliForTests } from './cli-build.js';
import { describeS3Server, startS3TestServer } from './s3-server.js';

/**
 * Runs once before the suite: boots the S3 test server (scripts/s3-server.sh, or TEST_S3_ENDPOINT /
 * S3_ENDPOINT_URL) and hands it to the tests as `inject('s3')` (see test/s3-env.ts). Tears it down
 * after. Compiles the CLI the tests start into a folder of this run's own (test/cli-build.ts), as
 * `inject('cliMain')`.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  // The SDK's notice about Node 20 support ending in 2027, once per worker: noise in test output.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const [s3, cli] = await Promise.allSettled([startS3TestServer(), buildCliForTests()]);
  // no CLI to test is no test run: fail the setup, and so the run, naming why
  if (cli.status === 'rejected') {
    if (s3.status === 'fulfilled') await s3.value.stop();
    throw cli.reason;
  }
  project.provide('cliMain', cli.value.main);
  const stop = async () => {
    await cli.value.remove();
    if (s3.status === 'fulfilled') await s3.value.stop();
  };
  // Said on every run: TEST_S3_ENDPOINT/S3_ENDPOINT_URL in the environment switch the S3 tests to
  // an outside server, and a run against something other than Ceph must be visible as such.
  const said = s3.status === 'fulfilled' ? describeS3Server(s3.value.server) : undefined;
  if (said) process.stderr.write(`${said}\n`);
  project.provide(
    's3',
    s3.status === 'fulfilled'
      ? s3.value.server
      : { ok: false, error: `S3 setup crashed: ${String(s3.reason)}` },
  );
  // Again at the end, beside the summary, where a reader of the log looks.
  return async () => {
    if (said) process.stderr.write(`${said.replace(' use ', ' ran against ')}\n`);
    await stop();
  };
}
