import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LocalObjectStore } from '../storage/local-store.js';
import { advanceWatermark, mergeForward, readWatermark, WatermarkError } from './watermarks.js';

let dir: string;
let store: LocalObjectStore;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'wm-'));
  store = new LocalObjectStore(dir);
});
afterEach(() => rm(dir, { recursive: true, force: true }));

describe('watermarks', () => {
  it('are absent before the first load and round-trip through the store', async () => {
    expect(await readWatermark(store, 'charges')).toBeUndefined();
    const now = new Date('2024-01-01T00:00:00Z');
    await advanceWatermark(store, 'charges', { created: 100, events: 200 }, 'r1', now);
    expect(await readWatermark(store, 'charges')).toEqual({
      entity: 'charges',
      created_watermark: 100,
      events_watermark: 200,
      run_id: 'r1',
      updated_at: '2024-01-01T00:00:00.000Z',
    });
  });

  it('only move forwards, field by field', async () => {
    await advanceWatermark(store, 'charges', { created: 100, events: 200 }, 'r1');
    const w = await advanceWatermark(store, 'charges', { created: 50, events: 300 }, 'r2');
    expect(w).toMatchObject({ created_watermark: 100, events_watermark: 300, run_id: 'r2' });
    // Entirely behind: nothing is written, the old run id stays.
    const same = await advanceWatermark(store, 'charges', { created: 10, events: 10 }, 'r3');
    expect(same.run_id).toBe('r2');
    expect((await readWatermark(store, 'charges'))?.run_id).toBe('r2');
  });

  it('mergeForward is a pure max per field', () => {
    const now = new Date(0);
    expect(mergeForward('x', undefined, { created: 5, events: 6 }, 'r', now)).toMatchObject({
      created_watermark: 5,
      events_watermark: 6,
    });
    const cur = mergeForward('x', undefined, { created: 5, events: 6 }, 'r', now)!;
    expect(mergeForward('x', cur, { created: 4, events: 6 }, 'r2', now)).toBeUndefined();
  });

  it('take unsettled_from from the latest whole listing, and keep it when a position has none', async () => {
    await advanceWatermark(store, 'balance_transactions', { created: 100, events: 0, unsettled: 90 }, 'r1');
    expect(await readWatermark(store, 'balance_transactions')).toMatchObject({ unsettled_from: 90 });
    // it may move back (a reload saw an older object still pending) and alone forces a write
    const w = await advanceWatermark(
      store,
      'balance_transactions',
      { created: 100, events: 0, unsettled: 80 },
      'r2',
    );
    expect(w).toMatchObject({ created_watermark: 100, unsettled_from: 80, run_id: 'r2' });
    const kept = await advanceWatermark(store, 'balance_transactions', { created: 120, events: 0 }, 'r3');
    expect(kept).toMatchObject({ created_watermark: 120, unsettled_from: 80 });
    await store.put(
      '_state/watermarks/refunds.json',
      JSON.stringify({ entity: 'refunds', created_watermark: 1, events_watermark: 1, unsettled_from: -5 }),
    );
    await expect(readWatermark(store, 'refunds')).rejects.toThrow(/refunds\.json.*unsettled_from/);
  });

  it('name the key when the file is unreadable', async () => {
    await store.put('_state/watermarks/charges.json', '{not json');
    await expect(readWatermark(store, 'charges')).rejects.toThrow(WatermarkError);
    await expect(readWatermark(store, 'charges')).rejects.toThrow('_state/watermarks/charges.json');
    await store.put(
      '_state/watermarks/refunds.json',
      JSON.stringify({ entity: 'refunds', created_watermark: 'x' }),
    );
    await expect(readWatermark(store, 'refunds')).rejects.toThrow(/refunds\.json.*created_watermark/);
  });

  it('refuse to write what they could not read back (a fractional created locked every run)', async () => {
    await expect(
      advanceWatermark(store, 'coupons', { created: 1_700_000_000.5, events: 0 }, 'r'),
    ).rejects.toThrow(WatermarkError);
    await expect(advanceWatermark(store, 'coupons', { created: 1e20, events: 0 }, 'r')).rejects.toThrow(
      /coupons\.json.*created/,
    );
    expect(await readWatermark(store, 'coupons')).toBeUndefined();
  });
});
