import type { Readable } from 'node:stream';
import pLimit from 'p-limit';
import type { MoveManyOptions, MovePair, ObjectInfo, ObjectStore } from './object-store.js';

/** HEAD requests (stats locally) in flight while a cached listing takes in the keys written since. */
const REFRESH_CONCURRENCY = 16;
/** Above this many changed keys (and a quarter of the listing), listing again is cheaper. */
const RELIST_MIN = 64;

interface Listing {
  readonly prefix: string;
  readonly objects: Promise<Map<string, ObjectInfo>>;
  /** Keys written, moved or deleted through this store since the listing was taken. */
  readonly dirty: Set<string>;
  /** The refresh taking in `dirty`, while one runs. */
  refreshing?: Promise<void>;
}

const byKey = (a: ObjectInfo, b: ObjectInfo): number => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);

/**
 * A store that lists each prefix once (SPEC 14: one LIST per table prefix at most) and answers
 * every later listing of it, or of a longer prefix under it, from memory. The keys written, moved
 * or deleted through this store are looked up again before a cached listing is served (a HEAD
 * each, or one listing again when they are many), so the store's own writes are always seen.
 *
 * For one pipeline run only: it holds the lake's lock, so no other run writes. An object written
 * by another process during the run (a webhook part) is seen by the next run, and every step of
 * this one sees the same listing of it.
 *
 * @example
 * const store = cacheListings(fenceStore(baseStore, lock));
 * await store.list('silver/'); // one walk of silver/
 * await store.list('silver/source=stripe/entity=charges/'); // from memory
 */
export class ListingCacheStore implements ObjectStore {
  private readonly listings: Listing[] = [];

  constructor(private readonly inner: ObjectStore) {}

  get root(): string {
    return this.inner.root;
  }

  get localRoot(): string | undefined {
    return this.inner.localRoot;
  }

  get listCost(): 'pages' | 'walk' {
    return this.inner.listCost;
  }

  async list(prefix: string): Promise<ObjectInfo[]> {
    const listing = this.listings.find((l) => prefix.startsWith(l.prefix)) ?? this.take(prefix);
    const objects = await listing.objects;
    await this.refresh(listing, objects);
    const out: ObjectInfo[] = [];
    for (const o of objects.values()) if (o.key.startsWith(prefix)) out.push(o);
    return out.sort(byKey);
  }

  private take(prefix: string): Listing {
    const listing: Listing = {
      prefix,
      objects: this.inner.list(prefix).then((all) => new Map(all.map((o) => [o.key, o]))),
      dirty: new Set(),
    };
    this.listings.push(listing);
    // A failed listing is not kept: the next call lists again.
    listing.objects.catch(() => this.listings.splice(this.listings.indexOf(listing), 1));
    return listing;
  }

  /** Looks up the keys written since the listing (or since its last refresh). */
  private async refresh(listing: Listing, objects: Map<string, ObjectInfo>): Promise<void> {
    while (listing.refreshing || listing.dirty.size > 0) {
      if (listing.refreshing) {
        await listing.refreshing;
        continue;
      }
      const keys = [...listing.dirty];
      listing.dirty.clear();
      listing.refreshing = this.lookUp(listing.prefix, keys, objects)
        .catch((err: unknown) => {
          for (const k of keys) listing.dirty.add(k);
          throw err;
        })
        .finally(() => {
          listing.refreshing = undefined;
        });
      await listing.refreshing;
    }
  }

  /** The keys' current state into `objects`: a HEAD each, or one listing again when they are many. */
  private async lookUp(prefix: string, keys: string[], objects: Map<string, ObjectInfo>): Promise<void> {
    if (keys.length > Math.max(RELIST_MIN, objects.size / 4)) {
      const fresh = await this.inner.list(prefix);
      objects.clear();
      for (const o of fresh) objects.set(o.key, o);
      return;
    }
    const limit = pLimit(REFRESH_CONCURRENCY);
    await Promise.all(
      keys.map((key) =>
        limit(async () => {
          const info = await this.inner.head(key);
          if (info) objects.set(key, info);
          else objects.delete(key);
        }),
      ),
    );
  }

  /** Marks `keys` for a fresh look in every cached listing that covers them. */
  private touched(...keys: string[]): void {
    for (const l of this.listings) for (const k of keys) if (k.startsWith(l.prefix)) l.dirty.add(k);
  }

  private async writing<T>(fn: () => Promise<T>, ...keys: string[]): Promise<T> {
    try {
      return await fn();
    } finally {
      // also after a failure: a write may have happened in part (a move copied, not deleted)
      this.touched(...keys);
    }
  }

  put(key: string, body: Uint8Array | string): Promise<void> {
    return this.writing(() => this.inner.put(key, body), key);
  }
  putStream(key: string, body: Readable): Promise<void> {
    return this.writing(() => this.inner.putStream(key, body), key);
  }
  putFile(key: string, localPath: string, opts?: { move?: boolean }): Promise<void> {
    return this.writing(() => this.inner.putFile(key, localPath, opts), key);
  }
  putIfAbsent(key: string, body: Uint8Array | string): Promise<boolean> {
    return this.writing(() => this.inner.putIfAbsent(key, body), key);
  }
  putIfVersion(key: string, body: Uint8Array | string, version: string): Promise<string | undefined> {
    return this.writing(() => this.inner.putIfVersion(key, body, version), key);
  }
  move(from: string, to: string): Promise<boolean> {
    return this.writing(() => this.inner.move(from, to), from, to);
  }
  moveMany(pairs: readonly MovePair[], opts?: MoveManyOptions): Promise<boolean[]> {
    return this.writing(() => this.inner.moveMany(pairs, opts), ...pairs.flatMap((p) => [p.from, p.to]));
  }
  delete(key: string): Promise<void> {
    return this.writing(() => this.inner.delete(key), key);
  }
  get(key: string): Promise<Uint8Array | undefined> {
    return this.inner.get(key);
  }
  getVersioned(key: string): Promise<{ body: Uint8Array; version: string } | undefined> {
    return this.inner.getVersioned(key);
  }
  getToFile(key: string, localPath: string): Promise<boolean> {
    return this.inner.getToFile(key, localPath);
  }
  head(key: string): Promise<ObjectInfo | undefined> {
    return this.inner.head(key);
  }
}

/** The store with its listings cached for one run (see {@link ListingCacheStore}). */
export function cacheListings(store: ObjectStore): ObjectStore {
  return new ListingCacheStore(store);
}
