import { defineConfig } from 'vitest/config';
import { LongestFirstSequencer } from './test/longest-first-sequencer.js';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 180_000,
    pool: 'forks',
    // Most integration time is spent waiting on CLI children, the mock and the S3 server, not in
    // the worker: three files at once on two cores (vitest's default here is one).
    maxWorkers: 3,
    // the longest files first (test/longest-first-sequencer.ts): the run does not end on one worker
    sequence: { sequencer: LongestFirstSequencer },
    reporters: ['default'],
  },
});
