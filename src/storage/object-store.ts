import type { Readable } from 'node:stream';
import pLimit from 'p-limit';

/** Metadata of one stored object. */
export interface ObjectInfo {
  readonly key: string;
  readonly size: number;
  /** Last modification time, milliseconds since the epoch. */
  readonly modifiedMs: number;
  /** The S3 ETag (without quotes); the local store has none (its mtime changes on every write). */
  readonly etag?: string;
}

/**
 * Where every key of the lake lives: the local filesystem or S3, with identical keys.
 * Keys are `/`-separated, relative, never starting with `/`.
 *
 * @example
 * const store = createObjectStore(settings);
 * await store.put('silver/x/data.parquet', bytes);
 * const created = await store.putIfAbsent('_state/lock.json', body); // false if it existed
 */
export interface ObjectStore {
  /** A human-readable root (`/data/lake` or `s3://bucket/prefix`) for logs and summaries. */
  readonly root: string;
  /**
   * Set when every object is a plain file at `<localRoot>/<key>` (the local store), so readers
   * such as DuckDB may read them in place instead of downloading a copy.
   */
  readonly localRoot?: string;
  /**
   * What a listing costs. `pages` (S3): a request per 1,000 keys whatever the prefix, so one
   * listing of a table's whole prefix beats one per day. `walk` (local): every folder under the
   * prefix is read, so narrow prefixes are cheaper.
   */
  readonly listCost: 'pages' | 'walk';
  /** Atomic write: readers see the whole new object or the old one, never a part. */
  put(key: string, body: Uint8Array | string): Promise<void>;
  /** Atomic streaming write of a possibly large object (multipart upload on S3). */
  putStream(key: string, body: Readable): Promise<void>;
  /**
   * Atomic upload of a local file (staged Parquet, Bronze parts). With `move`, the store may take
   * the file itself (a rename on the local store, no copy): the caller must not use it afterwards.
   */
  putFile(key: string, localPath: string, opts?: { move?: boolean }): Promise<void>;
  /** Create only if absent; exactly one of N concurrent callers gets `true`. */
  putIfAbsent(key: string, body: Uint8Array | string): Promise<boolean>;
  /** The object's bytes, or `undefined` if it does not exist. */
  get(key: string): Promise<Uint8Array | undefined>;
  /**
   * The object's bytes and its version (the ETag on S3; changes with every write), or `undefined`.
   * With {@link ObjectStore.putIfVersion}, a compare-and-swap (the run lock's renewal).
   */
  getVersioned(key: string): Promise<{ body: Uint8Array; version: string } | undefined>;
  /**
   * Replaces the object only if its version is still `version` (`If-Match` on S3): the new
   * version, or `undefined` when it changed or is gone. Of N racing callers with one version, at
   * most one wins.
   */
  putIfVersion(key: string, body: Uint8Array | string, version: string): Promise<string | undefined>;
  /** Download an object to a local file; false if it does not exist. */
  getToFile(key: string, localPath: string): Promise<boolean>;
  /** Every object whose key starts with `prefix`, sorted by key. Never lists temp files. */
  list(prefix: string): Promise<ObjectInfo[]>;
  /** Metadata of one object, or `undefined`. */
  head(key: string): Promise<ObjectInfo | undefined>;
  /**
   * Moves an object to another key; readers of `to` see the old object or the whole new one
   * (a rename locally; on S3 a server-side copy, then the source is deleted). False, and nothing
   * done, when `from` does not exist.
   */
  move(from: string, to: string): Promise<boolean>;
  /**
   * `move` for many pairs, `concurrency` at a time (default 8), `onMoved` after each (a throw stops
   * the pairs not yet started): the same end state, and on S3 the sources go a thousand a request
   * after their copies instead of a request each. Whether each pair's source existed.
   */
  moveMany(pairs: readonly MovePair[], opts?: MoveManyOptions): Promise<boolean[]>;
  /** Remove an object; removing a missing key is not an error. */
  delete(key: string): Promise<void>;
}

/** One move of {@link ObjectStore.moveMany}. */
export interface MovePair {
  readonly from: string;
  readonly to: string;
}

/** Options of {@link ObjectStore.moveMany}. */
export interface MoveManyOptions {
  readonly concurrency?: number;
  /** Called after each pair is moved (on S3: copied; its source goes with the others at the end). */
  readonly onMoved?: () => void;
}

/**
 * Runs `one` for each pair, `concurrency` at a time, `onMoved` after each; after a throw (of `one`
 * or `onMoved`) the pairs not yet started are not, and the first error is thrown.
 */
export async function forEachMove(
  pairs: readonly MovePair[],
  opts: MoveManyOptions | undefined,
  one: (pair: MovePair) => Promise<boolean>,
): Promise<boolean[]> {
  const limit = pLimit(opts?.concurrency ?? 8);
  let failed = false;
  return Promise.all(
    pairs.map((pair) =>
      limit(async () => {
        if (failed) return false;
        try {
          const moved = await one(pair);
          opts?.onMoved?.();
          return moved;
        } catch (err) {
          failed = true;
          throw err;
        }
      }),
    ),
  );
}

/** Throws when a key could escape the store's root or is otherwise malformed. */
export function assertValidKey(key: string): void {
  if (
    key.length === 0 ||
    key.startsWith('/') ||
    key.endsWith('/') ||
    key.includes('\\') ||
    key.split('/').some((part) => part === '' || part === '.' || part === '..')
  ) {
    throw new Error(`invalid object key "${key}"`);
  }
}

/** `a//b/` -> `a/b`: the prefix without empty segments. */
export function normalizePrefix(prefix: string): string {
  return prefix
    .split('/')
    .filter((p) => p !== '')
    .join('/');
}
