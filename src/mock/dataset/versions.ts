import { ENTITIES } from '../../entities/registry.js';
import { DAY } from './world.js';

/**
 * Versions and events: each object is a list of versions (time, event type or 0 for a silent
 * change). An object's state between two versions is the earlier version's, so every state
 * change that is not silent has exactly one event whose `data.object` is that state. The family
 * walkers (`families/`) are the single source of every timeline.
 */

/**
 * How long the mock keeps events, as Stripe does: `GET /v1/events` lists, retrieves and accepts
 * as cursors only events with `created > now - EVENT_RETENTION_SECONDS`, and `/_mock/truth/events`
 * shows only those. Objects themselves are kept forever; webhooks are sent as events happen.
 */
export const EVENT_RETENTION_SECONDS = 30 * DAY;

/** The oldest `created` of an event still retained at `now`. */
export const oldestRetainedEvent = (now: number): number => now - EVENT_RETENTION_SECONDS + 1;

/** Every event type of the registry; an event type's code is its index + 1 (0 = silent). */
export const EVENT_TYPES: readonly string[] = ENTITIES.flatMap((e) => e.eventTypes);

/** The code of an event type of the registry. */
export function eventCode(type: string): number {
  const n = EVENT_TYPES.indexOf(type);
  if (n < 0) throw new Error(`event type ${type} is not in the entity registry`);
  return n + 1;
}

/** The event type of a code (not 0). */
export const eventType = (code: number): string => EVENT_TYPES[code - 1]!;

/** Event type codes for a `types[]`/`type` filter (`charge.*` wildcards as Stripe allows). */
export function eventTypeCodes(patterns: readonly string[]): Set<number> {
  const out = new Set<number>();
  for (const pat of patterns) {
    const prefix = pat.endsWith('.*') ? pat.slice(0, -1) : null;
    EVENT_TYPES.forEach((t, n) => {
      if (t === pat || (prefix && t.startsWith(prefix))) out.add(n + 1);
    });
  }
  return out;
}

/**
 * Receives version `version` (0 = creation) of the object (kind, day, index, sub) at time `t`
 * with event type code `type` (0 = silent). Versions of one object arrive in time order.
 * Primitive arguments, no allocation per call: the index walks millions of objects at start-up.
 */
export interface VersionSink {
  add(kind: number, day: number, index: number, sub: number, version: number, t: number, type: number): void;
}

export interface Version {
  readonly t: number;
  /** Event type code (0 = silent change). */
  readonly type: number;
}
