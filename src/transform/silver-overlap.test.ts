import { describe, expect, it } from 'vitest';
import type { TableName } from '../entities/entity.js';
import { SilverOverlap, tablesComplete } from './silver-overlap.js';

/** A build that waits until released, recording each batch it was given. */
function gatedBuild() {
  const batches: TableName[][] = [];
  const gates: (() => void)[] = [];
  const build = (tables: TableName[]) =>
    new Promise<string>((resolve) => {
      batches.push(tables);
      gates.push(() => resolve(tables.join('+')));
    });
  const release = async () => {
    gates.shift()?.();
    await new Promise((r) => setTimeout(r, 0));
  };
  return { batches, build, release };
}

describe('tablesComplete', () => {
  it('needs a child collection both its parent and its pages, and never the webhook-only table', () => {
    expect(tablesComplete(new Set(['payouts']))).toEqual(['payouts']);
    expect(tablesComplete(new Set(['payouts', 'payout_balance_transactions']))).toEqual([
      'payouts',
      'payout_balance_transactions',
    ]);
    expect(tablesComplete(new Set(['events']))).toEqual(['events']);
    expect(tablesComplete(new Set(['webhook_events']))).toEqual([]);
  });
});

describe('SilverOverlap', () => {
  it('builds after the staging is ready, one batch at a time, taking what completed meanwhile', async () => {
    const { batches, build, release } = gatedBuild();
    let ready!: () => void;
    const overlap = new SilverOverlap(build, new Promise<void>((r) => (ready = r)));
    overlap.complete(['customers']);
    await new Promise((r) => setTimeout(r, 0));
    expect(batches).toEqual([]);
    ready();
    await new Promise((r) => setTimeout(r, 0));
    expect(batches).toEqual([['customers']]);
    overlap.complete(['prices']);
    overlap.complete(['products', 'prices']);
    expect(batches).toHaveLength(1);
    await release();
    expect(batches).toEqual([['customers'], ['prices', 'products']]);
    await release();
    const r = await overlap.settle();
    expect(r.tables).toEqual(['customers', 'prices', 'products']);
    expect(r.reports).toEqual(['customers', 'prices+products']);
  });

  it('starts nothing once stopped, and leaves the tables it did not build to the transform', async () => {
    const { batches, build, release } = gatedBuild();
    const overlap = new SilverOverlap(build, Promise.resolve());
    overlap.complete(['customers']);
    await new Promise((r) => setTimeout(r, 0));
    overlap.complete(['charges']);
    overlap.stop();
    const settled = overlap.settle();
    await release();
    expect((await settled).tables).toEqual(['customers']);
    expect(batches).toEqual([['customers']]);
  });

  it('waits while the machine has no core to spare, and builds on the threads it has', async () => {
    const calls: [TableName[], number][] = [];
    const spare = [0, 0, 2];
    const overlap = new SilverOverlap(
      async (tables, threads) => {
        calls.push([tables, threads]);
      },
      Promise.resolve(),
      () => spare.shift() ?? 0,
      5,
    );
    overlap.complete(['customers']);
    overlap.complete(['prices']);
    expect(calls).toEqual([]);
    await new Promise((r) => setTimeout(r, 50));
    expect(calls).toEqual([[['customers', 'prices'], 2]]);
    // stopped while waiting: nothing more starts
    overlap.complete(['products']);
    overlap.stop();
    await new Promise((r) => setTimeout(r, 20));
    expect((await overlap.settle()).tables).toEqual(['customers', 'prices']);
    expect(calls).toHaveLength(1);
  });

  it('starts no build after a failure, and settle throws it', async () => {
    let calls = 0;
    const overlap = new SilverOverlap(async () => {
      calls++;
      throw new Error('bad Bronze');
    }, Promise.resolve());
    overlap.complete(['customers']);
    await new Promise((r) => setTimeout(r, 0));
    overlap.complete(['charges']);
    await expect(overlap.settle()).rejects.toThrow('bad Bronze');
    expect(calls).toBe(1);
  });
});
