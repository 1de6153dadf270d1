import { describe, expect, it } from 'vitest';
import { tempDirs } from '../../test/helpers/temp-dirs.js';
import { LocalObjectStore } from './local-store.js';
import { StagedStore } from './staged-store.js';

const STAGING = '_staging/run_id=r1/';
const text = (b: Uint8Array | undefined) => (b ? Buffer.from(b).toString() : undefined);

describe('StagedStore', () => {
  const tempDir = tempDirs('pp-staged-store-');
  const base = async () => new LocalObjectStore(await tempDir());

  it('writes staged keys under the staging prefix and reads them over the published ones', async () => {
    const store = await base();
    await store.put('silver/t/dt=1/data.parquet', 'published 1');
    await store.put('silver/t/dt=2/data.parquet', 'published 2');
    const view = await StagedStore.open(store, STAGING, ['silver/', 'gold/']);
    await view.put('silver/t/dt=2/data.parquet', 'staged 2');
    await view.put('silver/t/dt=3/data.parquet', 'staged 3');
    await view.put('bronze/x/part.jsonl', 'not staged');
    // the published lake is untouched
    expect(text(await store.get('silver/t/dt=2/data.parquet'))).toBe('published 2');
    expect(await store.get('silver/t/dt=3/data.parquet')).toBeUndefined();
    expect(text(await store.get(`${STAGING}silver/t/dt=2/data.parquet`))).toBe('staged 2');
    expect(text(await store.get('bronze/x/part.jsonl'))).toBe('not staged');
    // the view: staged over published, published where nothing was staged
    expect(text(await view.get('silver/t/dt=1/data.parquet'))).toBe('published 1');
    expect(text(await view.get('silver/t/dt=2/data.parquet'))).toBe('staged 2');
    expect((await view.list('silver/t/')).map((o) => [o.key, o.size])).toEqual([
      ['silver/t/dt=1/data.parquet', 11],
      ['silver/t/dt=2/data.parquet', 8],
      ['silver/t/dt=3/data.parquet', 8],
    ]);
    expect(view.physicalKey('silver/t/dt=1/data.parquet')).toBe('silver/t/dt=1/data.parquet');
    expect(view.physicalKey('silver/t/dt=2/data.parquet')).toBe(`${STAGING}silver/t/dt=2/data.parquet`);
  });

  it('a staged deletion hides the published key in the view only, and survives reopening', async () => {
    const store = await base();
    await store.put('gold/m/dt=1/data.parquet', 'old');
    const view = await StagedStore.open(store, STAGING, ['gold/']);
    await view.delete('gold/m/dt=1/data.parquet');
    expect(await view.get('gold/m/dt=1/data.parquet')).toBeUndefined();
    expect(await view.list('gold/')).toEqual([]);
    expect(text(await store.get('gold/m/dt=1/data.parquet'))).toBe('old');
    // a later step (standalone quality, a roll-forward) opens the same staging
    const again = await StagedStore.open(store, STAGING, ['gold/']);
    expect(await again.list('gold/')).toEqual([]);
    expect(again.changes()).toEqual({ moves: [], deletes: ['gold/m/dt=1/data.parquet'] });
    // written again after the deletion: staged, no longer deleted
    await again.put('gold/m/dt=1/data.parquet', 'new');
    expect(again.changes()).toEqual({
      moves: [{ from: `${STAGING}gold/m/dt=1/data.parquet`, to: 'gold/m/dt=1/data.parquet' }],
      deletes: [],
    });
    expect((await StagedStore.open(store, STAGING, ['gold/'])).changes().deletes).toEqual([]);
  });
});
