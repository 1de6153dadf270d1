import { setMaxListeners } from 'node:events';
import pLimit from 'p-limit';
import type { Settings } from '../config/settings.js';
import { SILVER_CONTRACTS } from '../contracts/silver.js';
import type { EntityDef, EntityName } from '../entities/entity.js';
import { dependencyOrder, entity as entityDef } from '../entities/lookups.js';
import type { Logger } from '../obs/logger.js';
import { QuarantineSink } from '../quarantine/sink.js';
import { createStripeClient } from '../source/create-client.js';
import { ProtocolError } from '../source/errors.js';
import type { RawListPage } from '../source/stripe-client.js';
import { advanceWatermark, readWatermark, type Watermark } from '../state/watermarks.js';
import type { ObjectStore } from '../storage/object-store.js';
import { BronzeSink } from './bronze-sink.js';
import { ChildReader } from './child-reads.js';
import { apiPageBatches, type Batches, type EventRouting, eventPageBatches, linesOf } from './page-lines.js';
import { type Rejected, screenItems } from './screen.js';
import {
  DAY_SECONDS,
  type EntityPlan,
  planEntity,
  splitEvenly,
  type TimeWindow,
  timeSlices,
} from './windows.js';

export interface ExtractOptions {
  readonly store: ObjectStore;
  readonly settings: Settings;
  readonly logger: Logger;
  readonly runId: string;
  readonly baseUrl: string;
  readonly apiKey: string;
  /** Client-side request cap; undefined = none (the embedded mock). */
  readonly rateLimitRps?: number;
  /** Entities to extract (default all). */
  readonly entities?: readonly EntityName[];
  /** Exclusive end of every window, Unix seconds (default: now, fixed for the run). */
  readonly until?: number;
  /** First-run history in days (default `DEFAULT_DAYS`). */
  readonly days?: number;
  /** Re-extract `[from, to)` regardless of watermarks; no watermark moves. */
  readonly backfill?: { readonly from: number; readonly to: number };
  readonly onProgress?: (p: { entity: string; pages: number; records: number; retries: number }) => void;
  readonly signal?: AbortSignal;
  /** Longest time slice, seconds (default one day; slices never cross UTC midnight). */
  readonly sliceSeconds?: number;
  /** Bronze part size bound, bytes (default 64 MiB). */
  readonly maxPartBytes?: number;
}

/** The manifest's `extract` section for one entity. */
export interface EntityExtractReport {
  window: TimeWindow;
  pages: number;
  records: number;
  retries: number;
  bronze_keys: string[];
  /** Records set aside under `_quarantine/` (present only when some were). */
  quarantined?: number;
}

export interface ExtractReport {
  entities: Record<string, EntityExtractReport>;
  bronzeKeys: string[];
}

/** Wrong options given to `runExtract`. */
export class ExtractOptionsError extends Error {
  override readonly name = 'ExtractOptionsError';
  readonly exitCode = 2;
}

interface Task {
  /** `api` lists the entity itself; `events` is a slice of the one events pass. */
  readonly kind: 'api' | 'events';
  readonly def: EntityDef;
  readonly window: TimeWindow;
}

interface Stats {
  pages: number;
  records: number;
  retries: number;
  maxCreated: number | undefined;
  /** Earliest `Date` among the entity's responses: when its load began, on the source's clock. */
  firstSourceTime: number | undefined;
}

const EVENTS: EntityName = 'events';

/**
 * Incremental extraction to Bronze (SPEC section 5). Per entity, lists `[watermark - safety, end)`
 * (the last `days` days on a first run) in time slices fetched concurrently, all entities under
 * one limiter; then one pass over `/v1/events` routes updates and deletions of already loaded
 * entities into their Bronze and stores the raw events. Records stream to Bronze parts as pages
 * arrive; a watermark moves (forwards only) once the Bronze behind it is durable.
 *
 * @example
 * const report = await runExtract({ store, settings, logger, runId, baseUrl, apiKey });
 * report.entities.charges.records;
 */
export async function runExtract(opts: ExtractOptions): Promise<ExtractReport> {
  const { store, settings, logger, runId } = opts;
  const end = opts.until ?? Math.floor(Date.now() / 1000);
  const days = opts.days ?? settings.DEFAULT_DAYS;
  if (!Number.isInteger(days) || days < 1)
    throw new ExtractOptionsError(`days must be a positive integer, got ${days}`);
  const backfill = opts.backfill ? { gte: opts.backfill.from, lt: opts.backfill.to } : undefined;
  if (backfill && !(backfill.gte < backfill.lt)) {
    throw new ExtractOptionsError(
      `backfill window is empty: from ${backfill.gte} is not before to ${backfill.lt}`,
    );
  }
  const selected = dependencyOrder().filter((d) => !opts.entities || opts.entities.includes(d.name));
  const selectedNames = new Set(selected.map((d) => d.name));

  // Plans from the watermarks (read together; an unreadable one fails the run before any request).
  const watermarks = new Map<string, Watermark | undefined>();
  await Promise.all(selected.map(async (d) => watermarks.set(d.name, await readWatermark(store, d.name))));
  const plans = new Map<string, EntityPlan>();
  for (const d of selected) {
    const wm = watermarks.get(d.name);
    const isEvents = d.name === EVENTS;
    const plan = planEntity({
      ...(wm ? { watermark: { created: wm.created_watermark, events: wm.events_watermark } } : {}),
      end,
      safetySeconds: settings.SAFETY_WINDOW_SECONDS,
      days,
      changeLookbackSeconds: d.changeLookbackSeconds,
      usesEvents: !isEvents && d.eventTypes.length > 0,
      ...(backfill ? { backfill } : {}),
    });
    plans.set(d.name, plan);
    if (plan.mode === 'stale') {
      logger.warn(
        { entity: d.name, events_watermark: wm?.events_watermark },
        `${d.name}: events watermark ${new Date((wm?.events_watermark ?? 0) * 1000).toISOString()} is older than 30 days (Stripe keeps events for 30 days), so its changes cannot be caught up from events: re-extracting the last ${days} days`,
      );
    }
    logger.info(
      { entity: d.name, mode: plan.mode, gte: plan.window.gte, lt: plan.window.lt },
      `${d.name}: ${plan.mode} window [${iso(plan.window.gte)}, ${iso(plan.window.lt)})`,
    );
  }

  // The events pass: one listing of /v1/events for every loaded entity (and the event log itself).
  const targets = new Set(
    selected.filter((d) => plans.get(d.name)?.eventsFrom !== undefined).map((d) => d.name),
  );
  const routing = new Map<string, EventRouting>(
    [...targets].map((t) => {
      const mode = plans.get(t)?.mode;
      return [t, mode === 'first' || mode === 'stale' ? 'deletes' : 'all'];
    }),
  );
  const keepEvents = selectedNames.has(EVENTS);
  const passStarts = [
    ...(keepEvents ? [plans.get(EVENTS)!.window.gte] : []),
    ...[...targets].map((t) => plans.get(t)!.eventsFrom!),
  ];
  const passWindow: TimeWindow | undefined =
    passStarts.length > 0
      ? { gte: Math.min(...passStarts, end), lt: backfill ? backfill.lt : end }
      : undefined;

  const stats = new Map<string, Stats>(
    selected.map((d) => [
      d.name,
      { pages: 0, records: 0, retries: 0, maxCreated: undefined, firstSourceTime: undefined },
    ]),
  );
  let passMaxCreated: number | undefined;

  const sink = await BronzeSink.create({
    store,
    runId,
    ...(opts.maxPartBytes ? { maxPartBytes: opts.maxPartBytes } : {}),
  });
  const quarantine = new QuarantineSink(store, runId, (q) =>
    logger.warn(q, `${q.entity}: quarantined an unreadable record from ${q.path}: ${q.reason}`),
  );
  const client = createStripeClient({
    settings,
    logger,
    baseUrl: opts.baseUrl,
    apiKey: opts.apiKey,
    ...(opts.rateLimitRps !== undefined ? { rateLimitRps: opts.rateLimitRps } : {}),
  });

  // Internal abort: the caller's signal, or the first failure stops every other slice.
  const ctl = new AbortController();
  const onOuterAbort = () => ctl.abort(opts.signal?.reason);
  if (opts.signal?.aborted) ctl.abort(opts.signal.reason);
  opts.signal?.addEventListener('abort', onOuterAbort, { once: true });
  const signal = ctl.signal;
  // Every slice and request listens on it: more than Node's default 10 listeners is expected.
  setMaxListeners(0, signal);
  let failure: { error: unknown } | undefined;
  const fail = (error: unknown) => {
    if (!failure) failure = { error: opts.signal?.aborted ? opts.signal.reason : error };
    if (!signal.aborted) ctl.abort(error);
  };

  // Watermark writes of one entity happen one after the other (two parts may finish together).
  const wmChains = new Map<string, Promise<unknown>>();
  const moveWatermark = (name: string, next: { created: number; events: number }) => {
    const p = (wmChains.get(name) ?? Promise.resolve()).then(() =>
      advanceWatermark(store, name, next, runId),
    );
    wmChains.set(name, p);
    return p;
  };

  /**
   * When every slice of a group is done: flush, then move watermarks. An incremental entity's
   * created watermark follows its listing and its events watermark the events pass; a full load
   * that also takes tombstones from the pass writes its first watermark once both are durable.
   */
  const isFullLoad = (name: string) => {
    const mode = plans.get(name)?.mode;
    return mode === 'first' || mode === 'stale';
  };
  const fullLoadMark = (name: string) => {
    const plan = plans.get(name)!;
    const s = stats.get(name)!;
    return {
      created: s.maxCreated ?? plan.window.gte,
      // The events watermark starts at the source's clock when the load began (or the window end).
      events: Math.min(s.firstSourceTime ?? end, end),
    };
  };
  const done = new Map<string, number>();
  /** Counts the completed halves of a full load that needs the pass; true when both are done. */
  const bothDone = (name: string) => {
    const n = (done.get(name) ?? 0) + 1;
    done.set(name, n);
    return n === 2;
  };
  const completeApi = async (d: EntityDef) => {
    await sink.flushEntity(d.name);
    // the children read for its versions are durable before its watermark may move
    await Promise.all(ChildReader.childrenOf(d.name).map((c) => sink.flushEntity(c)));
    await quarantine.flushEntity(d.name);
    if (backfill) return;
    if (!isFullLoad(d.name)) {
      await moveWatermark(d.name, { created: stats.get(d.name)!.maxCreated ?? 0, events: 0 });
    } else if (!targets.has(d.name) || bothDone(d.name)) {
      await moveWatermark(d.name, fullLoadMark(d.name));
    }
  };
  const completeEvents = async () => {
    await Promise.all(
      [...(keepEvents ? [EVENTS] : []), ...targets, ...[...targets].flatMap(ChildReader.childrenOf)].map(
        (e) => sink.flushEntity(e),
      ),
    );
    await quarantine.flushEntity(EVENTS);
    if (backfill) return;
    const max = passMaxCreated;
    await Promise.all([
      ...[...targets].map(async (t) => {
        if (isFullLoad(t)) {
          if (bothDone(t)) await moveWatermark(t, fullLoadMark(t));
        } else if (max !== undefined) {
          await moveWatermark(t, { created: 0, events: max });
        }
      }),
      ...(keepEvents
        ? [
            moveWatermark(EVENTS, {
              created: max ?? plans.get(EVENTS)!.window.gte,
              events: max ?? plans.get(EVENTS)!.window.gte,
            }),
          ]
        : []),
    ]);
  };

  const pending = new Map<string, number>();
  const inflight = new Set<Promise<void>>();
  const sliceLimit = pLimit(Math.max(2, settings.EXTRACT_CONCURRENCY * 2));
  const groupOf = (t: Task) => (t.kind === 'events' ? ' events-pass' : t.def.name);

  const schedule = (task: Task) => {
    const group = groupOf(task);
    pending.set(group, (pending.get(group) ?? 0) + 1);
    const p = sliceLimit(async () => {
      if (signal.aborted) return;
      await runTask(task);
    })
      .then(async () => {
        const left = (pending.get(group) ?? 1) - 1;
        pending.set(group, left);
        if (left === 0 && !signal.aborted) {
          await (task.kind === 'events' ? completeEvents() : completeApi(task.def));
        }
      })
      .catch(fail)
      .finally(() => inflight.delete(p));
    inflight.add(p);
  };

  const limit = settings.MAX_PAGE_SIZE;
  const ingestedAt = () => new Date().toISOString();
  const children = new ChildReader({ client, sink, quarantine, runId, pageSize: limit, signal });

  const runTask = async (task: Task) => {
    const { def } = task;
    let gte = task.window.gte;
    const lt = task.window.lt;
    let startingAfter: string | undefined;
    // Every cursor this slice has paged from: one seen again means the source is not moving it.
    const cursors = new Set<string>();
    for (let first = true; ; first = false) {
      signal.throwIfAborted();
      const params = {
        limit,
        'created[gte]': gte,
        'created[lt]': lt,
        ...def.listParams,
        starting_after: startingAfter,
      };
      const raw = await client.listRawPage(def.name, def.endpoint, params, signal);
      const paging = checkPaging(def, raw, limit, startingAfter, cursors);
      const { good, rejected } = screenItems(
        raw.items,
        task.kind === 'api' ? 'object' : 'event',
        raw.sourceTime,
      );
      quarantineAll(task.kind === 'api' ? def.name : EVENTS, def.endpoint, task.kind, rejected);
      const page = { ...raw, items: good };
      await (task.kind === 'api' ? handleApiPage(task, page) : handleEventsPage(page));
      const last = raw.items.at(-1);
      const next = { id: paging.next, created: last?.created, count: raw.items.length, hasMore: raw.hasMore };
      if (next.id === undefined) break;
      startingAfter = next.id;
      // A dense slice while other slices run short: list the older part as new concurrent
      // slices; this one keeps only the objects created in the same second as the last one seen
      // (its cursor stays valid). Only then, since every split adds a part-filled page.
      const oldest = next.created;
      const starving = sliceLimit.pendingCount < settings.EXTRACT_CONCURRENCY;
      if (first && starving && next.count >= limit && typeof oldest === 'number' && oldest - gte >= 2) {
        const estPages = (oldest - gte) / Math.max(1, lt - oldest);
        if (estPages >= 8) {
          for (const w of splitEvenly({ gte, lt: oldest }, Math.min(8, Math.floor(estPages / 4)))) {
            schedule({ ...task, window: w });
          }
          gte = oldest;
        }
      }
    }
  };

  const writeBatches = async (batches: Batches) => {
    for (const b of batches.values()) await sink.write(b.entity, b.dt, linesOf(b), b.records);
  };

  const progress = (name: string) => {
    const s = stats.get(name);
    if (s) opts.onProgress?.({ entity: name, pages: s.pages, records: s.records, retries: s.retries });
  };

  const quarantineAll = (entity: string, path: string, source: string, rejected: readonly Rejected[]) => {
    for (const r of rejected) quarantine.add({ entity, source, path, reason: r.reason, raw: r.item.json });
  };

  const handleApiPage = async (task: Task, page: RawListPage) => {
    const s = stats.get(task.def.name)!;
    const { batches, maxCreated } = apiPageBatches(
      page.items,
      {
        entity: task.def.name,
        run_id: runId,
        ingested_at: ingestedAt(),
        source: 'api',
        version_ts: page.sourceTime,
      },
      task.window.gte,
      task.window.lt,
    );
    await writeBatches(batches);
    await children.fromObjects(task.def.name, page.items, page.sourceTime);
    s.pages++;
    s.records += page.items.length;
    s.retries += page.retries;
    if (maxCreated !== undefined && (s.maxCreated === undefined || maxCreated > s.maxCreated)) {
      s.maxCreated = maxCreated;
    }
    if (s.firstSourceTime === undefined || page.sourceTime < s.firstSourceTime)
      s.firstSourceTime = page.sourceTime;
    progress(task.def.name);
  };

  const handleEventsPage = async (page: RawListPage) => {
    const { batches, maxCreated, routed, rejected } = eventPageBatches(page.items, {
      runId,
      ingestedAt: ingestedAt(),
      keepEvents,
      targets: routing,
      ...(passWindow ? { windowEnd: passWindow.lt } : {}),
      sourceNowSeconds: page.sourceTime,
    });
    quarantineAll(EVENTS, '/v1/events', 'events', rejected);
    await writeBatches(batches);
    await children.fromEvents(page.items, (e) => routing.get(e) === 'all');
    if (maxCreated !== undefined && (passMaxCreated === undefined || maxCreated > passMaxCreated)) {
      passMaxCreated = maxCreated;
    }
    const ev = stats.get(EVENTS);
    if (ev) {
      ev.pages++;
      ev.retries += page.retries;
      if (keepEvents) ev.records += page.items.length;
    }
    for (const [name, n] of routed) {
      stats.get(name)!.records += n;
      progress(name);
    }
    progress(EVENTS);
  };

  try {
    const sliceSeconds = opts.sliceSeconds ?? DAY_SECONDS;
    for (const d of selected) {
      if (d.name === EVENTS) continue;
      const slices = timeSlices(plans.get(d.name)!.window, sliceSeconds);
      if (slices.length === 0) {
        // Nothing to list (window ends where it starts): still a completed load.
        pending.set(d.name, 1);
        const p = completeApi(d)
          .catch(fail)
          .finally(() => inflight.delete(p));
        inflight.add(p);
        continue;
      }
      for (const w of slices) schedule({ kind: 'api', def: d, window: w });
    }
    if (passWindow) {
      for (const w of timeSlices(passWindow, sliceSeconds))
        schedule({ kind: 'events', def: entityDef(EVENTS), window: w });
    }
    while (inflight.size > 0) await Promise.all([...inflight]);
  } finally {
    opts.signal?.removeEventListener('abort', onOuterAbort);
    await client.close().catch(() => {});
    // Whatever was written is valid Bronze: upload it even on failure (no watermark covers it).
    await sink.close().catch((err: unknown) => {
      if (!failure) fail(err);
    });
    // Records already set aside stay set aside, whatever else failed.
    await quarantine.close().catch((err: unknown) => {
      if (!failure) fail(err);
    });
  }
  if (failure) throw failure.error;

  const entities: Record<string, EntityExtractReport> = {};
  for (const d of selected) {
    const s = stats.get(d.name)!;
    const window = d.name === EVENTS && passWindow ? passWindow : plans.get(d.name)!.window;
    entities[d.name] = {
      window: { gte: window.gte, lt: window.lt },
      pages: s.pages,
      records: s.records,
      retries: s.retries,
      bronze_keys: sink.keysOf(d.name),
      ...(quarantine.quarantined[d.name] ? { quarantined: quarantine.quarantined[d.name] } : {}),
    };
  }
  // child collections, read through their parents (within the parent's window)
  for (const [child, c] of children.stats) {
    const parent = SILVER_CONTRACTS[child].bronze.parent!.entity;
    const window = plans.get(parent)?.window ?? passWindow ?? { gte: end, lt: end };
    entities[child] = {
      window: { gte: window.gte, lt: window.lt },
      pages: c.pages,
      records: c.records,
      retries: c.retries,
      bronze_keys: sink.keysOf(child),
      ...(quarantine.quarantined[child] ? { quarantined: quarantine.quarantined[child] } : {}),
    };
  }
  const bronzeKeys = Object.values(entities)
    .flatMap((e) => e.bronze_keys)
    .sort();
  logger.info(
    { records: Object.values(entities).reduce((n, e) => n + e.records, 0), parts: bronzeKeys.length },
    'extraction finished',
  );
  return { entities, bronzeKeys };
}

/**
 * The cursor of a list's next page, or undefined on its last page; a `ProtocolError` naming the
 * entity when the source breaks the list protocol in a way that would loop forever or skip
 * objects (SPEC 15): a cursor it already paged from (a server ignoring `starting_after`, or
 * cycling), `has_more` on an empty page, a last object without an id, more objects than `limit`.
 */
export function checkPaging(
  def: Pick<EntityDef, 'name' | 'endpoint'>,
  page: Pick<RawListPage, 'items' | 'hasMore'>,
  limit: number,
  startingAfter: string | undefined,
  cursors: Set<string>,
): { next: string | undefined } {
  const fail = (detail: string) => new ProtocolError(def.name, def.endpoint, detail);
  if (page.items.length > limit) {
    throw fail(`${page.items.length} objects on a page asked for at most limit=${limit}`);
  }
  if (!page.hasMore) return { next: undefined };
  if (page.items.length === 0) throw fail('has_more is true on an empty page: the list cannot go on');
  const id = page.items.at(-1)?.id;
  if (id === undefined) throw fail('has_more is true but the last object has no string "id" to page from');
  if (startingAfter !== undefined) cursors.add(startingAfter);
  if (cursors.has(id)) {
    throw fail(
      `the list cursor does not advance: the page after starting_after=${startingAfter} ends with ${id} again (the source ignores starting_after or repeats pages)`,
    );
  }
  return { next: id };
}

function iso(unix: number): string {
  return new Date(unix * 1000).toISOString();
}
