import type { EntityDef, EntityName } from '../entities/entity.js';
import type { Watermark } from '../state/watermarks.js';
import type { EventRouting } from './page-lines.js';
import { type EntityPlan, planEntity, type TimeWindow } from './windows.js';

/** The event log: listed only through the events pass, never by its own `created` window. */
export const EVENTS: EntityName = 'events';

/** The one listing of `/v1/events` of a run. */
export interface EventsPass {
  readonly window: TimeWindow;
  /** Entities whose changes the pass routes into their Bronze, and which changes. */
  readonly routing: ReadonlyMap<string, EventRouting>;
  /** Whether the events themselves are stored (the `events` entity is selected). */
  readonly keepEvents: boolean;
}

/** What one run lists: a window per entity, and the events pass if any entity needs it. */
export interface ExtractPlan {
  readonly entities: ReadonlyMap<string, EntityPlan>;
  readonly pass?: EventsPass;
}

export interface ExtractPlanInput {
  /** The selected entities, parents first. */
  readonly entities: readonly Pick<
    EntityDef,
    'name' | 'eventTypes' | 'changeLookbackSeconds' | 'unsettledStatuses'
  >[];
  readonly watermarks: ReadonlyMap<string, Watermark | undefined>;
  /** Exclusive end of every window of the run. */
  readonly end: number;
  readonly days: number;
  readonly safetySeconds: number;
  readonly backfill?: TimeWindow;
}

/**
 * Plans a run (SPEC section 5): each entity's window from its watermark (`planEntity`), and the
 * events pass: one listing of `/v1/events` from the earliest point any entity needs, routing
 * updates and deletions of incremental entities and only deletions (tombstones a list cannot
 * show) of full loads. Pure.
 *
 * @example
 * const plan = planExtraction({ entities, watermarks, end, days: 30, safetySeconds: 300 });
 * plan.entities.get('charges')?.window; plan.pass?.window;
 */
export function planExtraction(p: ExtractPlanInput): ExtractPlan {
  const entities = new Map<string, EntityPlan>();
  for (const d of p.entities) {
    const wm = p.watermarks.get(d.name);
    entities.set(
      d.name,
      planEntity({
        ...(wm
          ? {
              watermark: {
                created: wm.created_watermark,
                events: wm.events_watermark,
                // only an entity that still declares what is unsettled trusts the mark
                ...(d.unsettledStatuses && wm.unsettled_from !== undefined
                  ? { unsettled: wm.unsettled_from }
                  : {}),
              },
            }
          : {}),
        end: p.end,
        safetySeconds: p.safetySeconds,
        days: p.days,
        changeLookbackSeconds: d.changeLookbackSeconds,
        usesEvents: d.name !== EVENTS && d.eventTypes.length > 0,
        ...(p.backfill ? { backfill: p.backfill } : {}),
      }),
    );
  }
  const routing = new Map<string, EventRouting>();
  const starts: number[] = [];
  const keepEvents = entities.has(EVENTS);
  if (keepEvents) starts.push(entities.get(EVENTS)!.window.gte);
  for (const [name, plan] of entities) {
    if (plan.eventsFrom === undefined) continue;
    routing.set(name, isFullLoad(plan) ? 'deletes' : 'all');
    starts.push(plan.eventsFrom);
  }
  if (starts.length === 0) return { entities };
  const window = { gte: Math.min(...starts, p.end), lt: p.backfill ? p.backfill.lt : p.end };
  return { entities, pass: { window, routing, keepEvents } };
}

/** A first load, or one started again because its events are beyond retention. */
export function isFullLoad(plan: Pick<EntityPlan, 'mode'> | undefined): boolean {
  return plan?.mode === 'first' || plan?.mode === 'stale';
}
