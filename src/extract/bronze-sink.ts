import { rm } from 'node:fs/promises';
import type { ParentRef } from '../bronze/envelope.js';
import { PartWriter } from '../bronze/part-writer.js';
import type { ObjectStore } from '../storage/object-store.js';
import { makeScratchDir } from '../storage/scratch-dir.js';

export interface BronzeSinkOptions {
  readonly store: ObjectStore;
  readonly runId: string;
  /** Parts open at once (local files); the least recently written is closed beyond this. */
  readonly maxOpen?: number;
  readonly maxPartBytes?: number;
  /**
   * First part number of each (entity, dt). A second sink in the same run (the references pass)
   * starts where extraction parts never reach, so the two never race for one key.
   */
  readonly firstPartNumber?: number;
}

/**
 * All Bronze writing of one extraction run: one part writer per (entity, dt), opened on first
 * write, closed (uploaded) when evicted, flushed per entity before its watermark may move.
 * Memory stays bounded whatever the volume: lines go to local files, at most `maxOpen` at once.
 *
 * @example
 * const sink = await BronzeSink.create({ store, runId });
 * await sink.write('charges', '2024-01-01', lines, 100);
 * await sink.flushEntity('charges'); // everything written so far is durable
 * await sink.close();
 */
export class BronzeSink {
  private readonly open = new Map<string, { entity: string; writer: PartWriter }>();
  private readonly closing = new Map<string, Set<Promise<void>>>();
  private readonly partCounters = new Map<string, number>();
  private readonly keys = new Map<string, string[]>();
  private readonly maxOpen: number;

  private constructor(
    private readonly opts: BronzeSinkOptions,
    private readonly tmpDir: string,
  ) {
    // Events route objects to many dates at once; too few open parts would mean many tiny parts.
    this.maxOpen = opts.maxOpen ?? 256;
  }

  static async create(opts: BronzeSinkOptions): Promise<BronzeSink> {
    return new BronzeSink(opts, await makeScratchDir('bronze'));
  }

  /**
   * Appends JSONL lines of `entity` whose objects were created on `dt`, with the records' ids when
   * known (for the part's id sidecar).
   */
  async write(
    entity: string,
    dt: string,
    lines: string | Uint8Array,
    records: number,
    ids?: readonly string[],
    /** The parent version of fetched child records (all of this write's). */
    parent?: ParentRef,
  ): Promise<void> {
    const id = `${entity}/${dt}`;
    let slot = this.open.get(id);
    if (slot) {
      // Re-insert: Map order is the LRU order.
      this.open.delete(id);
      this.open.set(id, slot);
    } else {
      slot = { entity, writer: this.newWriter(entity, dt) };
      this.open.set(id, slot);
      if (this.open.size > this.maxOpen) {
        const [oldId, old] = this.open.entries().next().value as [
          string,
          { entity: string; writer: PartWriter },
        ];
        this.open.delete(oldId);
        this.closeWriter(old.entity, old.writer);
      }
    }
    await slot.writer.write(lines, records, ids, parent);
  }

  /** Closes every open part of `entity` and waits until all its parts so far are durable. */
  async flushEntity(entity: string): Promise<void> {
    for (const [id, slot] of [...this.open]) {
      if (slot.entity !== entity) continue;
      this.open.delete(id);
      this.closeWriter(entity, slot.writer);
    }
    await Promise.all([...(this.closing.get(entity) ?? [])]);
  }

  /** Bronze keys written for `entity` in this run. */
  keysOf(entity: string): string[] {
    return [...(this.keys.get(entity) ?? [])].sort();
  }

  /** Flushes everything (keeping what was written: it is valid Bronze) and removes the temp dir. */
  async close(): Promise<void> {
    try {
      const entities = new Set([...this.open.values()].map((s) => s.entity));
      const results = await Promise.allSettled(
        [...entities, ...this.closing.keys()].map((e) => this.flushEntity(e)),
      );
      const failed = results.find((r) => r.status === 'rejected');
      if (failed) throw (failed as PromiseRejectedResult).reason;
    } finally {
      await rm(this.tmpDir, { recursive: true, force: true });
    }
  }

  private newWriter(entity: string, dt: string): PartWriter {
    const counterKey = `${entity}/${dt}`;
    return new PartWriter({
      store: this.opts.store,
      entity,
      dt,
      runId: this.opts.runId,
      tmpDir: this.tmpDir,
      ...(this.opts.maxPartBytes ? { maxPartBytes: this.opts.maxPartBytes } : {}),
      nextPartNumber: () => {
        const n = this.partCounters.get(counterKey) ?? this.opts.firstPartNumber ?? 0;
        this.partCounters.set(counterKey, n + 1);
        return n;
      },
    });
  }

  private closeWriter(entity: string, writer: PartWriter): void {
    let set = this.closing.get(entity);
    if (!set) {
      set = new Set();
      this.closing.set(entity, set);
    }
    const p: Promise<void> = writer.close().then((keys) => {
      const list = this.keys.get(entity) ?? [];
      list.push(...keys);
      this.keys.set(entity, list);
    });
    set.add(p);
    // Keep a failed close visible to flushEntity; drop it from the set only once it succeeded.
    p.then(
      () => set.delete(p),
      () => {},
    );
  }
}
