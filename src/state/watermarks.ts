import { layout } from '../storage/layout.js';
import type { ObjectStore } from '../storage/object-store.js';

/** `_state/watermarks/<entity>.json` (SPEC section 10). Times are Unix seconds on the source's clock. */
export interface Watermark {
  readonly entity: string;
  /** The largest `created` extracted (everything created before it is in durable Bronze). */
  readonly created_watermark: number;
  /** The largest event `created` read (or the source's clock when the first load began). */
  readonly events_watermark: number;
  /**
   * Entities whose objects change without events and that say which states are final
   * (`EntityDef.unsettledStatuses`): the oldest `created` among the objects the last whole listing
   * saw still unsettled (its window's end when none). Every object created before it was final
   * then, so the next window's lookback reaches back to it and no further. Absent: the whole
   * lookback.
   */
  readonly unsettled_from?: number;
  /** The run that last moved it. */
  readonly run_id: string;
  /** ISO 8601 UTC, the pipeline's clock. */
  readonly updated_at: string;
}

/** A watermark file that exists but cannot be used. */
export class WatermarkError extends Error {
  override readonly name = 'WatermarkError';
  constructor(
    readonly key: string,
    detail: string,
  ) {
    super(`watermark ${key} is unreadable: ${detail}; fix or delete it (deleting re-extracts the entity)`);
  }
}

/** What a watermark field accepts: whole Unix seconds (the reader and the writer share it). */
export function isWatermarkTime(x: unknown): x is number {
  return typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;
}

/** Parses and validates a watermark file's text; throws `WatermarkError` naming the key. */
export function parseWatermark(key: string, entity: string, text: string): Watermark {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (err) {
    throw new WatermarkError(key, `not JSON (${(err as Error).message})`);
  }
  const w = v as Partial<Watermark>;
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    throw new WatermarkError(key, 'not a JSON object');
  if (w.entity !== entity)
    throw new WatermarkError(key, `"entity" is ${JSON.stringify(w.entity)}, expected "${entity}"`);
  if (!isWatermarkTime(w.created_watermark))
    throw new WatermarkError(key, '"created_watermark" is not a Unix time');
  if (!isWatermarkTime(w.events_watermark))
    throw new WatermarkError(key, '"events_watermark" is not a Unix time');
  if (w.unsettled_from !== undefined && !isWatermarkTime(w.unsettled_from))
    throw new WatermarkError(key, '"unsettled_from" is not a Unix time');
  return {
    entity,
    created_watermark: w.created_watermark as number,
    events_watermark: w.events_watermark as number,
    ...(w.unsettled_from !== undefined ? { unsettled_from: w.unsettled_from } : {}),
    run_id: typeof w.run_id === 'string' ? w.run_id : '',
    updated_at: typeof w.updated_at === 'string' ? w.updated_at : '',
  };
}

/** The entity's watermark, or undefined before its first load. */
export async function readWatermark(store: ObjectStore, entity: string): Promise<Watermark | undefined> {
  const key = layout.watermark(entity);
  const bytes = await store.get(key);
  if (!bytes) return undefined;
  return parseWatermark(key, entity, Buffer.from(bytes).toString('utf8'));
}

/** A position a durable part of a run proposes (see `Watermark` for each field). */
export interface WatermarkPosition {
  readonly created: number;
  readonly events: number;
  /** What a whole listing saw of the unsettled objects (`Watermark.unsettled_from`). */
  readonly unsettled?: number;
}

/**
 * Merges a proposed position into the current watermark, only ever forwards: the created and
 * events points are the larger of old and new. `unsettled_from` is what the latest whole listing
 * saw (kept when the position has none): that listing covered every object from the previous
 * one on. Undefined when nothing would change (no write needed).
 */
export function mergeForward(
  entity: string,
  current: Watermark | undefined,
  next: WatermarkPosition,
  runId: string,
  now: Date,
): Watermark | undefined {
  const created = Math.max(current?.created_watermark ?? 0, next.created);
  const events = Math.max(current?.events_watermark ?? 0, next.events);
  const unsettled = next.unsettled ?? current?.unsettled_from;
  if (
    current &&
    created === current.created_watermark &&
    events === current.events_watermark &&
    unsettled === current.unsettled_from
  )
    return undefined;
  return {
    entity,
    created_watermark: created,
    events_watermark: events,
    ...(unsettled !== undefined ? { unsettled_from: unsettled } : {}),
    run_id: runId,
    updated_at: now.toISOString(),
  };
}

/**
 * Moves an entity's watermark forward (never backwards). Call only once the Bronze holding every
 * record up to `next` is durable. Returns the watermark in force afterwards.
 */
export async function advanceWatermark(
  store: ObjectStore,
  entity: string,
  next: WatermarkPosition,
  runId: string,
  now: Date = new Date(),
): Promise<Watermark> {
  // Never write what `parseWatermark` would refuse: one bad value would fail every later run.
  for (const [field, value] of Object.entries(next)) {
    if (value !== undefined && !isWatermarkTime(value)) {
      throw new WatermarkError(
        layout.watermark(entity),
        `refusing to write ${field} ${value}, not whole Unix seconds`,
      );
    }
  }
  const current = await readWatermark(store, entity);
  const merged = mergeForward(entity, current, next, runId, now);
  if (!merged) return current as Watermark;
  await store.put(layout.watermark(entity), `${JSON.stringify(merged, null, 2)}\n`);
  return merged;
}
