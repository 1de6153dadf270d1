import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fingerprintOf, loadVerified, recordVerified } from '../state/verified-index.js';
import { dtOfKey, layout } from '../storage/layout.js';
import { LocalObjectStore } from '../storage/local-store.js';
import { CUTOFF_MARGIN_MS, changedDts, changedSince, isChanged, recordFullScope, scopeDue } from './scope.js';

describe('changedDts', () => {
  const objs = [
    { key: 'silver/source=stripe/entity=charges/dt=2024-03-01/data.parquet', size: 10, modifiedMs: 100 },
    { key: 'silver/source=stripe/entity=charges/dt=2024-03-02/data.parquet', size: 10, modifiedMs: 300 },
    {
      key: 'silver/source=stripe/entity=charges/dt=2024-03-03/data.parquet',
      size: 10,
      modifiedMs: 400,
      etag: 'e3',
    },
  ];
  it('keeps the partitions written at or after the cutoff; all without one', () => {
    expect([...changedDts(objs, 300, dtOfKey)]).toEqual(['2024-03-02', '2024-03-03']);
    expect([...changedDts(objs, undefined, dtOfKey)].sort()).toEqual([
      '2024-03-01',
      '2024-03-02',
      '2024-03-03',
    ]);
  });

  it('skips what a passing run verified, while its fingerprint (size and ETag, else time) holds', () => {
    const verified = new Map([
      [objs[1]!.key, fingerprintOf(objs[1]!)],
      // a copied S3 object keeps its ETag: a later modification time is the same content
      [objs[2]!.key, fingerprintOf({ ...objs[2]!, modifiedMs: 50 })],
    ]);
    expect([...changedDts(objs, 300, dtOfKey, verified)]).toEqual([]);
    // rewritten behind the pipeline's back: another size, or another time where there is no ETag
    const rewritten = [
      { ...objs[1]!, modifiedMs: 301 },
      { ...objs[2]!, size: 11 },
    ];
    expect([...changedDts(rewritten, 300, dtOfKey, verified)]).toEqual(['2024-03-02', '2024-03-03']);
    expect(isChanged(objs[1]!, undefined, verified)).toBe(true);
  });

  it('reads back what recordVerified wrote; an unreadable record verifies nothing', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'pp-verified-'));
    try {
      const store = new LocalObjectStore(dir);
      expect((await loadVerified(store)).size).toBe(0);
      await recordVerified(store, 'r1', objs);
      const v = await loadVerified(store);
      expect(v.get(objs[2]!.key)).toBe('10:e3');
      expect([...changedDts(objs, 0, dtOfKey, v)]).toEqual([]);
      await store.put(layout.qualityVerified(), '{not json');
      expect((await loadVerified(store)).size).toBe(0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
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
