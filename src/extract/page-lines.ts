import type { BronzeMeta } from '../bronze/envelope.js';
import { eventToRecords, isStripeEvent, routedObjectMeta, type StripeEvent } from '../bronze/from-event.js';
import { sidecarId } from '../bronze/part-ids.js';
import { isDeleteEvent } from '../entities/lookups.js';
import { eventProblem, scannedEventProblem } from '../quarantine/readable.js';
import { scanEventObject } from '../source/event-scan.js';
import type { RawItem } from '../source/stripe-client.js';
import { utcDate } from '../storage/layout.js';

/** JSONL lines bound for one Bronze partition, as byte chunks (`linesOf` joins them). */
export interface PartitionLines {
  readonly entity: string;
  readonly dt: string;
  readonly chunks: Uint8Array[];
  bytes: number;
  records: number;
  /** Each record's id, in line order; undefined once one was not known exactly (`sidecarId`). */
  ids: string[] | undefined;
}

/** Lines grouped by `entity/dt`. */
export type Batches = Map<string, PartitionLines>;

/** The JSONL bytes of one partition's lines. */
export function linesOf(b: PartitionLines): Buffer {
  return Buffer.concat(b.chunks, b.bytes);
}

function batchOf(batches: Batches, entity: string, dt: string): PartitionLines {
  const id = `${entity}/${dt}`;
  let b = batches.get(id);
  if (!b) {
    b = { entity, dt, chunks: [], bytes: 0, records: 0, ids: [] };
    batches.set(id, b);
  }
  return b;
}

/** Records one more line's id in `b` (an unknown one ends the batch's ids). */
function addId(b: PartitionLines, id: unknown): void {
  const sure = sidecarId(id);
  if (sure === undefined) b.ids = undefined;
  else b.ids?.push(sure);
}

/** Appends the line `{"data":<json><suffix>` (suffix: `,"meta":…}` and a newline) to `b`. */
function pushLine(b: PartitionLines, json: Uint8Array, suffix: Uint8Array, id: unknown): void {
  b.chunks.push(DATA_PREFIX, json, suffix);
  b.bytes += DATA_PREFIX.length + json.length + suffix.length;
  b.records++;
  addId(b, id);
}

const DATA_PREFIX = Buffer.from('{"data":');

/** The Bronze `dt` of an object: the UTC date of its `created`, else of `fallback`. */
export function objectDt(obj: Record<string, unknown>, fallback: number): string {
  return utcDate(typeof obj.created === 'number' ? obj.created : fallback);
}

/**
 * The envelope lines of one API list page, built from each element's bytes as the API sent them
 * (no serialising). Every record of a page shares its meta (same response, same `Date`), so the
 * meta is serialised once; a line equals `toJsonLine({data, meta})` of the parsed object.
 * `maxCreated` counts only objects created before `windowEnd`.
 */
export function apiPageBatches(
  items: readonly RawItem[],
  meta: Omit<BronzeMeta, 'event_id' | 'deleted'>,
  fallbackCreated: number,
  windowEnd = Number.POSITIVE_INFINITY,
): { batches: Batches; maxCreated: number | undefined } {
  const suffix = Buffer.from(`,"meta":${JSON.stringify(meta)}}\n`);
  const batches: Batches = new Map();
  let maxCreated: number | undefined;
  // A page's objects mostly share a date: remember the last one's.
  let day = Number.NaN;
  let batch: PartitionLines | undefined;
  for (const item of items) {
    const created = item.created ?? fallbackCreated;
    // An object outside the window asked for (a source ignoring `created[lt]`, a clock ahead) is
    // kept, but never moves the watermark past the window's end: the next window starting there
    // would skip whatever is created until then (SPEC 15).
    if (
      item.created !== undefined &&
      item.created < windowEnd &&
      (maxCreated === undefined || item.created > maxCreated)
    ) {
      maxCreated = item.created;
    }
    const d = Math.floor(created / 86_400);
    if (d !== day || !batch) {
      day = d;
      batch = batchOf(batches, meta.entity, utcDate(created));
    }
    pushLine(batch, item.json, suffix, item.suspect ? undefined : item.id);
  }
  return { batches, maxCreated };
}

/**
 * The earliest `created` among a page's objects that may still change without an event: those
 * whose top-level `status` is one of `statuses`, or cannot be read (assumed unsettled: a pending
 * object must never be taken for a final one). An object without `created` counts as `fallback`
 * (the window's start). Undefined when every object is final.
 *
 * @example
 * unsettledFrom(items, ['pending'], window.gte); // the oldest pending balance transaction's created
 */
export function unsettledFrom(
  items: readonly Pick<RawItem, 'created' | 'status'>[],
  statuses: readonly string[],
  fallback: number,
): number | undefined {
  let from: number | undefined;
  for (const item of items) {
    if (item.status !== undefined && !statuses.includes(item.status)) continue;
    const created = item.created ?? fallback;
    if (from === undefined || created < from) from = created;
  }
  return from;
}

/**
 * Which event objects an entity takes from the events pass: `all` (an incremental load: every
 * change) or `deletes` (a full load: the list already has every live object's current state, only
 * the tombstones of objects deleted before the listing are missing).
 */
export type EventRouting = 'all' | 'deletes';

/**
 * The Bronze lines of one page of `/v1/events`: the raw event to `entity=events` (dt = the event's
 * date) when `keepEvents`, as the bytes the API sent; its object to its entity's Bronze (dt = the
 * object's date) as that entity's routing in `targets` says, through the shared `eventToRecords`
 * path. An event is parsed only when its object may be routed (every event for an `all` target,
 * only deleting types when every target takes `deletes`), or when the scan did not find its id,
 * type and created; a line equals `toJsonLine` of the parsed records either way.
 */
export function eventPageBatches(
  items: readonly RawItem[],
  ctx: {
    runId: string;
    ingestedAt: string;
    keepEvents: boolean;
    targets: ReadonlyMap<string, EventRouting>;
    /** Events created at or after it do not count in `maxCreated` (default: no end). */
    windowEnd?: number;
    /** The source's clock, for the `created` of a routed event's object. */
    sourceNowSeconds?: number;
  },
): {
  batches: Batches;
  maxCreated: number | undefined;
  routed: Map<string, number>;
  /** Routed events whose object no transform could read: for the quarantine. */
  rejected: { item: RawItem; reason: string }[];
} {
  const batches: Batches = new Map();
  const routedCounts = new Map<string, number>();
  const routings = new Set(ctx.targets.values());
  let maxCreated: number | undefined;
  const rejected: { item: RawItem; reason: string }[] = [];
  const now = ctx.sourceNowSeconds ?? Number.MAX_SAFE_INTEGER;
  const source = { source: 'events' as const, runId: ctx.runId, ingestedAt: ctx.ingestedAt };
  for (const item of items) {
    let ev: StripeEvent | undefined;
    let { id, type, created } = item;
    if (id === undefined || type === undefined || created === undefined) {
      ev = parseEvent(item.json);
      if (!ev) continue;
      ({ id, type, created } = ev);
    }
    const routed = routings.has('all') || (routings.has('deletes') && isDeleteEvent(type));
    // Its object goes to an entity's Bronze, and its created to a dt: both must be readable.
    let object: RoutedObject | undefined;
    if (routed) {
      // An event the list scan vouched for is not parsed: its object's bytes are stored as sent.
      const scanned = ev === undefined && !item.suspect ? scanEventObject(item.json) : undefined;
      let problem: string | undefined;
      if (scanned) {
        problem = scannedEventProblem({ id, type, created }, scanned, now);
        const meta = problem ? undefined : routedObjectMeta({ id, type, created }, scanned, source);
        if (meta)
          object = {
            meta,
            dt: utcDate(scanned.created ?? created),
            json: item.json.subarray(scanned.start, scanned.end),
            id: scanned.id,
          };
      } else {
        ev ??= parseEvent(item.json);
        problem = ev ? eventProblem(ev, now) : undefined;
        const record = ev && !problem ? eventToRecords(ev, source).object : undefined;
        if (record)
          object = {
            meta: record.meta,
            dt: objectDt(record.data, created),
            json: Buffer.from(JSON.stringify(record.data)),
            id: record.data.id,
          };
      }
      if (problem) {
        rejected.push({ item, reason: problem });
        continue;
      }
    }
    if (
      created < (ctx.windowEnd ?? Number.POSITIVE_INFINITY) &&
      (maxCreated === undefined || created > maxCreated)
    )
      maxCreated = created;
    if (ctx.keepEvents) {
      const meta = {
        entity: 'events',
        run_id: ctx.runId,
        ingested_at: ctx.ingestedAt,
        source: 'events',
        version_ts: created,
        event_id: id,
      };
      const b = batchOf(batches, 'events', utcDate(created));
      const suffix = Buffer.from(`,"meta":${JSON.stringify(meta)}}\n`);
      pushLine(b, item.json, suffix, item.suspect ? ev?.id : id);
    }
    if (!object) continue;
    const routing = ctx.targets.get(object.meta.entity);
    if (routing === 'all' || (routing === 'deletes' && object.meta.deleted === true)) {
      const b = batchOf(batches, object.meta.entity, object.dt);
      const suffix = Buffer.from(`,"meta":${JSON.stringify(object.meta)}}\n`);
      pushLine(b, object.json, suffix, object.id);
      routedCounts.set(object.meta.entity, (routedCounts.get(object.meta.entity) ?? 0) + 1);
    }
  }
  return { batches, maxCreated, routed: routedCounts, rejected };
}

/** An event's object bound for its entity's Bronze: its meta, its dt, its JSON and its id. */
interface RoutedObject {
  readonly meta: BronzeMeta;
  readonly dt: string;
  readonly json: Buffer;
  readonly id: unknown;
}

function parseEvent(json: Buffer): StripeEvent | undefined {
  const v: unknown = JSON.parse(json.toString('utf8'));
  return isStripeEvent(v) ? v : undefined;
}
