import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMockApi } from '../../src/mock/index.js';
import { runCli } from '../helpers/cli.js';
import { advanceMockClock, configureMock, fetchTruth } from '../helpers/mock-control.js';
import { CHANGES_DEFAULT_DAYS, CHANGES_NOW, CHANGES_WORLD, silverVsTruth } from '../helpers/truth-compare.js';

/**
 * The child collections end to end (SPEC 4.1, 7.1) through 10% API faults: a world (seed 57 of
 * the changes world) whose invoices list more lines than they embed (`has_more`), so the lines
 * are read by parent; payouts read by `?payout=`; after a first load and three runs 10 days apart
 * (plan changes, payouts turning paid), Silver equals the truth of all three child tables (and
 * of every entity).
 */
describe('child collections through their parents, with faults', () => {
  let mock: Awaited<ReturnType<typeof startMockApi>>;
  let root: string;
  beforeAll(async () => {
    mock = await startMockApi({ ...CHANGES_WORLD, seed: 57, now: CHANGES_NOW, port: 0, quiet: true });
    root = await mkdtemp(join(tmpdir(), 'pp-children-'));
    await configureMock(mock.url, { failure_rate: 0.1 });
  });
  afterAll(async () => {
    await mock?.close();
  });
  const env = () => ({
    API_BASE_URL: mock.url,
    API_KEY: 'sk_test_children',
    LOCAL_DATA_DIR: root,
    DEFAULT_DAYS: String(CHANGES_DEFAULT_DAYS),
    LOG_LEVEL: 'warn',
  });

  // a first load, then three runs each 10 days later (SPEC 4.2's life goes on in between)
  for (const [step, runId] of [
    [0, 'children-1'],
    [1, 'children-2'],
    [2, 'children-3'],
    [3, 'children-4'],
  ] as const) {
    it(`${step === 0 ? 'first load' : `${step * 10} days later`}: the three child tables equal the truth`, async () => {
      if (step > 0) await advanceMockClock(mock.url, 10 * 86_400);
      const invoices = await fetchTruth(mock.url, 'invoices');
      const partial = invoices.filter((i) => (i.lines as { has_more?: boolean }).has_more === true);
      expect(partial.length, 'invoices embedding only part of their lines').toBeGreaterThan(0);
      const until = CHANGES_NOW + step * 10 * 86_400;
      const r = await runCli(['run-all', '--run-id', runId, '--until', String(until)], { env: env() });
      expect(r.code, r.stderr.slice(-3000)).toBe(0);
      const manifest = JSON.parse(
        await readFile(join(root, '_state/manifests', `run_${runId}.json`), 'utf8'),
      );
      const extract = manifest.extract as Record<string, { records: number; retries: number }>;
      if (step === 0) {
        // every line of the partial invoices came from the reads by parent
        const lines = partial.reduce(
          (n, i) => n + Number((i.lines as { total_count?: number }).total_count ?? 0),
          0,
        );
        expect(extract.invoice_line_items?.records).toBeGreaterThanOrEqual(lines);
      }
      expect(extract.payout_balance_transactions?.records, 'payout transactions read').toBeGreaterThan(0);
      expect(manifest.quality.passed).toBe(true);
      expect(await silverVsTruth(root, mock.url)).toEqual([]);
    }, 180_000);
  }
});
