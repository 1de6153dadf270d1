import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseSettings } from '../../src/config/settings.js';
import { ENTITY_NAMES } from '../../src/entities/lookups.js';
import { runExtract } from '../../src/extract/run-extract.js';
import { startMockApi } from '../../src/mock/index.js';
import { silentLogger } from '../../src/obs/logger.js';
import { readWatermark } from '../../src/state/watermarks.js';
import { diffAgainstTruth } from '../helpers/bronze-truth.js';
import { s3TestStore } from '../s3-env.js';

const NOW = 1_717_243_200; // 2024-06-01T12:00:00Z

let mock: Awaited<ReturnType<typeof startMockApi>>;
beforeEach(async () => {
  // Bronze is compared with the truth byte for byte: every event in the current API version
  mock = await startMockApi({
    preset: 'tiny',
    now: NOW,
    port: 0,
    host: '127.0.0.1',
    quiet: true,
    oldVersionShare: 0,
  });
});
afterEach(() => mock.close());

describe('extraction to S3', () => {
  it('a first extract into the S3 server holds exactly the mock truth, watermarks after it', async () => {
    const store = s3TestStore('extract');
    // DEFAULT_DAYS covers tiny's objects: customers 14 days and the catalogue 28 before its 3 days
    const settings = parseSettings({ DEFAULT_DAYS: '45', EXTRACT_CONCURRENCY: '8' }, { isTTY: false });
    const report = await runExtract({
      store,
      settings,
      logger: silentLogger(),
      runId: 'runs3',
      baseUrl: mock.url,
      apiKey: 'sk_test_s3',
      until: mock.now(),
    });
    expect(await diffAgainstTruth(store, mock.url, { states: true })).toEqual([]);
    for (const key of report.bronzeKeys) expect(await store.head(key)).toBeDefined();
    for (const e of ENTITY_NAMES) expect((await readWatermark(store, e))?.run_id).toBe('runs3');
  });
});
