import { setMaxListeners } from 'node:events';
import type { Settings } from '../config/settings.js';
import { SILVER_CONTRACTS } from '../contracts/silver.js';
import type { EntityDef, EntityName } from '../entities/entity.js';
import { dependencyOrder, entity as entityDef } from '../entities/lookups.js';
import type { ErrorKind } from '../errors.js';
import type { Logger } from '../obs/logger.js';
import { QuarantineSink } from '../quarantine/sink.js';
import { createStripeClient } from '../source/create-client.js';
import { advanceWatermark, readWatermark, type Watermark } from '../state/watermarks.js';
import type { ObjectStore } from '../storage/object-store.js';
import { BronzeCompletion } from './bronze-completion.js';
import { BronzeSink } from './bronze-sink.js';
import { ChildReader } from './child-reads.js';
import { EVENTS, type ExtractPlan, planExtraction } from './extract-plan.js';
import { ExtractStats } from './extract-stats.js';
import { fetchKinds, type Task } from './fetch-kinds.js';
import { SliceScheduler } from './slice-scheduler.js';
import { type Mark, serialPerKey, WatermarkAdvance } from './watermark-advance.js';
import type { TimeWindow } from './windows.js';

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
  /** The run's end time, Unix seconds: the exclusive end of every window, fixed for the run. */
  readonly until: number;
  /** First-run history in days (default `DEFAULT_DAYS`). */
  readonly days?: number;
  /** Re-extract `[from, to)` regardless of watermarks; no watermark moves. */
  readonly backfill?: { readonly from: number; readonly to: number };
  readonly onProgress?: (p: { entity: string; pages: number; records: number; retries: number }) => void;
  /**
   * Entities (and child collections) whose Bronze for this run is complete and durable, as they
   * complete (`BronzeCompletion`): their Silver may be typed while the rest is fetched.
   */
  readonly onBronzeComplete?: (entities: readonly string[]) => void;
  readonly signal?: AbortSignal;
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

/** Wrong options given to `runExtract` (a usage error). */
export class ExtractOptionsError extends Error {
  override readonly name = 'ExtractOptionsError';
  readonly kind: ErrorKind = 'usage';
}

/**
 * Incremental extraction to Bronze (SPEC section 5). Per entity, lists `[watermark - safety, end)`
 * (the last `days` days on a first run) in time slices fetched concurrently, all entities under
 * one limiter; then one pass over `/v1/events` routes updates and deletions of already loaded
 * entities into their Bronze and stores the raw events. Records stream to Bronze parts as pages
 * arrive; a watermark moves (forwards only) once the Bronze behind it is durable.
 *
 * The parts: `planExtraction` (windows and the events pass), `SliceScheduler` (slices under one
 * limit, a group completed when its last slice is done), `listSlice` (paging one slice),
 * `fetchKinds` (what each kind of fetch lists, writes and completes), `WatermarkAdvance` (which
 * watermark moves when).
 *
 * @example
 * const report = await runExtract({ store, settings, logger, runId, baseUrl, apiKey });
 * report.entities.charges.records;
 */
export async function runExtract(opts: ExtractOptions): Promise<ExtractReport> {
  const { store, settings, logger, runId } = opts;
  const end = opts.until;
  const { days, backfill } = checkOptions(opts, settings.DEFAULT_DAYS);
  const selected = dependencyOrder().filter((d) => !opts.entities || opts.entities.includes(d.name));

  // Watermarks are read together; an unreadable one fails the run before any request.
  const watermarks = new Map<string, Watermark | undefined>();
  await Promise.all(selected.map(async (d) => watermarks.set(d.name, await readWatermark(store, d.name))));
  const plan = planExtraction({
    entities: selected,
    watermarks,
    end,
    days,
    safetySeconds: settings.SAFETY_WINDOW_SECONDS,
    ...(backfill ? { backfill } : {}),
  });
  logPlan(logger, plan, watermarks, days);

  const stats = new ExtractStats(
    selected.map((d) => d.name),
    new Set(selected.filter((d) => d.unsettledStatuses).map((d) => d.name)),
  );
  const sink = await BronzeSink.create({
    store,
    runId,
    ...(opts.maxPartBytes ? { maxPartBytes: opts.maxPartBytes } : {}),
  });
  const quarantine = new QuarantineSink(store, runId, (q) =>
    logger.warn(q, `${q.entity}: quarantined an unreadable record from ${q.path}: ${q.reason}`),
  );
  // the options name the source: base URL, key, rate limit
  const client = createStripeClient(opts);
  const abort = new FirstFailure(opts.signal);
  const children = new ChildReader({
    client,
    sink,
    quarantine,
    runId,
    pageSize: settings.MAX_PAGE_SIZE,
    signal: abort.signal,
  });
  const kinds = fetchKinds({
    runId,
    plan,
    sink,
    children,
    quarantine,
    stats,
    advance: new WatermarkAdvance(plan, end),
    writeMark: serialPerKey((name: string, mark: Mark) => advanceWatermark(store, name, mark, runId)),
    ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
  });
  const completion = new BronzeCompletion(
    selected.map((d) => d.name),
    plan,
  );
  const scheduler: SliceScheduler<Task> = new SliceScheduler<Task>({
    concurrency: Math.max(2, settings.EXTRACT_CONCURRENCY * 2),
    signal: abort.signal,
    groupOf: (t) => kinds[t.kind].group(t),
    onGroupDone: async (t) => {
      await kinds[t.kind].complete(t);
      const done = t.kind === 'events' ? completion.passDone() : completion.listed(t.def.name);
      if (done.length > 0) opts.onBronzeComplete?.(done);
    },
    onError: (err) => abort.fail(err),
    run: (task) =>
      kinds[task.kind].list(task, {
        client,
        limit: settings.MAX_PAGE_SIZE,
        signal: abort.signal,
        starving: () => scheduler.waiting < settings.EXTRACT_CONCURRENCY,
        split: (windows) => {
          for (const window of windows) scheduler.schedule({ ...task, window });
        },
      }),
  });

  try {
    for (const task of initialTasks(selected, plan)) {
      // A window that ends where it starts has nothing to list: still a completed load.
      if (task.window.lt <= task.window.gte) scheduler.completeEmpty(task);
      else scheduler.schedule(task);
    }
    await scheduler.drain();
  } finally {
    abort.dispose();
    await client.close().catch(() => {});
    // Whatever was written is valid Bronze: upload it even on failure (no watermark covers it).
    await sink.close().catch((err: unknown) => abort.failIfFirst(err));
    // Records already set aside stay set aside, whatever else failed.
    await quarantine.close().catch((err: unknown) => abort.failIfFirst(err));
  }
  abort.throwIfFailed();

  const entities: Record<string, EntityExtractReport> = {};
  for (const d of selected) {
    const s = stats.of(d.name);
    const window = d.name === EVENTS && plan.pass ? plan.pass.window : plan.entities.get(d.name)!.window;
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
    const window = plan.entities.get(parent)?.window ?? plan.pass?.window ?? { gte: end, lt: end };
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
 * The first slices of the run: each entity's window whole, then the events pass's. A window's
 * first page decides how the rest is sliced (`followDensity`), so an entity that fits a page costs
 * one request; more slices come from those splits and from dense slices splitting.
 */
export function initialTasks(selected: readonly EntityDef[], plan: ExtractPlan): Task[] {
  const tasks: Task[] = [];
  for (const def of selected) {
    if (def.name === EVENTS) continue;
    tasks.push({ kind: 'api', def, window: plan.entities.get(def.name)!.window });
  }
  if (plan.pass) tasks.push({ kind: 'events', def: entityDef(EVENTS), window: plan.pass.window });
  return tasks;
}

function checkOptions(
  opts: Pick<ExtractOptions, 'days' | 'backfill'>,
  defaultDays: number,
): { days: number; backfill: TimeWindow | undefined } {
  const days = opts.days ?? defaultDays;
  if (!Number.isInteger(days) || days < 1)
    throw new ExtractOptionsError(`days must be a positive integer, got ${days}`);
  const backfill = opts.backfill ? { gte: opts.backfill.from, lt: opts.backfill.to } : undefined;
  if (backfill && !(backfill.gte < backfill.lt)) {
    throw new ExtractOptionsError(
      `backfill window is empty: from ${backfill.gte} is not before to ${backfill.lt}`,
    );
  }
  return { days, backfill };
}

function logPlan(
  logger: Logger,
  plan: ExtractPlan,
  watermarks: ReadonlyMap<string, Watermark | undefined>,
  days: number,
): void {
  for (const [name, p] of plan.entities) {
    if (p.mode === 'stale') {
      const wm = watermarks.get(name);
      logger.warn(
        { entity: name, events_watermark: wm?.events_watermark },
        `${name}: events watermark ${iso(wm?.events_watermark ?? 0)} is older than 30 days (Stripe keeps events for 30 days), so its changes cannot be caught up from events: re-extracting the last ${days} days`,
      );
    }
    logger.info(
      { entity: name, mode: p.mode, gte: p.window.gte, lt: p.window.lt },
      `${name}: ${p.mode} window [${iso(p.window.gte)}, ${iso(p.window.lt)})`,
    );
  }
}

/**
 * The run's internal abort: the caller's signal, or the first failure, stops every other slice;
 * the error thrown is the first failure (or the caller's reason when the caller aborted).
 */
class FirstFailure {
  private readonly ctl = new AbortController();
  private failure: { error: unknown } | undefined;
  private readonly onOuterAbort = () => this.ctl.abort(this.outer?.reason);

  constructor(private readonly outer: AbortSignal | undefined) {
    if (outer?.aborted) this.ctl.abort(outer.reason);
    outer?.addEventListener('abort', this.onOuterAbort, { once: true });
    // Every slice and request listens on it: more than Node's default 10 listeners is expected.
    setMaxListeners(0, this.ctl.signal);
  }

  get signal(): AbortSignal {
    return this.ctl.signal;
  }

  fail(error: unknown): void {
    if (!this.failure) this.failure = { error: this.outer?.aborted ? this.outer.reason : error };
    if (!this.ctl.signal.aborted) this.ctl.abort(error);
  }

  /** A failure while closing counts only when nothing failed before it. */
  failIfFirst(error: unknown): void {
    if (!this.failure) this.fail(error);
  }

  throwIfFailed(): void {
    if (this.failure) throw this.failure.error;
  }

  dispose(): void {
    this.outer?.removeEventListener('abort', this.onOuterAbort);
  }
}

function iso(unix: number): string {
  return new Date(unix * 1000).toISOString();
}
