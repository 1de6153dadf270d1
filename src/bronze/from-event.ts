import { entityForObject, isDeleteEvent } from '../entities/lookups.js';
import type { BronzeMeta, BronzeRecord, RecordSource } from './envelope.js';

/** The part of a Stripe event this pipeline relies on. */
export interface StripeEvent {
  readonly id: string;
  readonly object?: string;
  readonly type: string;
  readonly created: number;
  readonly data: { readonly object: Record<string, unknown>; readonly previous_attributes?: unknown };
  readonly [key: string]: unknown;
}

/** Whether a parsed JSON value has the shape of a Stripe event. */
export function isStripeEvent(value: unknown): value is StripeEvent {
  const v = value as StripeEvent;
  return (
    typeof v === 'object' &&
    v !== null &&
    !Array.isArray(v) &&
    typeof v.id === 'string' &&
    v.id.length > 0 &&
    typeof v.type === 'string' &&
    typeof v.created === 'number' &&
    typeof v.data === 'object' &&
    v.data !== null &&
    typeof v.data.object === 'object' &&
    v.data.object !== null
  );
}

export interface EventRecords {
  /** The event itself, for `entity=events` (polled) or `entity=webhook_events` (delivered). */
  readonly event: BronzeRecord;
  /** The event's object as a new version of its entity; absent when the object is not one of ours. */
  readonly object?: BronzeRecord;
}

/**
 * The one path from a Stripe event to Bronze records, shared by the events pass of extraction and
 * the webhook receiver: the object's version time is the event's `created`, deleting event types
 * (per the entity registry) make a tombstone, objects without an id are skipped.
 */
export function eventToRecords(
  event: StripeEvent,
  ctx: { source: Exclude<RecordSource, 'api'>; runId: string; ingestedAt: string },
): EventRecords {
  const record: BronzeRecord = {
    data: event as unknown as Record<string, unknown>,
    meta: {
      entity: ctx.source === 'webhook' ? 'webhook_events' : 'events',
      ...baseMeta(event, ctx),
      event_id: event.id,
    },
  };
  const obj = event.data.object;
  const meta = routedObjectMeta(event, obj, ctx);
  return meta ? { event: record, object: { data: obj, meta } } : { event: record };
}

/**
 * The meta of an event's object as a new version of its entity (`eventToRecords`), from what
 * routing needs of the event (`id`, `type`, `created`) and of the object (`object`, `id`):
 * undefined when the object is not one of ours or has no id. The events pass uses it alone when it
 * stores the object's bytes as sent.
 */
export function routedObjectMeta(
  event: Pick<StripeEvent, 'id' | 'type' | 'created'>,
  obj: { readonly object?: unknown; readonly id?: unknown },
  ctx: { source: Exclude<RecordSource, 'api'>; runId: string; ingestedAt: string },
): BronzeMeta | undefined {
  const def = typeof obj.object === 'string' ? entityForObject(obj.object) : undefined;
  if (!def || def.name === 'events' || typeof obj.id !== 'string') return undefined;
  const deleted = isDeleteEvent(event.type);
  return {
    entity: def.name,
    ...baseMeta(event, ctx),
    event_id: event.id,
    ...(deleted ? { deleted: true as const } : {}),
  };
}

function baseMeta(
  event: Pick<StripeEvent, 'created'>,
  ctx: { source: Exclude<RecordSource, 'api'>; runId: string; ingestedAt: string },
) {
  return { run_id: ctx.runId, ingested_at: ctx.ingestedAt, source: ctx.source, version_ts: event.created };
}
