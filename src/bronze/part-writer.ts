import { once } from 'node:events';
import { createWriteStream, type WriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { layout } from '../storage/layout.js';
import type { ObjectStore } from '../storage/object-store.js';
import type { ParentRef } from './envelope.js';
import { type ParentRun, renderPartIds } from './part-ids.js';

/** Default size at which a Bronze part is closed and the next one started. */
export const DEFAULT_MAX_PART_BYTES = 64 * 1024 * 1024;

export interface PartWriterOptions {
  readonly store: ObjectStore;
  readonly entity: string;
  readonly dt: string;
  readonly runId: string;
  /** A local directory for the parts being written (removed by the owner). */
  readonly tmpDir: string;
  /** Roll over to a new part once a part holds this many bytes. */
  readonly maxPartBytes?: number;
  /** Hands out part numbers unique per (entity, dt, run); shared by every writer of that key. */
  readonly nextPartNumber: () => number;
}

interface OpenPart {
  readonly path: string;
  readonly stream: WriteStream;
  bytes: number;
  records: number;
  /** The records' ids in line order; undefined once a write came without them. */
  ids: string[] | undefined;
  /** Of a fetched child page's records: the parent of each run of them (`part-ids.ts`). */
  parents: ParentRun[];
}

let tmpSeq = 0;

/**
 * Writes Bronze JSONL for one (entity, dt) of one run: lines go to a local temp file, and each
 * part is uploaded whole (`putFile`, atomic) when it reaches the size bound or the writer closes,
 * under a key that does not exist yet, so Bronze is never overwritten. A part is durable once
 * `close` (or the rollover that closed it) resolves.
 *
 * @example
 * const w = new PartWriter({ store, entity: 'charges', dt: '2024-01-01', runId, tmpDir, nextPartNumber });
 * await w.write(lines, 100);
 * const keys = await w.close(); // ['bronze/source=stripe/entity=charges/dt=2024-01-01/run_id=…/part-00000.jsonl']
 */
export class PartWriter {
  private current: OpenPart | undefined;
  private readonly maxBytes: number;
  private readonly uploaded: string[] = [];
  private readonly pending = new Set<Promise<void>>();
  private closed = false;

  constructor(private readonly opts: PartWriterOptions) {
    this.maxBytes = opts.maxPartBytes ?? DEFAULT_MAX_PART_BYTES;
  }

  /** Keys of the parts uploaded so far. */
  get keys(): readonly string[] {
    return this.uploaded;
  }

  /**
   * Appends complete JSONL lines (`records` of them); waits when the disk lags behind. With the
   * records' `ids` (one each, in order), the part gets its id sidecar (`part-ids.ts`), which names
   * the `parent` of fetched child records.
   */
  async write(
    lines: string | Uint8Array,
    records: number,
    ids?: readonly string[],
    parent?: ParentRef,
  ): Promise<void> {
    if (this.closed) throw new Error(`part writer ${this.opts.entity}/${this.opts.dt} is closed`);
    if (lines.length === 0) return;
    const part = this.current ?? this.open();
    const ok = part.stream.write(lines);
    part.bytes += typeof lines === 'string' ? Buffer.byteLength(lines) : lines.length;
    part.records += records;
    if (ids && ids.length === records && part.ids) {
      if (parent) part.parents.push({ at: part.ids.length, parent });
      part.ids.push(...ids);
    } else part.ids = undefined;
    if (part.bytes >= this.maxBytes) {
      this.current = undefined;
      await this.track(this.finish(part));
    } else if (!ok) {
      await once(part.stream, 'drain');
    }
  }

  /** Uploads what is left; resolves when every part of this writer is durable. */
  async close(): Promise<string[]> {
    this.closed = true;
    const part = this.current;
    this.current = undefined;
    if (part) await this.track(this.finish(part));
    await Promise.all(this.pending);
    return [...this.uploaded];
  }

  /** Drops the local file of an unfinished part without uploading (after a failure elsewhere). */
  async discard(): Promise<void> {
    this.closed = true;
    const part = this.current;
    this.current = undefined;
    await Promise.allSettled(this.pending);
    if (part) {
      // Wait for the stream to close: destroyed while still opening, it would create the file
      // after the rm below.
      if (!part.stream.closed) {
        await new Promise<void>((resolve) => {
          part.stream.once('close', () => resolve());
          part.stream.destroy();
        });
      }
      await rm(part.path, { force: true });
    }
  }

  private open(): OpenPart {
    const path = join(this.opts.tmpDir, `${process.pid}-${++tmpSeq}.jsonl`);
    const stream = createWriteStream(path, { highWaterMark: 1 << 20 });
    // Errors surface through `finish`; keep them from crashing the process meanwhile.
    stream.on('error', () => {});
    this.current = { path, stream, bytes: 0, records: 0, ids: [], parents: [] };
    return this.current;
  }

  private track(p: Promise<void>): Promise<void> {
    this.pending.add(p);
    return p.finally(() => this.pending.delete(p));
  }

  private async finish(part: OpenPart): Promise<void> {
    try {
      await new Promise<void>((resolve, reject) => {
        part.stream.once('error', reject);
        part.stream.end(() => resolve());
      });
      for (;;) {
        const key = layout.bronzePart(
          this.opts.entity,
          this.opts.dt,
          this.opts.runId,
          this.opts.nextPartNumber(),
        );
        // A reused run id must not overwrite an earlier part: skip numbers already taken.
        if (await this.opts.store.head(key)) continue;
        await this.opts.store.putFile(key, part.path, { move: true });
        // after the part: a sidecar never describes a part that is not there
        if (part.ids)
          await this.opts.store.put(layout.bronzeIds(key), renderPartIds(part.bytes, part.ids, part.parents));
        this.uploaded.push(key);
        break;
      }
    } finally {
      await rm(part.path, { force: true });
    }
  }
}
