import type { EntityName } from '../../entities/entity.js';
import { entity } from '../../entities/lookups.js';
import { ENTITIES } from '../../entities/registry.js';
import { ApiError, resourceMissing } from '../api-error.js';
import type { MockVolume } from '../options.js';
import { CHILD_COLLECTIONS, type ChildCollection, type ChildJson, childrenOf } from './children.js';
import { couponPlan, pricePlan, productPlan } from './families/catalogue.js';
import { chargePlanOf } from './families/charge.js';
import { customerPlan } from './families/customer.js';
import { PAYOUT_AT, PayoutBook, type PayoutPlan, payoutDayOf } from './families/payout.js';
import { subscriptionPlan } from './families/subscription.js';
import { decodeEventId, decodeObjectId, KIND_ENTITY, Kind, objectId, packHi, packLo, unpack } from './ids.js';
import { invoiceLines, subscriptionItems } from './render/children.js';
import { renderEvent } from './render/event.js';
import { JsonRenderer } from './render/json-renderer.js';
import { DEFAULT_OLD_VERSION_SHARE } from './render/old-api-version.js';
import { IndexBuilder, type SortedIndex } from './sorted-index.js';
import { describe, walkWorld } from './timeline.js';
import { oldestRetainedEvent, type VersionSink } from './versions.js';
import { AVAILABLE_AFTER, CURRENCIES, DAY, type World, worldAt } from './world.js';

const CURRENCY_INDEX = new Map(CURRENCIES.map(([c], k) => [c, k]));

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
  /** Balance transactions: only those paid out by this payout (automatic payouts). */
  payout?: string;
}

/** A list query with a filter of its own (`?payout=`), on index positions. */
type FilteredQuery = ListQuery & { keep?: (ix: SortedIndex, p: number) => boolean };

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
  /** Share of events rendered in the older API version (render/old-api-version.ts), 0-1. */
  oldVersionShare = DEFAULT_OLD_VERSION_SHARE;

  /** `embeddedListLimit`: children a parent embeds before `has_more` (default 10, as Stripe). */
  constructor(seed: number, volume: MockVolume, start: number, embeddedListLimit?: number) {
    const w = worldAt(seed, volume, start);
    this.world = { ...w, payouts: new PayoutBook(w), ...(embeddedListLimit ? { embeddedListLimit } : {}) };
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
    const ref = unpack(ix.hi[p]!, ix.lo[p]!);
    return renderEvent(this.world, this.renderer, ref, ix.v[p]!, ix.created[p]!, this.oldVersionShare);
  }

  /** The item at position `p` of an entity's index, in its state at `now`, as JSON text. */
  itemAt(e: EntityName, p: number, now: number): string {
    if (e === 'events') return this.eventAt(p);
    const ix = this.index(e);
    return this.renderer.stateAt(unpack(ix.hi[p]!, ix.lo[p]!), now);
  }

  /**
   * Whether position `p` shows in a list at `now` (deleted customers, products, prices and
   * coupons and canceled subscriptions are hidden).
   */
  private visible(e: EntityName, ix: SortedIndex, p: number, q: FilteredQuery, now: number): boolean {
    if (q.keep && !q.keep(ix, p)) return false;
    if (e === 'events') return !q.types || q.types.has(ix.type[p]!);
    if (e === 'customers') {
      const r = unpack(ix.hi[p]!, ix.lo[p]!);
      const c = customerPlan(this.world, r.day, r.index)!;
      return c.deletedAt === null || c.deletedAt > now;
    }
    if (e === 'products' || e === 'prices' || e === 'coupons') {
      const r = unpack(ix.hi[p]!, ix.lo[p]!);
      const plan =
        e === 'products'
          ? productPlan(this.world, r.day, r.index)
          : e === 'prices'
            ? pricePlan(this.world, r.day, r.index, r.sub)
            : couponPlan(this.world, r.day, r.index);
      return plan!.deletedAt === null || plan!.deletedAt > now;
    }
    if (e === 'subscriptions' && q.status !== 'all') {
      const r = unpack(ix.hi[p]!, ix.lo[p]!);
      const s = subscriptionPlan(this.world, r.day, r.index, r.sub)!;
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
  list(e: EntityName, query: ListQuery, now: number, sink: ItemSink): boolean {
    this.ensure(now);
    let q: FilteredQuery = query;
    const ix = this.index(e);
    // Events older than the retention are gone, whatever `created` bounds are asked.
    let lower = ix.lowerBound(e === 'events' ? Math.max(q.gte, oldestRetainedEvent(now)) : q.gte);
    let upper = ix.upperBound(Math.min(q.lte, now)); // exclusive
    if (q.payout !== undefined) {
      const f = this.payoutFilter(q.payout, now);
      lower = Math.max(lower, ix.lowerBound(f.from));
      upper = Math.min(upper, ix.lowerBound(f.until));
      q = { ...q, keep: f.keep };
    }
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

  /**
   * `?payout=<id>`: the balance transactions of the payout's currency that became available for
   * it (their `payoutDayOf` within the days it pays), a failed payout's returned amount among
   * them, never a payout's own transaction; as a `created` range of the index and a test on each
   * position. Stripe answers an unknown payout with 404 `resource_missing`.
   */
  private payoutFilter(
    id: string,
    now: number,
  ): { from: number; until: number; keep: (ix: SortedIndex, p: number) => boolean } {
    const ref = decodeObjectId(this.world.seed, 'payouts', id);
    const plan = ref && describe(this.world, ref, now)?.plan;
    if (!ref || !plan) throw resourceMissing(404, 'payout', id, 'payout');
    const { day: last, index: c } = ref;
    const first = (plan as PayoutPlan).firstDay;
    const w = this.world;
    const keep = (ix: SortedIndex, p: number): boolean => {
      const r = unpack(ix.hi[p]!, ix.lo[p]!);
      let availableOn: number;
      let currencyIndex: number;
      if (r.kind === Kind.btPayout) return false;
      if (r.kind === Kind.btPayoutFailure) {
        availableOn = ix.created[p]!;
        currencyIndex = r.index;
      } else {
        availableOn = ix.created[p]! + AVAILABLE_AFTER;
        const cp = chargePlanOf(w, r)!;
        currencyIndex = CURRENCY_INDEX.get(cp.currency)!;
      }
      const d = payoutDayOf(availableOn);
      return currencyIndex === c && d >= first && d <= last;
    };
    // the transactions available from payout first-1's time; failure returns are available when created
    return { from: (first - 1) * DAY + PAYOUT_AT - AVAILABLE_AFTER, until: last * DAY + PAYOUT_AT, keep };
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
      return renderEvent(this.world, this.renderer, dec!.ref, dec!.v, version.t, this.oldVersionShare);
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
   * `{"payout","balance_transaction"}` pairs: for every payout existing at `now` (newest first),
   * the balance transactions `?payout=` lists for it, newest first.
   */
  *payoutBalanceTransactions(now: number): Generator<string> {
    this.ensure(now);
    const payouts = this.index('payouts');
    const bts = this.index('balance_transactions');
    for (let p = payouts.upperBound(now) - 1; p >= 0; p--) {
      const ref = unpack(payouts.hi[p]!, payouts.lo[p]!);
      const id = objectId(this.world.seed, ref);
      const f = this.payoutFilter(id, now);
      const upper = Math.min(bts.upperBound(now), bts.lowerBound(f.until));
      for (let k = upper - 1; k >= bts.lowerBound(f.from); k--) {
        if (f.keep(bts, k))
          yield `{"payout":"${id}","balance_transaction":"${objectId(this.world.seed, unpack(bts.hi[k]!, bts.lo[k]!))}"}`;
      }
    }
  }

  /**
   * Every child of parent `parentId` (a subscription's items, an invoice's lines) in the parent's
   * current version, in list order. An unknown parent is Stripe's 404 `resource_missing`, naming
   * the parameter that carried it.
   */
  children(collection: ChildCollection, parentId: string, param: string, now: number): ChildJson[] {
    const c = CHILD_COLLECTIONS[collection];
    let parent: Record<string, unknown>;
    try {
      parent = JSON.parse(this.retrieve(c.parent, parentId, now)) as Record<string, unknown>;
    } catch (err) {
      if (err instanceof ApiError) throw resourceMissing(404, c.parentObject, parentId, param);
      throw err;
    }
    // the one place that says where the full list comes from: the full lists of the SaaS life
    // (the parent embeds at most 10), else the embedded list itself
    const ref = decodeObjectId(this.world.seed, c.parent, parentId);
    const full =
      ref && (collection === 'invoice_line_items' ? invoiceLines : subscriptionItems)(this.world, ref, now);
    return full ?? childrenOf(collection, parent);
  }

  /**
   * The truth of a child collection: for every parent existing at `now` (newest first), the
   * children of its current version, each naming its parent (`subscription`, `invoice`).
   */
  *childTruth(collection: ChildCollection, now: number): Generator<string> {
    const c = CHILD_COLLECTIONS[collection];
    for (const text of this.truth(c.parent, now)) {
      const id = (JSON.parse(text) as { id: string }).id;
      for (const child of this.children(collection, id, 'id', now)) {
        const o = JSON.parse(child.json) as Record<string, unknown>;
        yield o[c.parentObject] === id ? child.json : JSON.stringify({ ...o, [c.parentObject]: id });
      }
    }
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
