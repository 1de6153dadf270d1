import { ChildReader } from './child-reads.js';
import { EVENTS, type ExtractPlan } from './extract-plan.js';

/**
 * When an entity's Bronze for this run is complete: nothing more of the run's extraction will be
 * written for it, so its Silver may be typed while the rest is still being fetched (SPEC 14: the
 * full run overlaps its stages). An entity is complete once its listing is durable and, if the
 * events pass routes changes or tombstones into it, the pass is durable too; the event log once
 * the pass is; a child collection (read through its parent) with its parent. Decides only: the
 * caller flushes Bronze first, then reports what finished. Pure.
 *
 * @example
 * const done = new BronzeCompletion(['customers', 'events'], plan);
 * done.listed('customers'); // [] while the events pass routes into customers
 * done.passDone(); // ['customers', 'events']
 */
export class BronzeCompletion {
  private readonly listedDone = new Set<string>();
  private readonly completed = new Set<string>();
  private pass = false;

  constructor(
    /** The run's selected entities (the event log among them when it is kept). */
    private readonly entities: readonly string[],
    private readonly plan: Pick<ExtractPlan, 'pass'>,
  ) {}

  /** After `entity`'s listing (with its children) is durable: the entities now complete. */
  listed(entity: string): string[] {
    this.listedDone.add(entity);
    return this.newlyComplete();
  }

  /** After the whole events pass is durable: the entities now complete. */
  passDone(): string[] {
    this.pass = true;
    return this.newlyComplete();
  }

  private isComplete(entity: string): boolean {
    const pass = this.plan.pass;
    if (entity === EVENTS) return !pass || this.pass;
    if (!this.listedDone.has(entity)) return false;
    return !pass || this.pass || !pass.routing.has(entity);
  }

  private newlyComplete(): string[] {
    const out: string[] = [];
    for (const entity of this.entities) {
      if (this.completed.has(entity) || !this.isComplete(entity)) continue;
      this.completed.add(entity);
      out.push(entity, ...ChildReader.childrenOf(entity));
    }
    return out;
  }
}
