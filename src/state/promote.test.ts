import { utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDirs } from '../../test/helpers/temp-dirs.js';
import { silentLogger } from '../obs/logger.js';
import { layout } from '../storage/layout.js';
import { LocalObjectStore } from '../storage/local-store.js';
import {
  forEachMove,
  type MoveManyOptions,
  type MovePair,
  type ObjectStore,
} from '../storage/object-store.js';
import { StagedStore } from '../storage/staged-store.js';
import {
  findDamage,
  openRunView,
  type PromoteJournal,
  promote,
  rollForward,
  STAGED_PREFIXES,
} from './promote.js';
import { readLatest } from './publish.js';

const S = (dt: string) => layout.silverPartition('charges', dt);
const G = (dt: string) => layout.goldPartition('fct_payments', dt);
const text = (b: Uint8Array | undefined) => (b ? Buffer.from(b).toString() : undefined);

/** The store, dying (throwing) at its `n+1`-th move: a crash between two partition moves. */
function crashingAfterMoves(store: ObjectStore, n: number): ObjectStore {
  let moves = 0;
  const move = async (from: string, to: string) => {
    if (++moves > n) throw new Error('killed');
    return store.move(from, to);
  };
  return new Proxy(store, {
    get(target, prop, receiver) {
      if (prop === 'move') return move;
      if (prop === 'moveMany')
        return (pairs: readonly MovePair[], opts?: MoveManyOptions) =>
          forEachMove(pairs, opts, (p) => move(p.from, p.to));
      const v = Reflect.get(target, prop, receiver) as unknown;
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
}

describe('promote and roll-forward', () => {
  const tempDir = tempDirs('pp-promote-');
  /** A published lake: two Silver days, two Gold days named by the pointer, a transform state. */
  const lake = async () => {
    const root = await tempDir();
    const store = new LocalObjectStore(root);
    await store.put(S('2024-01-01'), 'silver 1 v1');
    await store.put(S('2024-01-02'), 'silver 2 v1');
    await store.put(G('2024-01-01'), 'gold 1 v1');
    await store.put(G('2024-01-02'), 'gold 2 v1');
    await store.put('_state/transform/silver/charges.json', '{"v":1}');
    const view = await openRunView(store, 'r0');
    await promote({
      view,
      runId: 'r0',
      pointers: [
        { model: 'fct_payments', keys: [G('2024-01-01'), G('2024-01-02')], row_count: 2, max_business_ts: 1 },
      ],
      logger: silentLogger(),
    });
    return store;
  };
  /** Run r1 stages: day 2 rewritten, day 3 new, Gold day 1 removed, the state advanced. */
  const stage = async (store: ObjectStore) => {
    const view = await openRunView(store, 'r1');
    await view.put(S('2024-01-02'), 'silver 2 v2');
    await view.put(S('2024-01-03'), 'silver 3 v2');
    await view.put(G('2024-01-03'), 'gold 3 v2');
    await view.delete(G('2024-01-01'));
    await view.put('_state/transform/silver/charges.json', '{"v":2}');
    return view;
  };
  const pointers = [
    { model: 'fct_payments', keys: [G('2024-01-02'), G('2024-01-03')], row_count: 2, max_business_ts: 2 },
  ];

  it('a promote killed between two partition moves is finished by the next run, exactly once', async () => {
    const store = await lake();
    const view = await stage(store);
    const dying = await StagedStore.open(crashingAfterMoves(store, 1), layout.staging('r1'), STAGED_PREFIXES);
    await expect(promote({ view: dying, runId: 'r1', pointers, logger: silentLogger() })).rejects.toThrow(
      'killed',
    );
    expect(view.changes().moves.length).toBe(4);
    // a reader now: the old pointer, every key it names present; the state not yet advanced
    const journal = JSON.parse(text(await store.get(layout.publishJournal('r1')))!) as PromoteJournal;
    expect(journal.status).toBe('promoting');
    expect(journal.moves.at(-1)?.to).toBe('_state/transform/silver/charges.json');
    const before = await readLatest(store, 'fct_payments');
    expect(before?.run_id).toBe('r0');
    for (const k of before!.keys) expect(await store.get(k), k).toBeDefined();
    expect(text(await store.get('_state/transform/silver/charges.json'))).toBe('{"v":1}');

    expect(await rollForward(store, silentLogger())).toEqual(['r1']);
    expect(text(await store.get(S('2024-01-01')))).toBe('silver 1 v1');
    expect(text(await store.get(S('2024-01-02')))).toBe('silver 2 v2');
    expect(text(await store.get(S('2024-01-03')))).toBe('silver 3 v2');
    expect(text(await store.get(G('2024-01-03')))).toBe('gold 3 v2');
    expect(await store.get(G('2024-01-01')), 'removed after the pointer moved').toBeUndefined();
    expect(text(await store.get('_state/transform/silver/charges.json'))).toBe('{"v":2}');
    expect((await readLatest(store, 'fct_payments'))?.keys).toEqual(pointers[0]!.keys);
    expect(await store.list(layout.stagingRoot())).toEqual([]);
    const done = JSON.parse(text(await store.get(layout.publishJournal('r1')))!) as PromoteJournal;
    expect(done.status).toBe('promoted');
    expect(await rollForward(store, silentLogger())).toEqual([]);
    expect(await findDamage(store)).toEqual({ damage: [], stale: [] });
  });

  it('refuses a pointer to a key that does not exist, before writing anything', async () => {
    const store = await lake();
    const view = await stage(store);
    const bad = [{ ...pointers[0]!, keys: [G('2024-01-01')] }];
    await expect(promote({ view, runId: 'r1', pointers: bad, logger: silentLogger() })).rejects.toThrow(
      /cannot publish fct_payments/,
    );
    expect(await store.get(layout.publishJournal('r1'))).toBeUndefined();
  });

  it('finds partitions missing or changed since the promote; a copy with the same bytes is not damage', async () => {
    const store = await lake();
    await store.delete(S('2024-01-01'));
    await store.put(S('2024-01-02'), 'silver 2 XX'); // same size, other bytes
    await store.put(G('2024-01-01'), 'gold 1'); // other size
    const sameBytes = join(store.root, ...G('2024-01-02').split('/'));
    await utimes(sameBytes, new Date(2020, 1, 1), new Date(2020, 1, 1)); // restored from a backup
    expect(await findDamage(store)).toEqual({
      damage: [
        { key: G('2024-01-01'), reason: 'size' },
        { key: S('2024-01-01'), reason: 'missing' },
        { key: S('2024-01-02'), reason: 'changed' },
      ],
      stale: ['gold/model=fct_payments/'],
    });
  });
});
