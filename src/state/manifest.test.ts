import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LocalObjectStore } from '../storage/local-store.js';
import { listRunIds, markAbandoned, RunManifest, readManifest } from './manifest.js';
import { publishLatest, readLatest } from './publish.js';

const tempStore = async () => new LocalObjectStore(await mkdtemp(join(tmpdir(), 'pp-state-')));

describe('run manifest', () => {
  it('marks a run that never finished abandoned, and leaves finished ones alone', async () => {
    const store = await tempStore();
    await RunManifest.start(store, { runId: 'killed', command: 'run-all', settings: {} });
    const done = await RunManifest.start(store, { runId: 'done', command: 'run-all', settings: {} });
    await done.section('extract', { customers: 1 });
    await done.finish('succeeded');
    expect(await markAbandoned(store, 'killed', 'next')).toBe(true);
    expect(await markAbandoned(store, 'done', 'next')).toBe(false);
    expect(await markAbandoned(store, 'missing', 'next')).toBe(false);
    expect(await readManifest(store, 'killed')).toMatchObject({
      status: 'failed',
      abandoned: true,
      error: { step: 'abandoned', message: expect.stringContaining('run next') },
    });
    expect((await readManifest(store, 'done'))?.status).toBe('succeeded');
  });

  it('sections added side by side land in order: the last write holds both', async () => {
    const store = await tempStore();
    const m = await RunManifest.start(store, { runId: 'r2', command: 'run-all', settings: {} });
    // the first section's write is slow (a store round trip), the second's fast
    const put = store.put.bind(store);
    let calls = 0;
    store.put = async (key, body) => {
      if (calls++ === 0) await new Promise((r) => setTimeout(r, 50));
      return put(key, body);
    };
    await Promise.all([m.section('healed', ['a']), m.section('extract', { charges: 1 })]);
    expect(await readManifest(store, 'r2')).toMatchObject({ healed: ['a'], extract: { charges: 1 } });
  });

  it('keeps every step section through to the final write', async () => {
    const store = await tempStore();
    const m = await RunManifest.start(store, {
      runId: 'r1',
      command: 'run-all',
      settings: { API_KEY: '[REDACTED]' },
    });
    expect((await readManifest(store, 'r1'))?.status).toBe('running');
    await m.section('extract', { charges: { records: 3 } });
    await m.section('transform', { fct_payments: { partitions: 1, rows: 3, seconds: 0.1 } });
    await m.finish('failed', { step: 'quality', message: 'boom' });
    const final = await readManifest(store, 'r1');
    expect(final).toMatchObject({
      status: 'failed',
      extract: { charges: { records: 3 } },
      transform: { fct_payments: { rows: 3 } },
      error: { step: 'quality' },
    });
    expect(final?.finished_at).toBeTypeOf('string');
    await RunManifest.start(store, { runId: 'r2', command: 'extract', settings: {} });
    expect(await listRunIds(store)).toEqual(['r2', 'r1']);
  });
});

describe('publishLatest', () => {
  it('writes pointers for existing keys and refuses missing ones', async () => {
    const store = await tempStore();
    await store.put('gold/model=m/dt=2024-01-01/data.parquet', 'x');
    const [p] = await publishLatest(store, 'r1', [
      { model: 'm', keys: ['gold/model=m/dt=2024-01-01/data.parquet'], row_count: 1, max_business_ts: 5 },
    ]);
    expect(p?.run_id).toBe('r1');
    expect((await readLatest(store, 'm'))?.row_count).toBe(1);
    await expect(
      publishLatest(store, 'r2', [
        { model: 'm', keys: ['gold/model=m/dt=2024-01-02/data.parquet'], row_count: 1, max_business_ts: 5 },
      ]),
    ).rejects.toThrow(/does not exist/);
    expect((await readLatest(store, 'm'))?.run_id).toBe('r1');
  });
});
