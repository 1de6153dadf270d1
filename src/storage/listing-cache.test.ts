import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ListingCacheStore } from './listing-cache.js';
import { LocalObjectStore } from './local-store.js';
import type { ObjectInfo, ObjectStore } from './object-store.js';
import { objectStoreSuite } from './object-store.suite.js';

objectStoreSuite('ListingCacheStore over LocalObjectStore', async () => {
  const root = await mkdtemp(join(tmpdir(), 'pp-listing-cache-'));
  return {
    store: new ListingCacheStore(new LocalObjectStore(root)),
    cleanup: () => rm(root, { recursive: true, force: true }),
  };
});

/** A local store that counts its listings and HEADs. */
class CountingStore extends LocalObjectStore {
  lists: string[] = [];
  heads = 0;
  override list(prefix: string): Promise<ObjectInfo[]> {
    this.lists.push(prefix);
    return super.list(prefix);
  }
  override head(key: string): Promise<ObjectInfo | undefined> {
    this.heads++;
    return super.head(key);
  }
}

const keys = (objs: ObjectInfo[]): string[] => objs.map((o) => o.key);

describe('ListingCacheStore', () => {
  let root: string;
  let inner: CountingStore;
  let store: ObjectStore;
  /** Writes a file behind the store's back, as another process would. */
  const outside = async (key: string): Promise<void> => {
    const path = join(root, ...key.split('/'));
    await mkdir(join(path, '..'), { recursive: true });
    await writeFile(path, 'x');
  };

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'pp-listing-cache-'));
    inner = new CountingStore(root);
    store = new ListingCacheStore(inner);
    for (const k of [
      'silver/a/dt=1/data.parquet',
      'silver/a/dt=2/data.parquet',
      'silver/b/dt=1/data.parquet',
    ])
      await inner.put(k, 'v1');
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('lists a prefix once and answers longer prefixes under it from memory', async () => {
    expect(keys(await store.list('silver/'))).toHaveLength(3);
    await outside('silver/a/dt=3/data.parquet');
    // served from the first listing: the file written behind the store's back is not seen
    expect(keys(await store.list('silver/a/'))).toEqual([
      'silver/a/dt=1/data.parquet',
      'silver/a/dt=2/data.parquet',
    ]);
    expect(keys(await store.list('silver/'))).toHaveLength(3);
    expect(inner.lists).toEqual(['silver/']);
    // a prefix no listing covers is listed
    expect(keys(await store.list('gold/'))).toEqual([]);
    expect(inner.lists).toEqual(['silver/', 'gold/']);
  });

  it('sees its own puts, moves and deletes, with their current size', async () => {
    await store.list('silver/');
    await store.put('silver/a/dt=1/data.parquet', 'longer v2');
    await store.put('silver/c/dt=1/data.parquet', 'new');
    await store.move('silver/b/dt=1/data.parquet', 'silver/b/dt=9/data.parquet');
    await store.delete('silver/a/dt=2/data.parquet');
    const listed = await store.list('silver/');
    expect(keys(listed)).toEqual([
      'silver/a/dt=1/data.parquet',
      'silver/b/dt=9/data.parquet',
      'silver/c/dt=1/data.parquet',
    ]);
    expect(listed[0]!.size).toBe('longer v2'.length);
    expect(inner.lists).toEqual(['silver/']);
    expect(inner.heads).toBe(5);
    // taken in once: the next listing needs no HEAD
    await store.list('silver/a/');
    expect(inner.heads).toBe(5);
  });

  it('sees a write that lands while the listing is in flight', async () => {
    const pending = store.list('silver/');
    await store.put('silver/d/dt=1/data.parquet', 'during');
    await pending;
    expect(keys(await store.list('silver/d/'))).toEqual(['silver/d/dt=1/data.parquet']);
  });

  it('lists again instead of a HEAD per key when most of a listing changed', async () => {
    await store.list('silver/');
    for (let i = 0; i < 70; i++) await store.put(`silver/e/dt=${i}/data.parquet`, 'x');
    expect(await store.list('silver/')).toHaveLength(73);
    expect(inner.heads).toBe(0);
    expect(inner.lists).toEqual(['silver/', 'silver/']);
  });

  it('does not keep a listing that failed', async () => {
    let fail = true;
    const flaky = new (class extends LocalObjectStore {
      override list(prefix: string): Promise<ObjectInfo[]> {
        if (fail) return Promise.reject(new Error('network down'));
        return super.list(prefix);
      }
    })(root);
    const cached = new ListingCacheStore(flaky);
    await expect(cached.list('silver/')).rejects.toThrow('network down');
    fail = false;
    expect(await cached.list('silver/')).toHaveLength(3);
  });
});
