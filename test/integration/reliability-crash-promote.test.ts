import { cp, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMockApi } from '../../src/mock/index.js';
import { runCli } from '../helpers/cli.js';
import { type LakeTarget, localTarget, s3Target, snapshotLake } from '../helpers/crash.js';
import { CRASH_NOW, crashEnv, type FailpointCrashResult, runFailpointCrash } from '../helpers/crash-suite.js';
import { freshPrefix, s3TestConfig } from '../s3-env.js';

/**
 * SPEC 9 and 15: `run-all` SIGKILLed at exact places of the staged publish (failpoints), then a
 * clean `run-all`: right after the kill no pointer names a missing object and nothing unchecked
 * is published; after the clean run, Silver and Gold equal an uninterrupted run's. The random
 * kills of reliability-crash.test.ts cover the rest of the run.
 *
 * Kills inside the promote reuse one killed run: a lake whose run died right after writing its
 * journal is copied, and a `run-all` on each copy dies at the failpoint inside the roll-forward
 * (the same `applyJournal` the original promote runs), so each point costs one short run.
 * The points run concurrently, each on its own lake.
 */
type Mock = Awaited<ReturnType<typeof startMockApi>>;

const DIRECT = ['transform.silver_table:3', 'run.transformed', 'run.checked', 'promote.move:2'];
const IN_PROMOTE = [
  'promote.move:1',
  'promote.move:50',
  'promote.recorded',
  'promote.state',
  'promote.pointers',
  'promote.done',
];

describe('run-all killed at exact points of the staged publish', () => {
  let mock: Mock;
  let reference: Record<string, string[]>;
  /** A lake whose run died right after writing its journal, and a pristine copy of it. */
  let killedAfterJournal: LakeTarget;
  let journaled: string;
  beforeAll(async () => {
    mock = await startMockApi({ preset: 'tiny', now: CRASH_NOW, port: 0, quiet: true });
    const ref = localTarget(await mkdtemp(join(tmpdir(), 'pp-promote-ref-')));
    const r = await runCli(['run-all', '--run-id', 'ref', '--until', String(CRASH_NOW)], {
      env: { ...crashEnv(mock.url), ...ref.env },
    });
    expect(r.code, r.stderr.slice(-2000)).toBe(0);
    reference = await snapshotLake(ref.store);
    killedAfterJournal = localTarget(await mkdtemp(join(tmpdir(), 'pp-promote-journal-')));
    const crashed = await runCli(['run-all', '--run-id', 'j-a-crash', '--until', String(CRASH_NOW)], {
      env: {
        ...crashEnv(mock.url),
        ...killedAfterJournal.env,
        PAYMENTS_PIPELINE_CRASH_AT: 'promote.journal',
      },
    });
    expect(crashed.signal).toBe('SIGKILL');
    journaled = await mkdtemp(join(tmpdir(), 'pp-promote-journaled-'));
    await cp(killedAfterJournal.env.LOCAL_DATA_DIR!, journaled, { recursive: true });
  }, 240_000);
  afterAll(async () => {
    await mock?.close();
  });

  const expectHealed = (r: FailpointCrashResult, where: string) => {
    expect(r.killed, `${where}: the run died at its failpoint`).toBe(true);
    expect(r.afterCrash, `${where}: right after the kill`).toEqual([]);
    expect(r.cleanExit, `${where}: clean run\n${r.cleanStderr}`).toBe(0);
    expect(r.afterClean, `${where}: after the clean run`).toEqual([]);
    expect(r.diff, `${where}: Silver and Gold equal the uninterrupted run`).toBeUndefined();
  };

  it.concurrent('killed right after writing its promote journal: nothing published yet, the next run finishes it', async () => {
    const lake = killedAfterJournal;
    expect(await lake.store.list('silver/')).toEqual([]);
    expect((await lake.store.list('_staging/run_id=j-a-crash/')).length).toBeGreaterThan(100);
    const clean = await runCli(['run-all', '--run-id', 'j-b-clean', '--until', String(CRASH_NOW)], {
      env: { ...crashEnv(mock.url), ...lake.env, LOG_LEVEL: 'warn' },
    });
    expect(clean.code, clean.stderr.slice(-2000)).toBe(0);
    expect(clean.stderr).toContain('finishing the interrupted promote of run j-a-crash');
    expect(await lake.store.list('_staging/')).toEqual([]);
    expect(await snapshotLake(lake.store)).toEqual(reference);
  }, 240_000);

  for (const point of IN_PROMOTE) {
    it.concurrent(`killed inside the promote at ${point}`, async () => {
      const root = await mkdtemp(join(tmpdir(), 'pp-promote-in-'));
      await cp(journaled, root, { recursive: true });
      const r = await runFailpointCrash({
        lake: localTarget(root),
        mockUrl: mock.url,
        until: CRASH_NOW,
        failpoint: point,
        tag: `in-${point.replace(/[^a-z0-9]/g, '-')}`,
        reference,
      });
      expectHealed(r, point);
    }, 240_000);
  }

  for (const point of DIRECT) {
    it.concurrent(`killed at ${point} (disk)`, async () => {
      const r = await runFailpointCrash({
        lake: localTarget(await mkdtemp(join(tmpdir(), 'pp-promote-direct-'))),
        mockUrl: mock.url,
        until: CRASH_NOW,
        failpoint: point,
        tag: `d-${point.replace(/[^a-z0-9]/g, '-')}`,
        reference,
      });
      expectHealed(r, point);
    }, 240_000);
  }

  it.concurrent('killed after the first Silver table typed beside extraction (disk)', async () => {
    // SPEC 14 item 4: the first table built is one typed while extraction goes on (the run's
    // transform starts only after those builds settle), so the kill lands in that path
    const r = await runFailpointCrash({
      lake: localTarget(await mkdtemp(join(tmpdir(), 'pp-promote-overlap-'))),
      mockUrl: mock.url,
      until: CRASH_NOW,
      failpoint: 'transform.silver_table:1',
      tag: 'd-overlap',
      reference,
      env: { TRANSFORM_DURING_EXTRACT: 'always', LOG_LEVEL: 'info', LOG_FORMAT: 'json' },
    });
    // the table the kill followed was built by the typing beside extraction
    const built = r.crashStderr
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { msg?: string; overlap?: boolean })
      .filter((l) => l.msg === 'silver built');
    expect(built.map((l) => l.overlap)).toEqual([true]);
    expectHealed(r, 'transform.silver_table:1 beside extraction');
  }, 240_000);

  it.concurrent('killed between two partition moves on S3 (CopyObject + DeleteObject)', async () => {
    const lake = s3Target(s3TestConfig(), freshPrefix('promote-crash'));
    const r = await runFailpointCrash({
      lake,
      mockUrl: mock.url,
      until: CRASH_NOW,
      failpoint: 'promote.move:2',
      tag: 's3-move',
      reference,
    });
    expectHealed(r, 'S3 promote.move:2');
  }, 240_000);
});
