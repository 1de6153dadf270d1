import { copyFile, link, mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import type { MoveManyOptions, MovePair, ObjectInfo, ObjectStore } from './object-store.js';

/** Why a hard link can fail where a copy works (another filesystem, no links allowed). */
const NO_LINK = new Set(['EXDEV', 'EPERM', 'ENOTSUP', 'EMLINK']);

/** `to` as a new name of `from`'s bytes: a hard link, else a copy; replaces `to` atomically. */
async function linkOrCopy(from: string, to: string, tmpSuffix: string): Promise<void> {
  const tmp = `${to}.${tmpSuffix}.part`;
  try {
    await link(from, tmp);
  } catch (err) {
    if (!NO_LINK.has((err as NodeJS.ErrnoException).code ?? '')) throw err;
    await copyFile(from, tmp);
  }
  try {
    await rename(tmp, to);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

/**
 * A remote store (S3) that keeps a local copy of what this process writes or downloads, and
 * serves `getToFile` of those keys from it. DuckDB reads only local files here, so a run
 * downloads what it reads: without this, the Bronze it just extracted, the Silver and Gold
 * partitions it just staged and the id sidecars it just wrote were each downloaded again, and the
 * published partitions once per step that read them (the transform's and quality's stagers each
 * downloaded all of Silver). Kept: files uploaded with `move` (the caller gives the file up: a
 * hard link, no copy), small `put` bodies, and downloads (a link to the downloaded file). A key
 * written any other way, moved over or deleted through this store drops its copy; a move carries
 * the copy to the new key.
 *
 * For one pipeline run only, like the listing cache: the run holds the lake's lock, so no other
 * process rewrites these keys meanwhile (webhook parts have keys of their own).
 *
 * @example
 * const store = keepLocalCopies(fenceStore(s3Store, lock), await makeScratchDir('copies'));
 * await store.putFile('silver/x/data.parquet', '/tmp/out.parquet', { move: true });
 * await store.getToFile('silver/x/data.parquet', '/tmp/stage/x.parquet'); // a link, no GET
 */
export class LocalCopyStore implements ObjectStore {
  /** Key -> the local file holding its bytes. */
  private readonly copies = new Map<string, string>();
  /** Key -> writes through this store: a download that overlapped one is not kept. */
  private readonly writes = new Map<string, number>();
  private seq = 0;
  /** Downloads answered from a local copy, for the run's debug log and the tests. */
  served = 0;

  constructor(
    private readonly inner: ObjectStore,
    private readonly dir: string,
  ) {}

  get root(): string {
    return this.inner.root;
  }

  get listCost(): 'pages' | 'walk' {
    return this.inner.listCost;
  }

  private dirMade: Promise<unknown> | undefined;

  /** Counts a write of `key` and forgets its copy (before a write that replaces it). */
  private drop(key: string): void {
    this.writes.set(key, (this.writes.get(key) ?? 0) + 1);
    const path = this.copies.get(key);
    if (path === undefined) return;
    this.copies.delete(key);
    // best effort: the directory goes with the run's scratch space anyway
    void rm(path, { force: true }).catch(() => {});
  }

  /** A fresh path for a copy, in the copies' directory (made once). */
  private async newPath(): Promise<string> {
    this.dirMade ??= mkdir(this.dir, { recursive: true });
    await this.dirMade;
    return join(this.dir, `${++this.seq}`);
  }

  /**
   * Keeps the copy at `path` for `key` unless a write through this store happened since `writes`
   * was read (its bytes may then be stale): the one rule for every copy kept.
   */
  private async settle(key: string, writes: number, path: string): Promise<void> {
    if ((this.writes.get(key) ?? 0) === writes && !this.copies.has(key)) this.copies.set(key, path);
    else await rm(path, { force: true });
  }

  private async replacing<T>(key: string, write: () => Promise<T>): Promise<T> {
    this.drop(key);
    return write();
  }

  async put(key: string, body: Uint8Array | string): Promise<void> {
    this.drop(key);
    const writes = this.writes.get(key) ?? 0;
    await this.inner.put(key, body);
    const path = await this.newPath();
    await writeFile(path, body);
    await this.settle(key, writes, path);
  }

  putStream(key: string, body: Readable): Promise<void> {
    return this.replacing(key, () => this.inner.putStream(key, body));
  }

  async putFile(key: string, localPath: string, opts?: { move?: boolean }): Promise<void> {
    this.drop(key);
    // Only a file given up: one the caller keeps may be rewritten in place (a link would follow).
    if (!opts?.move) return this.inner.putFile(key, localPath, opts);
    const writes = this.writes.get(key) ?? 0;
    // linked first: with `move` the store underneath may take the file
    const path = await this.newPath();
    await linkOrCopy(localPath, path, 'copy');
    try {
      await this.inner.putFile(key, localPath, opts);
    } catch (err) {
      await rm(path, { force: true });
      throw err;
    }
    await this.settle(key, writes, path);
  }

  putIfAbsent(key: string, body: Uint8Array | string): Promise<boolean> {
    return this.replacing(key, () => this.inner.putIfAbsent(key, body));
  }

  putIfVersion(key: string, body: Uint8Array | string, version: string): Promise<string | undefined> {
    return this.replacing(key, () => this.inner.putIfVersion(key, body, version));
  }

  async move(from: string, to: string): Promise<boolean> {
    return (await this.moveMany([{ from, to }]))[0]!;
  }

  async moveMany(pairs: readonly MovePair[], opts?: MoveManyOptions): Promise<boolean[]> {
    const paths = pairs.map(({ from, to }) => {
      const path = this.copies.get(from);
      // the copy leaves `from` with the object (drop would remove its file)
      this.copies.delete(from);
      this.drop(from);
      this.drop(to);
      return path;
    });
    const settle = (moved: readonly boolean[]) =>
      pairs.forEach(({ to }, i) => {
        const path = paths[i];
        if (path === undefined) return;
        if (moved[i]) this.copies.set(to, path);
        else void rm(path, { force: true }).catch(() => {});
      });
    try {
      const moved = await this.inner.moveMany(pairs, opts);
      settle(moved);
      return moved;
    } catch (err) {
      // which pairs moved is unknown: none keeps its copy
      settle(pairs.map(() => false));
      throw err;
    }
  }

  delete(key: string): Promise<void> {
    return this.replacing(key, () => this.inner.delete(key));
  }

  async getToFile(key: string, localPath: string): Promise<boolean> {
    const path = this.copies.get(key);
    if (path === undefined) {
      const writes = this.writes.get(key) ?? 0;
      if (!(await this.inner.getToFile(key, localPath))) return false;
      // the bytes just downloaded, unless a write through this store overlapped the download
      const copy = await this.newPath();
      await linkOrCopy(localPath, copy, 'copy');
      await this.settle(key, writes, copy);
      return true;
    }
    await mkdir(dirname(localPath), { recursive: true });
    await linkOrCopy(path, localPath, `${process.pid}-${++this.seq}`);
    this.served++;
    return true;
  }

  get(key: string): Promise<Uint8Array | undefined> {
    return this.inner.get(key);
  }
  getVersioned(key: string): Promise<{ body: Uint8Array; version: string } | undefined> {
    return this.inner.getVersioned(key);
  }
  list(prefix: string): Promise<ObjectInfo[]> {
    return this.inner.list(prefix);
  }
  head(key: string): Promise<ObjectInfo | undefined> {
    return this.inner.head(key);
  }
}

/** `store` keeping local copies of its writes in `dir` (see {@link LocalCopyStore}). */
export function keepLocalCopies(store: ObjectStore, dir: string): LocalCopyStore {
  return new LocalCopyStore(store, dir);
}
