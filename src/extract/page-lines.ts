import type { BronzeMeta, BronzeRecord } from '../bronze/envelope.js';
import { eventToRecords, isStripeEvent } from '../bronze/from-event.js';
import { utcDate } from '../storage/layout.js';

/** JSONL lines bound for one Bronze partition. */
export interface PartitionLines {
  readonly entity: string;
  readonly dt: string;
  lines: string;
  records: number;
}

/** Lines grouped by `entity/dt`. */
export type Batches = Map<string, PartitionLines>;

function add(batches: Batches, entity: string, dt: string, line: string): void {
  const id = `${entity}/${dt}`;
  const b = batches.get(id);
  if (b) {
    b.lines += line;
    b.records++;
  } else batches.set(id, { entity, dt, lines: line, records: 1 });
}

/** The Bronze `dt` of an object: the UTC date of its `created`, else of `fallback`. */
export function objectDt(obj: Record<string, unknown>, fallback: number): string {
  return utcDate(typeof obj.created === 'number' ? obj.created : fallback);
}

/**
 * The envelope lines of one API list page. Every record of a page shares its meta (same response,
 * same `Date`), so the meta is serialised once; the line equals `toJsonLine({data, meta})`. With
 * `raw` (each object's JSON text as the API sent it) the objects are not serialised again.
 */
export function apiPageBatches(
  data: readonly Record<string, unknown>[],
  meta: Omit<BronzeMeta, 'event_id' | 'deleted'>,
  fallbackCreated: number,
  raw?: readonly string[],
): { batches: Batches; maxCreated: number | undefined } {
  const texts = raw && raw.length === data.length ? raw : undefined;
  const metaJson = JSON.stringify(meta);
  const batches: Batches = new Map();
  let maxCreated: number | undefined;
  for (let i = 0; i < data.length; i++) {
    const obj = data[i]!;
    if (typeof obj.created === 'number' && (maxCreated === undefined || obj.created > maxCreated)) {
      maxCreated = obj.created;
    }
    add(
      batches,
      meta.entity,
      objectDt(obj, fallbackCreated),
      `{"data":${texts ? texts[i] : JSON.stringify(obj)},"meta":${metaJson}}\n`,
    );
  }
  return { batches, maxCreated };
}

/**
 * Which event objects an entity takes from the events pass: `all` (an incremental load: every
 * change) or `deletes` (a full load: the list already has every live object's current state, only
 * the tombstones of objects deleted before the listing are missing).
 */
export type EventRouting = 'all' | 'deletes';

/**
 * The Bronze lines of one page of `/v1/events`, through the shared `eventToRecords` path: the raw
 * event to `entity=events` (dt = the event's date) when `keepEvents`, its object to its entity's
 * Bronze (dt = the object's date) as that entity's routing in `targets` says.
 */
export function eventPageBatches(
  events: readonly unknown[],
  ctx: { runId: string; ingestedAt: string; keepEvents: boolean; targets: ReadonlyMap<string, EventRouting> },
): { batches: Batches; maxCreated: number | undefined; routed: Map<string, number> } {
  const batches: Batches = new Map();
  const routed = new Map<string, number>();
  let maxCreated: number | undefined;
  for (const ev of events) {
    if (!isStripeEvent(ev)) continue;
    if (maxCreated === undefined || ev.created > maxCreated) maxCreated = ev.created;
    const recs = eventToRecords(ev, { source: 'events', runId: ctx.runId, ingestedAt: ctx.ingestedAt });
    if (ctx.keepEvents) add(batches, 'events', utcDate(ev.created), line(recs.event));
    const obj = recs.object;
    const routing = obj ? ctx.targets.get(obj.meta.entity) : undefined;
    if (obj && (routing === 'all' || (routing === 'deletes' && obj.meta.deleted === true))) {
      add(batches, obj.meta.entity, objectDt(obj.data, ev.created), line(obj));
      routed.set(obj.meta.entity, (routed.get(obj.meta.entity) ?? 0) + 1);
    }
  }
  return { batches, maxCreated, routed };
}

function line(r: BronzeRecord): string {
  return `${JSON.stringify(r)}\n`;
}
