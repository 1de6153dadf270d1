import { stat } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import type { MoveManyOptions, MovePair, ObjectInfo, ObjectStore } from './object-store.js';

/** Under a run's staging prefix, `_deleted/<key>` marks a key the run removes when it is promoted. */
const DELETED = '_deleted/';

/**
 * A run's view of the lake: writes to keys under `stagedPrefixes` (Silver, Gold and the
 * transform's state) land under `stagingPrefix` with the same relative key, and reads of those
 * keys see the staged object over the published one. Nothing a reader of the published lake sees
 * changes until the run is promoted, and nothing is copied to build the view: a read of a key the
 * run did not write goes to the published object.
 *
 * One run owns its staging prefix (the run lock), so the index of staged keys is kept in memory,
 * loaded by one listing when the view opens.
 *
 * @example
 * const staged = await StagedStore.open(store, '_staging/run_id=r1/', ['silver/', 'gold/']);
 * await staged.put('silver/x/dt=2024-01-01/data.parquet', bytes); // at _staging/run_id=r1/silver/…
 * await staged.get('silver/x/dt=2024-01-01/data.parquet'); // the staged bytes
 */
export class StagedStore implements ObjectStore {
  readonly root: string;
  readonly listCost: 'pages' | 'walk';
  private readonly staged = new Map<string, ObjectInfo>();
  private readonly deleted = new Set<string>();

  private constructor(
    readonly base: ObjectStore,
    readonly stagingPrefix: string,
    private readonly stagedPrefixes: readonly string[],
  ) {
    this.root = base.root;
    this.listCost = base.listCost;
  }

  /** Opens the view, picking up what is already staged under the prefix (a standalone step). */
  static async open(
    base: ObjectStore,
    stagingPrefix: string,
    stagedPrefixes: readonly string[],
  ): Promise<StagedStore> {
    const view = new StagedStore(base, stagingPrefix, stagedPrefixes);
    for (const o of await base.list(stagingPrefix)) {
      const rel = o.key.slice(stagingPrefix.length);
      if (rel.startsWith(DELETED)) view.deleted.add(rel.slice(DELETED.length));
      else view.staged.set(rel, { ...o, key: rel });
    }
    return view;
  }

  /** Whether a key is redirected to staging. */
  isStagedArea(key: string): boolean {
    return this.stagedPrefixes.some((p) => key.startsWith(p));
  }

  /** The key where the current version of `key` is stored (staged or published). */
  physicalKey(key: string): string {
    return this.staged.has(key) ? this.stagingPrefix + key : key;
  }

  /** What this run staged: objects (published key -> staged key) and removals. */
  changes(): { moves: { from: string; to: string }[]; deletes: string[] } {
    return {
      moves: [...this.staged.keys()].sort().map((k) => ({ from: this.stagingPrefix + k, to: k })),
      deletes: [...this.deleted].sort(),
    };
  }

  private async wrote(key: string, size: number): Promise<void> {
    this.staged.set(key, { key, size, modifiedMs: Date.now() });
    if (this.deleted.delete(key)) await this.base.delete(this.stagingPrefix + DELETED + key);
  }

  async put(key: string, body: Uint8Array | string): Promise<void> {
    if (!this.isStagedArea(key)) return this.base.put(key, body);
    await this.base.put(this.stagingPrefix + key, body);
    await this.wrote(key, typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength);
  }

  async putStream(key: string, body: Readable): Promise<void> {
    if (!this.isStagedArea(key)) return this.base.putStream(key, body);
    await this.base.putStream(this.stagingPrefix + key, body);
    await this.wrote(key, (await this.base.head(this.stagingPrefix + key))?.size ?? 0);
  }

  async putFile(key: string, localPath: string, opts?: { move?: boolean }): Promise<void> {
    if (!this.isStagedArea(key)) return this.base.putFile(key, localPath, opts);
    const size = (await stat(localPath)).size;
    await this.base.putFile(this.stagingPrefix + key, localPath, opts);
    await this.wrote(key, size);
  }

  async putIfAbsent(key: string, body: Uint8Array | string): Promise<boolean> {
    if (this.isStagedArea(key)) throw new Error(`putIfAbsent is not supported on staged key ${key}`);
    return this.base.putIfAbsent(key, body);
  }

  /** Versioned access (the run lock) is for unstaged keys only. */
  async getVersioned(key: string): Promise<{ body: Uint8Array; version: string } | undefined> {
    if (this.isStagedArea(key)) throw new Error(`getVersioned is not supported on staged key ${key}`);
    return this.base.getVersioned(key);
  }

  async putIfVersion(key: string, body: Uint8Array | string, version: string): Promise<string | undefined> {
    if (this.isStagedArea(key)) throw new Error(`putIfVersion is not supported on staged key ${key}`);
    return this.base.putIfVersion(key, body, version);
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    if (this.isStagedArea(key) && this.deleted.has(key)) return undefined;
    return this.base.get(this.physicalKey(key));
  }

  async getToFile(key: string, localPath: string): Promise<boolean> {
    if (this.isStagedArea(key) && this.deleted.has(key)) return false;
    return this.base.getToFile(this.physicalKey(key), localPath);
  }

  async head(key: string): Promise<ObjectInfo | undefined> {
    if (this.isStagedArea(key) && this.deleted.has(key)) return undefined;
    const info = await this.base.head(this.physicalKey(key));
    return info ? { ...info, key } : undefined;
  }

  async list(prefix: string): Promise<ObjectInfo[]> {
    const byKey = new Map<string, ObjectInfo>();
    for (const o of await this.base.list(prefix)) if (!this.deleted.has(o.key)) byKey.set(o.key, o);
    for (const [k, o] of this.staged) if (k.startsWith(prefix)) byKey.set(k, o);
    return [...byKey.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  async move(from: string, to: string): Promise<boolean> {
    if (this.isStagedArea(from) || this.isStagedArea(to))
      throw new Error(`move is not supported on staged keys (${from} -> ${to})`);
    return this.base.move(from, to);
  }

  moveMany(pairs: readonly MovePair[], opts?: MoveManyOptions): Promise<boolean[]> {
    const staged = pairs.find((p) => this.isStagedArea(p.from) || this.isStagedArea(p.to));
    if (staged) throw new Error(`move is not supported on staged keys (${staged.from} -> ${staged.to})`);
    return this.base.moveMany(pairs, opts);
  }

  /** Staged keys: drop the staged object and mark the published one for removal at promote. */
  async delete(key: string): Promise<void> {
    if (!this.isStagedArea(key)) return this.base.delete(key);
    if (this.staged.delete(key)) await this.base.delete(this.stagingPrefix + key);
    await this.base.put(this.stagingPrefix + DELETED + key, '');
    this.deleted.add(key);
  }
}
