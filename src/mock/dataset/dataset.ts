import type { EntityName } from '../../entities/entity.js';
import { entity } from '../../entities/lookups.js';
import { ENTITIES } from '../../entities/registry.js';
import { resourceMissing } from '../api-error.js';
import type { MockVolume } from '../options.js';
import { customerPlan, subscriptionPlan } from './families/customer.js';
import { decodeEventId, decodeObjectId, KIND_ENTITY, packHi, packLo, unpack } from './ids.js';
import { renderEvent } from './render/event.js';
import { JsonRenderer } from './render/json-renderer.js';
import { IndexBuilder, type SortedIndex } from './sorted-index.js';
import { describe, walkWorld } from './timeline.js';
import { oldestRetainedEvent, type VersionSink } from './versions.js';
import { DAY, type World, worldAt } from './world.js';

/**
 * The dataset the server serves: the sorted indexes of every entity, built from the walk of the
 * world, and Stripe's list / retrieve semantics over them, each object rendered as JSON text.
 */

/** How far past `now` the index is built, so a moving clock rarely triggers a rebuild. */
const HORIZON_SLACK = 7 * DAY;

/** A parsed list request. */
export interface ListQuery {
  limit: number;
  startingAfter?: string;
  endingBefore?: string;
  gte: number;
  lte: number;
  /** Event type codes to keep (events only); undefined = all. */
  types?: Set<number>;
  /** Subscriptions: 'all', 'active', 'canceled' or a status that never matches; default hides canceled. */
  status?: string;
}

/** Receives the objects of a list page as JSON texts, in page order (newest first). */
export type ItemSink = (json: string) => void;

/**
 * The dataset: a pure function of seed, volume and the clock's start, indexed up to a horizon.
 * Objects are rendered to JSON text on demand from their refs (`JsonRenderer`); memory holds
 * only the sorted typed arrays.
 */
export class Dataset {
  readonly world: World;
  /** Objects rendered straight to JSON text. */
  readonly renderer: JsonRenderer;
  private indexes = new Map<EntityName, SortedIndex>();
  private horizonTime = 0;
  /** Milliseconds the last (re)build took. */
  buildMs = 0;

  constructor(seed: number, volume: MockVolume, start: number) {
    this.world = worldAt(seed, volume, start);
    this.renderer = new JsonRenderer(this.world);
    this.build(start + HORIZON_SLACK);
  }

  get horizon(): number {
    return this.horizonTime;
  }

  /** Makes sure every object and event created up to `now` is indexed. */
  ensure(now: number): void {
    if (now > this.horizonTime) this.build(now + HORIZON_SLACK);
  }

  /** Number of indexed entries of an entity (including some created after now). */
  size(e: EntityName): number {
    return this.index(e).length;
  }

  /** Bytes held by the indexes. */
  get indexBytes(): number {
    let n = 0;
    for (const ix of this.indexes.values()) n += ix.bytes;
    return n;
  }

  private index(e: EntityName): SortedIndex {
    return this.indexes.get(e)!;
  }

  private build(horizon: number): void {
    const started = performance.now();
    const builders = new Map<EntityName, IndexBuilder>(ENTITIES.map((e) => [e.name, new IndexBuilder()]));
    const events = builders.get('events')!;
    const byKind: IndexBuilder[] = [];
    for (const [k, e] of Object.entries(KIND_ENTITY)) byKind[Number(k)] = builders.get(e)!;
    // Every object at its creation, and every version that has an event.
    const emit: VersionSink = {
      add(kind, day, index, sub, version, t, type) {
        const hi = kind * 65536 + day;
        const lo = index * 4096 + sub;
        if (version === 0) byKind[kind]!.push(t, hi, lo);
        if (type) events.push(t, hi, lo, version, type);
      },
    };
    walkWorld(this.world, horizon, emit);
    this.indexes = new Map([...builders].map(([e, b]) => [e, b.finish()]));
    this.horizonTime = horizon;
    this.buildMs = performance.now() - started;
  }

  // --- reading ---------------------------------------------------------------------------------

  /** The event at index position `p` (events index), as JSON text. */
  private eventAt(p: number): string {
    const ix = this.index('events');
    return renderEvent(this.world, this.renderer, unpack(ix.hi[p]!, ix.lo[p]!), ix.v[p]!, ix.created[p]!);
  }

  /** The item at position `p` of an entity's index, in its state at `now`, as JSON text. */
  itemAt(e: EntityName, p: number, now: number): string {
    if (e === 'events') return this.eventAt(p);
    const ix = this.index(e);
    return this.renderer.stateAt(unpack(ix.hi[p]!, ix.lo[p]!), now);
  }

  /** Whether position `p` shows in a list at `now` (deleted customers and canceled subscriptions are hidden). */
  private visible(e: EntityName, ix: SortedIndex, p: number, q: ListQuery, now: number): boolean {
    if (e === 'events') return !q.types || q.types.has(ix.type[p]!);
    if (e === 'customers') {
      const r = unpack(ix.hi[p]!, ix.lo[p]!);
      const c = customerPlan(this.world, r.day, r.index)!;
      return c.deletedAt === null || c.deletedAt > now;
    }
    if (e === 'subscriptions' && q.status !== 'all') {
      const r = unpack(ix.hi[p]!, ix.lo[p]!);
      const s = subscriptionPlan(this.world, r.day, r.index)!;
      const canceled = s.canceledAt !== null && s.canceledAt <= now;
      if (q.status === 'canceled') return canceled;
      if (q.status === undefined || q.status === 'active') return !canceled;
      return false;
    }
    return true;
  }

  /** Position of the object or event `id` in its index as of `now`, or -1. */
  private positionOf(e: EntityName, id: string, now: number): number {
    const ix = this.index(e);
    if (e === 'events') {
      const dec = decodeEventId(this.world.seed, id);
      const d = dec && describe(this.world, dec.ref, now);
      const version = d?.versions[dec!.v];
      if (!version?.type || version.t < oldestRetainedEvent(now)) return -1;
      return ix.find(version.t, packHi(dec!.ref), packLo(dec!.ref), dec!.v);
    }
    const ref = decodeObjectId(this.world.seed, e, id);
    const d = ref && describe(this.world, ref, now);
    if (!d) return -1;
    return ix.find(d.versions[0]!.t, packHi(ref!), packLo(ref!));
  }

  /**
   * One page of a list, Stripe's semantics: newest first, cursors, `created` bounds. Each
   * object goes to `sink` as soon as it is rendered (errors are thrown before the first);
   * returns `has_more`.
   */
  list(e: EntityName, q: ListQuery, now: number, sink: ItemSink): boolean {
    this.ensure(now);
    const ix = this.index(e);
    // Events older than the retention are gone, whatever `created` bounds are asked.
    const lower = ix.lowerBound(e === 'events' ? Math.max(q.gte, oldestRetainedEvent(now)) : q.gte);
    const upper = ix.upperBound(Math.min(q.lte, now)); // exclusive
    const objectName = entity(e).objectName;
    if (q.endingBefore !== undefined) {
      const p = this.positionOf(e, q.endingBefore, now);
      if (p < 0) throw resourceMissing(400, objectName, q.endingBefore, 'ending_before');
      const found: number[] = [];
      let k = Math.max(p + 1, lower);
      for (; k < upper && found.length < q.limit; k++) if (this.visible(e, ix, k, q, now)) found.push(k);
      let more = false;
      for (; k < upper && !more; k++) more = this.visible(e, ix, k, q, now);
      for (let n = found.length - 1; n >= 0; n--) sink(this.itemAt(e, found[n]!, now));
      return more;
    }
    let k = upper - 1;
    if (q.startingAfter !== undefined) {
      const p = this.positionOf(e, q.startingAfter, now);
      if (p < 0) throw resourceMissing(400, objectName, q.startingAfter, 'starting_after');
      k = Math.min(k, p - 1);
    }
    let count = 0;
    for (; k >= lower && count < q.limit; k--) {
      if (this.visible(e, ix, k, q, now)) {
        sink(this.itemAt(e, k, now));
        count++;
      }
    }
    let more = false;
    for (; k >= lower && !more; k--) more = this.visible(e, ix, k, q, now);
    return more;
  }

  /** `GET /v1/<entity>/<id>` at `now`, as JSON text. */
  retrieve(e: EntityName, id: string, now: number): string {
    this.ensure(now);
    const objectName = entity(e).objectName;
    if (e === 'events') {
      const dec = decodeEventId(this.world.seed, id);
      const d = dec && describe(this.world, dec.ref, now);
      const version = d?.versions[dec!.v];
      if (!version?.type || version.t < oldestRetainedEvent(now))
        throw resourceMissing(404, objectName, id, 'id');
      return renderEvent(this.world, this.renderer, dec!.ref, dec!.v, version.t);
    }
    const ref = decodeObjectId(this.world.seed, e, id);
    const d = ref && describe(this.world, ref, now);
    if (!d) throw resourceMissing(404, objectName, id, 'id');
    return this.renderer.build(d, d.versions.length - 1, true);
  }

  /**
   * Every object of `e` existing at `now`, newest first, in its state at `now`; for events, the
   * ones still retained at `now`.
   */
  *truth(e: EntityName, now: number): Generator<string> {
    this.ensure(now);
    const ix = this.index(e);
    const lower = e === 'events' ? ix.lowerBound(oldestRetainedEvent(now)) : 0;
    for (let p = ix.upperBound(now) - 1; p >= lower; p--) yield this.itemAt(e, p, now);
  }

  /**
   * Events with `after < created <= until`, oldest first (the webhook sender's feed; not subject
   * to retention, since webhooks go out as events happen).
   */
  *eventsBetween(after: number, until: number): Generator<string> {
    this.ensure(until);
    const ix = this.index('events');
    const end = ix.upperBound(until);
    for (let p = ix.upperBound(after); p < end; p++) yield this.eventAt(p);
  }
}
