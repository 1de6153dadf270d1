/**
 * Runs the mock API in its own process for the benchmark (so its CPU and memory are not counted
 * as the pipeline's) and prints one JSON line `{url, port, startup_ms}` when it listens.
 *
 *   node --import tsx bench/lib/mock-child.ts <preset> <now unix seconds>
 */
import { type MockPreset, startMockApi } from '../../src/mock/index.js';

const [preset, now] = process.argv.slice(2);
const mock = await startMockApi({
  preset: preset as MockPreset,
  now: Number(now),
  port: 0,
  host: '127.0.0.1',
  quiet: true,
});
process.stdout.write(
  `${JSON.stringify({ url: mock.url, port: mock.port, startup_ms: Math.round(mock.startupMs) })}\n`,
);
const stop = () => void mock.close().then(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
