import { existsSync } from 'node:fs';
import { join } from 'node:path';
import pLimit from 'p-limit';
import { LocalObjectStore } from '../storage/local-store.js';
import type { ObjectStore } from '../storage/object-store.js';

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
  private readonly done = new Set<string>();
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
      keys
        .filter((k) => !this.done.has(k))
        .map((k) =>
          limit(async () => {
            const path = this.localPath(k);
            // Bronze and Silver objects are immutable per key within one run.
            if (!existsSync(path) && !(await this.store.getToFile(k, path))) {
              throw new Error(`object ${k} disappeared while staging`);
            }
            this.done.add(k);
          }),
        ),
    );
  }
}

/** The stager for a store: in place for the local store, downloads into `dir` otherwise. */
export function createStager(store: ObjectStore, dir: string): Stager {
  return store instanceof LocalObjectStore ? new InPlaceStager(store.root) : new DownloadStager(store, dir);
}
