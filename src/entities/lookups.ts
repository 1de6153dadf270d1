import type { EntityDef, EntityName } from './entity.js';
import { ENTITIES } from './registry.js';

const byName = new Map<string, EntityDef>(ENTITIES.map((e) => [e.name, e]));
const byObject = new Map<string, EntityDef>(ENTITIES.map((e) => [e.objectName, e]));
const byEventType = new Map<string, EntityDef>(
  ENTITIES.flatMap((e) => e.eventTypes.map((t) => [t, e] as const)),
);

export const ENTITY_NAMES: readonly EntityName[] = ENTITIES.map((e) => e.name);

/** Entities whose objects are business objects (everything but the event log itself). */
export const OBJECT_ENTITIES: readonly EntityDef[] = ENTITIES.filter((e) => e.name !== 'events');

export function isEntityName(name: string): name is EntityName {
  return byName.has(name);
}

export function entity(name: EntityName): EntityDef {
  const def = byName.get(name);
  if (!def) throw new Error(`unknown entity "${name}"`);
  return def;
}

/** The entity whose objects carry this `object` field value, if any. */
export function entityForObject(objectName: string): EntityDef | undefined {
  return byObject.get(objectName);
}

/** The entity an event type belongs to, if any. */
export function entityForEventType(type: string): EntityDef | undefined {
  return byEventType.get(type);
}

/** The entity an id belongs to by its prefix (longest prefix wins: `pyr_` before `py_`). */
export function entityForId(id: string): EntityDef | undefined {
  let best: EntityDef | undefined;
  let bestLen = 0;
  for (const e of ENTITIES) {
    for (const p of e.idPrefixes) {
      if (id.startsWith(p) && p.length > bestLen) {
        best = e;
        bestLen = p.length;
      }
    }
  }
  return best;
}

/** Whether this event type deletes its object (a tombstone in Bronze/Silver). */
export function isDeleteEvent(type: string): boolean {
  return entityForEventType(type)?.deleteEvents.includes(type) ?? false;
}

/**
 * Entities ordered so that every entity comes after those it depends on.
 * Throws on a dependency cycle or a dependency on an unknown entity.
 */
export function dependencyOrder(defs: readonly EntityDef[] = ENTITIES): EntityDef[] {
  const names = new Map(defs.map((d) => [d.name, d]));
  const out: EntityDef[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (d: EntityDef, path: string[]): void => {
    const s = state.get(d.name);
    if (s === 'done') return;
    if (s === 'visiting') throw new Error(`entity dependency cycle: ${[...path, d.name].join(' -> ')}`);
    state.set(d.name, 'visiting');
    for (const dep of d.dependsOn) {
      const parent = names.get(dep);
      if (!parent) throw new Error(`entity "${d.name}" depends on unknown entity "${dep}"`);
      visit(parent, [...path, d.name]);
    }
    state.set(d.name, 'done');
    out.push(d);
  };
  for (const d of defs) visit(d, []);
  return out;
}
