import { isUtf8 } from 'node:buffer';
import { layout } from '../storage/layout.js';
import type { ObjectStore } from '../storage/object-store.js';

/** One line of a quarantine part: the record as received and why it was set aside. */
export interface QuarantineLine {
  readonly entity: string;
  readonly run_id: string;
  readonly quarantined_at: string;
  /** Where it came from: `api` (a list or retrieve), `events` (the events pass). */
  readonly source: string;
  /** The request path that returned it. */
  readonly path: string;
  readonly reason: string;
  /** The record's bytes: as text when they are UTF-8, else base64 (`raw_encoding`). */
  readonly raw: string;
  readonly raw_encoding: 'utf8' | 'base64';
}

/**
 * Unreadable records of one run, kept under
 * `_quarantine/source=stripe/entity=<entity>/run_id=<run_id>/part-NNNNN.jsonl` (SPEC 3.1, 15):
 * never in Bronze (where they would fail every later transform), never silently dropped. They
 * are few, so they wait in memory; `flushEntity` makes an entity's lines durable and must run
 * before that entity's watermark moves past them.
 *
 * @example
 * const q = new QuarantineSink(store, runId);
 * q.add({ entity: 'customers', source: 'api', path: '/v1/customers', reason: 'created …', raw });
 * await q.flushEntity('customers');
 */
export class QuarantineSink {
  private readonly pending = new Map<string, string[]>();
  private readonly parts = new Map<string, number>();
  private readonly counts = new Map<string, number>();
  private readonly keys: string[] = [];

  /**
   * `firstPart`: the first part number of each entity; a second sink of the same run (the
   * references pass) starts where the first never reaches, so neither overwrites the other.
   */
  constructor(
    private readonly store: ObjectStore,
    private readonly runId: string,
    private readonly onAdd?: (line: Omit<QuarantineLine, 'raw'>) => void,
    private readonly firstPart = 0,
  ) {}

  add(r: { entity: string; source: string; path: string; reason: string; raw: Uint8Array }): void {
    const utf8 = isUtf8(r.raw);
    const line: QuarantineLine = {
      entity: r.entity,
      run_id: this.runId,
      quarantined_at: new Date().toISOString(),
      source: r.source,
      path: r.path,
      reason: r.reason,
      raw: Buffer.from(r.raw).toString(utf8 ? 'utf8' : 'base64'),
      raw_encoding: utf8 ? 'utf8' : 'base64',
    };
    const { raw: _raw, ...rest } = line;
    this.onAdd?.(rest);
    const list = this.pending.get(r.entity) ?? [];
    list.push(`${JSON.stringify(line)}\n`);
    this.pending.set(r.entity, list);
    this.counts.set(r.entity, (this.counts.get(r.entity) ?? 0) + 1);
  }

  /** Records quarantined so far, per entity. */
  get quarantined(): Record<string, number> {
    return Object.fromEntries(this.counts);
  }

  /** Keys written so far. */
  get writtenKeys(): readonly string[] {
    return this.keys;
  }

  /** Writes `entity`'s waiting lines as one new part (atomic put). */
  async flushEntity(entity: string): Promise<void> {
    const lines = this.pending.get(entity);
    if (!lines || lines.length === 0) return;
    this.pending.delete(entity);
    const part = this.parts.get(entity) ?? this.firstPart;
    this.parts.set(entity, part + 1);
    const key = layout.quarantinePart(entity, this.runId, part);
    try {
      await this.store.put(key, lines.join(''));
      this.keys.push(key);
    } catch (err) {
      // Keep them for the next flush (close): a failed write must not lose them.
      this.pending.set(entity, [...lines, ...(this.pending.get(entity) ?? [])]);
      throw err;
    }
  }

  /** Writes everything still waiting. */
  async close(): Promise<void> {
    for (const entity of [...this.pending.keys()]) await this.flushEntity(entity);
  }
}
