import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dtOfKey, layout } from '../storage/layout.js';
import { LocalObjectStore } from '../storage/local-store.js';
import { CUTOFF_MARGIN_MS, changedDts, changedSince, recordFullScope, scopeDue } from './scope.js';

describe('changedDts', () => {
  const objs = [
    { key: 'silver/source=stripe/entity=charges/dt=2024-03-01/data.parquet', modifiedMs: 100 },
    { key: 'silver/source=stripe/entity=charges/dt=2024-03-02/data.parquet', modifiedMs: 300 },
  ];
  it('keeps the partitions written at or after the cutoff; all without one', () => {
    expect([...changedDts(objs, 300, dtOfKey)]).toEqual(['2024-03-02']);
    expect([...changedDts(objs, undefined, dtOfKey)].sort()).toEqual(['2024-03-01', '2024-03-02']);
  });
});

describe('changedSince', () => {
  it('is the start of the newest other run whose quality passed, minus a margin', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'pp-scope-'));
    try {
      const store = new LocalObjectStore(dir);
      const put = (id: string, started: string, passed?: boolean) =>
        store.put(
          layout.manifest(id),
          JSON.stringify({
            run_id: id,
            started_at: started,
            ...(passed === undefined ? {} : { quality: { passed } }),
          }),
        );
      expect(await changedSince(store, 'r9')).toBeUndefined();
      await put('r1', '2024-03-01T00:00:00.000Z', true);
      await put('r2', '2024-03-02T00:00:00.000Z', false);
      await put('r3', '2024-03-03T00:00:00.000Z');
      await put('r4', '2024-03-04T00:00:00.000Z', true); // the current run itself
      expect(await changedSince(store, 'r4')).toBe(Date.parse('2024-03-01T00:00:00.000Z') - CUTOFF_MARGIN_MS);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('scopeDue', () => {
  it('is all until a full check passed, then again once QUALITY_FULL_SCOPE_DAYS have gone by', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'pp-scope-'));
    try {
      const store = new LocalObjectStore(dir);
      const day = 86_400;
      const t0 = 1_700_000_000;
      expect(await scopeDue(store, t0, 7)).toBe('all');
      await recordFullScope(store, 'r1', t0);
      expect(await scopeDue(store, t0 + 6 * day, 7)).toBe('changed');
      expect(await scopeDue(store, t0 + 7 * day, 7)).toBe('all');
      expect(await scopeDue(store, t0 + day, 0)).toBe('all');
      // an unreadable record costs one full check, never a failure
      await store.put(layout.qualityFullScope(), 'not json');
      expect(await scopeDue(store, t0 + day, 7)).toBe('all');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
