/**
 * Window and slice arithmetic of extraction (SPEC section 5). Pure: all times are Unix seconds.
 */

export const DAY_SECONDS = 86_400;

/** Stripe keeps events for 30 days: an older events watermark cannot be caught up from events. */
export const EVENTS_RETENTION_SECONDS = 30 * DAY_SECONDS;

/** A half-open range of `created` times, `[gte, lt)`. */
export interface TimeWindow {
  readonly gte: number;
  readonly lt: number;
}

/** How an entity is extracted in this run. */
export type ExtractMode =
  /** No watermark yet: the last `days` days. */
  | 'first'
  /** From the created watermark (minus the safety window); changes come from the events pass. */
  | 'incremental'
  /** The events watermark is older than Stripe's event retention: extracted again like a first run. */
  | 'stale'
  /** A closed window asked for explicitly, regardless of watermarks. */
  | 'backfill';

export interface EntityPlan {
  readonly mode: ExtractMode;
  /** The `created` window listed from the API. */
  readonly window: TimeWindow;
  /** Where this entity's share of the events pass starts (entities whose changes emit events). */
  readonly eventsFrom?: number;
}

export interface PlanInput {
  readonly watermark?: {
    readonly created: number;
    readonly events: number;
    /**
     * Where the objects that may still change without an event start, as the last listing saw
     * them (`Watermark.unsettled_from`): the lookback reaches back no further.
     */
    readonly unsettled?: number;
  };
  /** Exclusive end of every window of the run. */
  readonly end: number;
  readonly safetySeconds: number;
  /** History of a first (or stale) load, days. */
  readonly days: number;
  /** Extra re-read before the window start for entities that change without events. */
  readonly changeLookbackSeconds: number;
  readonly backfill?: TimeWindow;
  /** Whether this entity takes part in the events pass (the events log itself does not). */
  readonly usesEvents: boolean;
}

/**
 * The window of one entity: `[max(0, watermark - safety - lookback), end)` once loaded,
 * `[end - days, end)` on a first run or when the events watermark is beyond Stripe's retention.
 * With `unsettled` (the oldest object the last listing saw that may still change) the lookback
 * starts there instead, when that is later: `[max(watermark - safety - lookback,
 * min(unsettled, watermark - safety)), end)`.
 *
 * @example
 * planEntity({ watermark: { created: 1000, events: 1000 }, end: 5000, safetySeconds: 300,
 *   days: 30, changeLookbackSeconds: 0, usesEvents: true });
 * // { mode: 'incremental', window: { gte: 700, lt: 5000 }, eventsFrom: 700 }
 */
export function planEntity(p: PlanInput): EntityPlan {
  if (p.backfill) return { mode: 'backfill', window: { gte: p.backfill.gte, lt: p.backfill.lt } };
  const full: TimeWindow = { gte: Math.max(0, p.end - p.days * DAY_SECONDS), lt: p.end };
  // A list never shows what was deleted before it (a deleted customer): on a full load, the
  // events of the same window supply those tombstones (Stripe returns the 30 days it keeps).
  const fullEvents = p.usesEvents ? { eventsFrom: full.gte } : {};
  if (!p.watermark) return { mode: 'first', window: full, ...fullEvents };
  if (p.usesEvents && p.end - p.watermark.events > EVENTS_RETENTION_SECONDS) {
    return { mode: 'stale', window: full, ...fullEvents };
  }
  const from = p.watermark.created - p.safetySeconds;
  let gte = from - p.changeLookbackSeconds;
  if (p.watermark.unsettled !== undefined) gte = Math.max(gte, Math.min(p.watermark.unsettled, from));
  const window = { gte: Math.min(Math.max(0, gte), p.end), lt: p.end };
  if (!p.usesEvents) return { mode: 'incremental', window };
  return { mode: 'incremental', window, eventsFrom: Math.max(0, p.watermark.events - p.safetySeconds) };
}

/**
 * Splits a window into slices that never cross a UTC midnight (so each slice's records fall in one
 * Bronze `dt`) and span at most `maxSeconds`. Newest first, so the most recent data lands first.
 *
 * @example
 * timeSlices({ gte: 0, lt: 2 * 86_400 + 10 }); // [[172800,172810), [86400,172800), [0,86400)]
 */
export function timeSlices(w: TimeWindow, maxSeconds = DAY_SECONDS): TimeWindow[] {
  if (maxSeconds <= 0) throw new RangeError(`slice length must be positive, got ${maxSeconds}`);
  const out: TimeWindow[] = [];
  let lt = w.lt;
  while (lt > w.gte) {
    const dayStart = Math.floor((lt - 1) / DAY_SECONDS) * DAY_SECONDS;
    const gte = Math.max(w.gte, dayStart, lt - maxSeconds);
    out.push({ gte, lt });
    lt = gte;
  }
  return out;
}

/**
 * Splits a window into slices of at most `days` whole UTC days (the newest one ends at `w.lt`,
 * every other boundary is a UTC midnight), newest first. `daySlices(w, 1)` is `timeSlices(w)`.
 *
 * @example
 * daySlices({ gte: 0, lt: 5 * 86_400 + 10 }, 2); // [[3d, 5d+10), [1d, 3d), [0, 1d)]
 */
export function daySlices(w: TimeWindow, days: number): TimeWindow[] {
  if (!Number.isInteger(days) || days < 1)
    throw new RangeError(`slice days must be a positive integer, got ${days}`);
  const out: TimeWindow[] = [];
  let lt = w.lt;
  while (lt > w.gte) {
    const gte = Math.max(w.gte, (Math.floor((lt - 1) / DAY_SECONDS) - (days - 1)) * DAY_SECONDS);
    out.push({ gte, lt });
    lt = gte;
  }
  return out;
}

/**
 * Pages a slice is cut for when a window's first page shows its density: each slice costs about
 * one part-filled page, and slices of a few pages still leave work for every worker.
 */
export const PAGES_PER_SLICE = 4;

/** Slices a first page plans ahead; what is older is one more window, sliced by its own first page. */
export const SLICES_AHEAD = 8;

/** What a window's first page says about the rest of the window. */
export interface FirstPage {
  /** `created` of its first (newest) and last (oldest) object; pages run newest first. */
  readonly newest: number;
  readonly oldest: number;
  /** Whether the list has more (`has_more`). */
  readonly hasMore: boolean;
}

/** How a slice goes on after its first page. */
export interface AfterFirstPage {
  /** The slice's own cursor goes on down to this `created[gte]`. */
  readonly gte: number;
  /** Older parts of the window, listed as new slices. */
  readonly split: TimeWindow[];
}

/**
 * Slices that follow density (SPEC 5). A window is first asked for whole: if its first page has no
 * more, that was all of it (one request for a sparse entity, not one per day). Otherwise the page
 * shows the density: the older part `[w.gte, oldest)` is cut into slices of about
 * `PAGES_PER_SLICE` pages at that density, of whole UTC days (one day at most for an entity with
 * more than a page a day, as extraction sliced before), and the slice's own cursor goes on through
 * the newest of them (so the objects sharing the second of the page's last one need no request of
 * their own). Only `SLICES_AHEAD` slices are planned so: what is older is one more window, whose
 * own first page measures its density again (so an older part that is sparser, or empty, costs a
 * request, not one per day). When the rest looks like `PAGES_PER_SLICE` pages or fewer, the
 * cursor goes on to the window's start, unsplit. Pure.
 *
 * @example
 * followDensity({ gte: 0, lt: 400 * 86_400 }, { newest: 400 * 86_400 - 1, oldest: 398 * 86_400, hasMore: true });
 * // ~200 pages more at 2 days a page: 8-day slices, the cursor going on through the newest one,
 * // 8 more slices, then the rest [0, 326d) as one window
 */
export function followDensity(w: TimeWindow, page: FirstPage): AfterFirstPage {
  // an object outside the window asked for (a source ignoring `created`) must not widen it
  const oldest = Math.min(page.oldest, w.lt);
  if (!page.hasMore || oldest <= w.gte) return { gte: w.gte, split: [] };
  const secondsPerPage = Math.max(1, page.newest - oldest);
  if ((oldest - w.gte) / secondsPerPage <= PAGES_PER_SLICE) return { gte: w.gte, split: [] };
  const days = Math.max(1, Math.floor((PAGES_PER_SLICE * secondsPerPage) / DAY_SECONDS));
  const [through, ...older] = daySlices({ gte: w.gte, lt: oldest }, days);
  if (older.length <= SLICES_AHEAD) return { gte: through!.gte, split: older };
  // The rest beyond a few slices is one window again, asked for whole: its own first page measures
  // its density (an older part may be sparser, or empty: events beyond Stripe's 30 days of them).
  const rest = { gte: w.gte, lt: older[SLICES_AHEAD]!.lt };
  return { gte: through!.gte, split: [...older.slice(0, SLICES_AHEAD), rest] };
}

/**
 * Splits `[gte, lt)` into `n` contiguous parts of nearly equal length (for re-slicing a dense
 * slice); fewer when the range is shorter than `n` seconds.
 */
export function splitEvenly(w: TimeWindow, n: number): TimeWindow[] {
  const span = w.lt - w.gte;
  const parts = Math.max(1, Math.min(n, span));
  const out: TimeWindow[] = [];
  for (let i = 0; i < parts; i++) {
    const gte = w.gte + Math.floor((span * i) / parts);
    const lt = w.gte + Math.floor((span * (i + 1)) / parts);
    if (lt > gte) out.push({ gte, lt });
  }
  return out;
}

/**
 * A dense slice's older part as new slices, when the first full page of `w` ends at `oldest`
 * (pages run newest first): the part `[w.gte, oldest)` is split into up to 8 slices when it looks
 * like 8 or more pages at the density of the page just read; else none. The slice itself then
 * goes on from `oldest` (its cursor stays valid for the objects created in that second).
 *
 * @example
 * splitDense({ gte: 0, lt: 1000 }, 990); // 8 slices of [0, 990): ~99 pages at 10 s a page
 * splitDense({ gte: 0, lt: 1000 }, 100); // []: ~0.1 pages left
 */
export function splitDense(w: TimeWindow, oldest: number): TimeWindow[] {
  if (oldest - w.gte < 2) return [];
  const estPages = (oldest - w.gte) / Math.max(1, w.lt - oldest);
  if (estPages < 8) return [];
  return splitEvenly({ gte: w.gte, lt: oldest }, Math.min(8, Math.floor(estPages / 4)));
}
