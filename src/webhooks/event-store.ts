import { toJsonLine } from '../bronze/envelope.js';
import { eventToRecords, type StripeEvent } from '../bronze/from-event.js';
import type { ObjectStore } from '../storage/object-store.js';
import { isWebhookBronzeKeyFor, webhookBronzeKey, webhookMarkerKey } from './event-key.js';

/** What the marker of a claimed event id holds. */
export interface WebhookMarker {
  readonly event_id: string;
  readonly bronze_key: string;
  readonly received_at: string;
}

/** The stored state of an event id disagrees with what this code writes (tampered or a hash clash). */
export class WebhookStateError extends Error {
  override readonly name = 'WebhookStateError';
  constructor(
    readonly markerKey: string,
    message: string,
  ) {
    super(`${markerKey}: ${message}`);
  }
}

export interface StoreResult {
  /** The Bronze key holding the event (the first delivery's, whatever day this copy came). */
  readonly key: string;
  /** False for exactly one delivery of each event id: the one whose record was stored. */
  readonly duplicate: boolean;
}

/**
 * Stores a delivered event exactly once, as one Bronze JSONL line under `entity=webhook_events`.
 *
 * Two `putIfAbsent` steps, in this order:
 * 1. the marker `_state/webhooks/seen/<id>.json`, keyed by the id alone, naming the Bronze key
 *    (its date is the day the first copy arrived): this is what makes a copy that arrives on a
 *    later day find the existing object instead of creating a second one under its own date;
 * 2. the Bronze object at the key the marker names.
 * Marker first, because a crash between the steps then leaves a marker without its object, which
 * the next copy (Stripe retries anything not answered 200) completes at the same key; the other
 * order could leave an object without a marker, and a retry on the next day would store it twice.
 * Both steps are create-only, so however many copies race, one Bronze object exists per id, and
 * the copy that created it is the one answered `duplicate: false`.
 * If S3 applies a create but its answer is lost and the SDK's retry gets 412, the marker case falls
 * into the "already claimed" path below and still writes the object; the Bronze case only flips
 * that delivery's `duplicate` flag. Neither changes how many objects exist.
 */
export async function storeWebhookEvent(
  store: ObjectStore,
  event: StripeEvent,
  ctx: { runId: string; nowMs: number },
): Promise<StoreResult> {
  const ingestedAt = new Date(ctx.nowMs).toISOString();
  const record = eventToRecords(event, { source: 'webhook', runId: ctx.runId, ingestedAt }).event;
  const body = toJsonLine(record);
  const markerKey = webhookMarkerKey(event.id);
  const fresh: WebhookMarker = {
    event_id: event.id,
    bronze_key: webhookBronzeKey(event.id, ctx.nowMs),
    received_at: ingestedAt,
  };

  if (await store.putIfAbsent(markerKey, `${JSON.stringify(fresh)}\n`)) {
    const created = await store.putIfAbsent(fresh.bronze_key, body);
    return { key: fresh.bronze_key, duplicate: !created };
  }

  const marker = await readMarker(store, markerKey, event.id);
  // The usual duplicate costs one read and one HEAD; only a half-finished first delivery writes.
  if (await store.head(marker.bronze_key)) return { key: marker.bronze_key, duplicate: true };
  const created = await store.putIfAbsent(marker.bronze_key, body);
  return { key: marker.bronze_key, duplicate: !created };
}

async function readMarker(store: ObjectStore, markerKey: string, eventId: string): Promise<WebhookMarker> {
  const bytes = await store.get(markerKey);
  if (!bytes) throw new WebhookStateError(markerKey, 'marker exists but cannot be read');
  let marker: WebhookMarker;
  try {
    marker = JSON.parse(Buffer.from(bytes).toString('utf8')) as WebhookMarker;
  } catch {
    throw new WebhookStateError(markerKey, 'marker is not JSON');
  }
  if (marker.event_id !== eventId) {
    throw new WebhookStateError(markerKey, 'marker belongs to another event id');
  }
  if (typeof marker.bronze_key !== 'string' || !isWebhookBronzeKeyFor(marker.bronze_key, eventId)) {
    throw new WebhookStateError(markerKey, "marker names a key that is not this event id's");
  }
  return marker;
}
