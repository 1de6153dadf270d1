import { existsSync } from 'node:fs';
import { join } from 'node:path';
import pLimit from 'p-limit';
import type { ObjectStore } from '../storage/object-store.js';
import { StagedStore } from '../storage/staged-store.js';

/**
 * Makes objects readable by DuckDB as local files. DuckDB cannot reach S3 here, so keys are
 * downloaded into a work directory; for the local store the files already are local and are read
 * in place (a copy of gigabytes of Bronze would double the transform's cost).
 * Every local path is `<base>/<key>`, so a path maps back to its key by stripping `base`.
 */
export interface Stager {
  readonly base: string;
  localPath(key: string): string;
  /** Ensures every key is readable at `localPath(key)`. */
  stage(keys: readonly string[]): Promise<void>;
}

class InPlaceStager implements Stager {
  constructor(readonly base: string) {}
  localPath(key: string): string {
    return join(this.base, ...key.split('/'));
  }
  async stage(): Promise<void> {}
}

class DownloadStager implements Stager {
  /** Each key's download, once: callers staging at once (quality checks side by side) share it. */
  private readonly staged = new Map<string, Promise<void>>();
  constructor(
    private readonly store: ObjectStore,
    readonly base: string,
  ) {}
  localPath(key: string): string {
    return join(this.base, ...key.split('/'));
  }
  async stage(keys: readonly string[]): Promise<void> {
    const limit = pLimit(16);
    await Promise.all(
      keys.map((k) => {
        let p = this.staged.get(k);
        if (!p) {
          p = limit(async () => {
            const path = this.localPath(k);
            // Bronze and Silver objects are immutable per key within one run.
            if (!existsSync(path) && !(await this.store.getToFile(k, path))) {
              throw new Error(`object ${k} disappeared while staging`);
            }
          });
          // a failed download is tried again by the next caller
          p.catch(() => this.staged.delete(k));
          this.staged.set(k, p);
        }
        return p;
      }),
    );
  }
}

/**
 * A run's staged view: each key is read where its current version is (the run's staging prefix
 * or the published key), through the stager of the store underneath. A key rewritten during the
 * run gets a new local path, so an earlier download of the published version is never reused.
 */
class OverlayStager implements Stager {
  constructor(
    private readonly view: StagedStore,
    private readonly inner: Stager,
  ) {}
  get base(): string {
    return this.inner.base;
  }
  localPath(key: string): string {
    return this.inner.localPath(this.view.physicalKey(key));
  }
  async stage(keys: readonly string[]): Promise<void> {
    await this.inner.stage(keys.map((k) => this.view.physicalKey(k)));
  }
}

/** The stager for a store: in place for the local store, downloads into `dir` otherwise. */
export function createStager(store: ObjectStore, dir: string): Stager {
  if (store instanceof StagedStore) return new OverlayStager(store, createStager(store.base, dir));
  // by its local root, not its class: the pipeline's store is wrapped (fenced by the run lock)
  return store.localRoot !== undefined ? new InPlaceStager(store.localRoot) : new DownloadStager(store, dir);
}
