import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LocalObjectStore } from '../storage/local-store.js';
import { clearPendingChanges, loadPendingChanges, notePendingChanges } from './gold-deps.js';

describe('notePendingChanges', () => {
  let root: string | undefined;
  afterEach(async () => {
    if (root) await rm(root, { recursive: true, force: true });
  });

  // A daily run builds Silver tables side by side, and every table adds to the one record: a
  // table whose note another overwrote would leave its Gold stale.
  it('keeps every table when tables note their changes at the same time', async () => {
    root = await mkdtemp(join(tmpdir(), 'pending-'));
    const store = new LocalObjectStore(root);
    await clearPendingChanges(store);
    const tables = ['charges', 'refunds', 'invoices', 'subscriptions', 'payouts', 'events'];
    await Promise.all(
      tables.map((t, i) =>
        notePendingChanges(store, t, [`2024-01-0${i + 1}`], i === 0 ? ['2023-12-31'] : []),
      ),
    );
    const pending = await loadPendingChanges(store);
    expect(Object.keys(pending?.changed ?? {}).sort()).toEqual([...tables].sort());
    expect(pending?.changed['events']).toEqual(['2024-01-06']);
    expect(pending?.removed['charges']).toEqual(['2023-12-31']);
  });

  it('adds nothing to a record not started (a full refresh computes Gold whole)', async () => {
    root = await mkdtemp(join(tmpdir(), 'pending-'));
    const store = new LocalObjectStore(root);
    await notePendingChanges(store, 'charges', ['2024-01-01'], []);
    expect(await loadPendingChanges(store)).toBeUndefined();
  });
});
