import { createHash } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMockApi } from '../../src/mock/index.js';
import type { ObjectStore } from '../../src/storage/object-store.js';
import { runCli } from '../helpers/cli.js';
import { diffSnapshots, type LakeTarget, localTarget, s3Target, snapshotLake } from '../helpers/crash.js';
import { CRASH_NOW, crashEnv } from '../helpers/crash-suite.js';
import { mapReads } from '../helpers/lake.js';
import { fetchTruth } from '../helpers/mock-control.js';
import { freshPrefix, s3TestConfig } from '../s3-env.js';

/**
 * SPEC 9, "Readers only ever see checked data" and "Self-healing", on disk and on S3, as one
 * scenario per store: a day-1 load; a day-2 run whose quality fails (its Bronze names a charge
 * that does not exist) must leave every published byte as it was, and the next good run publishes
 * what was pending; published partitions deleted, truncated or replaced behind the pipeline's
 * back are rebuilt with the same rows; `transform --rebuild` rewrites exactly what it is asked for.
 */
type Mock = Awaited<ReturnType<typeof startMockApi>>;
const DAY = 86_400;

/** SHA-256 of every published Silver/Gold object and every `_latest` pointer. */
async function publishedHashes(store: ObjectStore): Promise<Record<string, string>> {
  const keys: string[] = [];
  for (const prefix of ['silver/', 'gold/', '_state/manifests/_latest/'])
    keys.push(...(await store.list(prefix)).map((o) => o.key));
  const hashes = await mapReads(keys, async (k) =>
    createHash('sha256')
      .update((await store.get(k))!)
      .digest('hex'),
  );
  return Object.fromEntries(keys.map((k, i) => [k, hashes[i]!]));
}

async function readJson<T>(store: ObjectStore, key: string): Promise<T> {
  return JSON.parse(Buffer.from((await store.get(key))!).toString('utf8')) as T;
}

/** A refund naming a charge no source knows: the references pass finds nothing, ref.* fails. */
const ORPHAN_REFUND_KEY =
  'bronze/source=stripe/entity=refunds/dt=2024-06-16/run_id=zz-orphan/part-00000.jsonl';
const orphanRefund = `${JSON.stringify({
  data: {
    id: 're_orphan_0001',
    object: 'refund',
    created: CRASH_NOW + DAY - 3600,
    amount: 100,
    currency: 'usd',
    charge: 'ch_nobody_knows_0001',
    status: 'succeeded',
    metadata: {},
  },
  meta: {
    entity: 'refunds',
    run_id: 'zz-orphan',
    ingested_at: new Date().toISOString(),
    source: 'api',
    version_ts: CRASH_NOW + DAY - 3600,
  },
})}\n`;

const targets: { name: string; lake: () => Promise<LakeTarget> }[] = [
  { name: 'disk', lake: async () => localTarget(await mkdtemp(join(tmpdir(), 'pp-staged-'))) },
  { name: 'S3', lake: async () => s3Target(s3TestConfig(), freshPrefix('staged')) },
];

for (const target of targets) {
  describe(`staged publish and self-healing on ${target.name}`, () => {
    let day1: Mock;
    let day2: Mock;
    let lake: LakeTarget;
    const run = (args: string[], mock: Mock) =>
      runCli(args, { env: { ...crashEnv(mock.url), ...lake.env, LOG_LEVEL: 'info' } });
    const until2 = String(CRASH_NOW + DAY);
    beforeAll(async () => {
      day1 = await startMockApi({ preset: 'tiny', now: CRASH_NOW, port: 0, quiet: true });
      day2 = await startMockApi({ preset: 'tiny', now: CRASH_NOW + DAY, port: 0, quiet: true });
      lake = await target.lake();
      const r = await run(['run-all', '--run-id', 'day1', '--until', String(CRASH_NOW)], day1);
      expect(r.code, r.stderr.slice(-2000)).toBe(0);
    }, 180_000);
    afterAll(async () => {
      await day1?.close();
      await day2?.close();
    });

    it('a run whose quality fails publishes nothing; the next good run publishes what was pending', async () => {
      const before = await publishedHashes(lake.store);
      expect(Object.keys(before).length).toBeGreaterThan(100);
      await lake.store.put(ORPHAN_REFUND_KEY, orphanRefund);
      const failed = await run(['run-all', '--run-id', 'day2-bad', '--until', until2], day2);
      expect(failed.code, failed.stderr.slice(-2000)).toBe(1);
      expect(failed.stderr).toContain('ref.refunds.charge_id');
      // byte for byte: every published object and pointer
      expect(await publishedHashes(lake.store)).toEqual(before);
      // its partitions are kept for inspection, and no journal was written
      const staged = (await lake.store.list('_staging/run_id=day2-bad/')).map((o) => o.key);
      expect(staged).toContain(
        '_staging/run_id=day2-bad/silver/source=stripe/entity=refunds/dt=2024-06-16/data.parquet',
      );
      expect(await lake.store.get('_state/publish/day2-bad.json')).toBeUndefined();
      const status = await run(['status', '--json'], day2);
      expect(status.stdout).toContain('day2-bad');

      // the operator removes the bad record; the next run publishes day 2, whose Bronze the
      // failed run extracted (its watermarks moved): that Bronze stayed pending
      await lake.store.delete(ORPHAN_REFUND_KEY);
      const good = await run(['run-all', '--run-id', 'day2-good', '--until', until2], day2);
      expect(good.code, good.stderr.slice(-2000)).toBe(0);
      const charges = new Set(
        (await lake.store.list('silver/source=stripe/entity=charges/')).map((o) => o.key),
      );
      expect(charges).toContain('silver/source=stripe/entity=charges/dt=2024-06-16/data.parquet');
      const m = await readJson<{ quality: { passed: boolean }; transform: Record<string, { rows: number }> }>(
        lake.store,
        '_state/manifests/run_day2-good.json',
      );
      expect(m.quality.passed).toBe(true);
      // every truth charge of day 2 is in Silver: the Bronze of the failed run was built
      const truth = (await fetchTruth(day2.url, 'charges')).filter((c) => Number(c.created) >= CRASH_NOW);
      expect(truth.length).toBeGreaterThan(0);
      const after = await publishedHashes(lake.store);
      expect(after).not.toEqual(before);
      const pointer = await readJson<{ run_id: string; keys: string[] }>(
        lake.store,
        '_state/manifests/_latest/fct_payments.json',
      );
      expect(pointer.run_id).toBe('day2-good');
      for (const k of pointer.keys) expect(after[k], k).toBeDefined();
    }, 300_000);

    it('deleted, truncated and replaced partitions are rebuilt from Bronze, with the same rows', async () => {
      const before = await publishedHashes(lake.store);
      const rowsBefore = await snapshotLake(lake.store);
      const silverKeys = Object.keys(before).filter((k) =>
        k.startsWith('silver/source=stripe/entity=charges/'),
      );
      const deleted = silverKeys[0]!;
      const customers = Object.keys(before).filter((k) =>
        k.startsWith('silver/source=stripe/entity=customers/'),
      );
      expect(customers.length).toBeGreaterThan(1);
      const replaced = customers.at(-1)!;
      const truncated = Object.keys(before).find((k) => k.startsWith('gold/model=fct_payments/'))!;
      await lake.store.delete(deleted);
      const bytes = (await lake.store.get(truncated))!;
      await lake.store.put(truncated, bytes.subarray(0, Math.floor(bytes.length / 2)));
      // a valid Parquet of the same table, another day's rows
      await lake.store.put(replaced, (await lake.store.get(customers[0]!))!);
      const r = await run(['run-all', '--run-id', 'heal', '--until', until2], day2);
      expect(r.code, r.stderr.slice(-2000)).toBe(0);
      expect(r.stderr).toContain('published partitions are missing or changed');
      const m = await readJson<{ healed: { key: string; reason: string }[] }>(
        lake.store,
        '_state/manifests/run_heal.json',
      );
      expect(m.healed.map((h) => h.key).sort()).toEqual([deleted, replaced, truncated].sort());
      // the same rows (lineage columns aside: a rebuild from all Bronze may credit another
      // copy of the same version, e.g. one re-read by the safety window, than the merge did)
      expect(diffSnapshots(rowsBefore, await snapshotLake(lake.store))).toBeUndefined();
      const after = await publishedHashes(lake.store);
      for (const k of [deleted, replaced, truncated]) expect(after[k], k).toBeDefined();
      const journal = await readJson<{ moves: { to: string }[] }>(lake.store, '_state/publish/heal.json');
      expect(journal.moves.map((m) => m.to)).toEqual(expect.arrayContaining([deleted, replaced, truncated]));
      // healed: the next run finds nothing to heal
      const again = await run(['run-all', '--run-id', 'heal-again', '--until', until2], day2);
      expect(again.code, again.stderr.slice(-2000)).toBe(0);
      expect(again.stderr).not.toContain('published partitions are missing or changed');
    }, 300_000);

    it('transform --rebuild rewrites exactly the partitions asked for, identical when nothing changed', async () => {
      const before = await publishedHashes(lake.store);
      const journalMoves = async (runId: string) =>
        (await readJson<{ moves: { to: string }[] }>(lake.store, `_state/publish/${runId}.json`)).moves
          .map((m) => m.to)
          .filter((k) => !k.startsWith('_state/'));
      const silver = 'silver/source=stripe/entity=charges/dt=2024-06-10/data.parquet';
      const r1 = await run(
        [
          'transform',
          '--run-id',
          'rb-charges',
          '--rebuild',
          '--from',
          '2024-06-10',
          '--to',
          '2024-06-10',
          '--entity',
          'charges',
        ],
        day2,
      );
      expect(r1.code, r1.stderr.slice(-2000)).toBe(0);
      // Gold follows Silver: recomputed, rewritten only where its rows changed (none here); a
      // transform without --until computes the models of the as-of time as of now: the
      // dim_customers snapshot (a new dt), and MRR (the months from the last as-of month to
      // now, SPEC 8.1): left out
      const asOfModels = ['dim_customers', 'fct_mrr', 'mrr_movements'];
      const snapshot = (k: string) => asOfModels.some((m) => k.startsWith(`gold/model=${m}/`));
      expect((await journalMoves('rb-charges')).filter((k) => !snapshot(k))).toEqual([silver]);
      const gold = 'gold/model=daily_overview/dt=2024-06-10/data.parquet';
      const r2 = await run(
        [
          'transform',
          '--run-id',
          'rb-gold',
          '--rebuild',
          '--from',
          '2024-06-10',
          '--to',
          '2024-06-10',
          '--model',
          'daily_overview',
        ],
        day2,
      );
      expect(r2.code, r2.stderr.slice(-2000)).toBe(0);
      expect((await journalMoves('rb-gold')).filter((k) => !snapshot(k))).toEqual([gold]);
      const after = await publishedHashes(lake.store);
      for (const k of Object.keys(before).filter((k) => !k.startsWith('_state/') && !snapshot(k)))
        expect(after[k], `${k} byte-identical`).toBe(before[k]);
      const bad = await run(['transform', '--rebuild', '--from', '2024-06-10'], day2);
      expect(bad.code).toBe(2);
    }, 300_000);
  });
}
