import { describe, expect, it } from 'vitest';
import {
  DAY_SECONDS,
  daySlices,
  followDensity,
  PAGES_PER_SLICE,
  planEntity,
  SLICES_AHEAD,
  splitDense,
  splitEvenly,
  timeSlices,
} from './windows.js';

const base = { safetySeconds: 300, days: 30, changeLookbackSeconds: 0, usesEvents: true };
const END = 1_700_000_000;

describe('planEntity', () => {
  it('loads DEFAULT_DAYS back from the end on a first run', () => {
    expect(planEntity({ ...base, end: END })).toEqual({
      mode: 'first',
      window: { gte: END - 30 * DAY_SECONDS, lt: END },
      eventsFrom: END - 30 * DAY_SECONDS,
    });
    expect(planEntity({ ...base, end: 1000 }).window).toEqual({ gte: 0, lt: 1000 });
    // Tombstones of objects deleted before the load come from the events Stripe still keeps.
    expect(planEntity({ ...base, days: 90, end: END }).eventsFrom).toBe(END - 90 * DAY_SECONDS);
    expect(planEntity({ ...base, usesEvents: false, end: END }).eventsFrom).toBeUndefined();
  });

  it('starts at the watermark minus the safety window afterwards', () => {
    const p = planEntity({ ...base, end: END, watermark: { created: END - 3600, events: END - 60 } });
    expect(p).toEqual({
      mode: 'incremental',
      window: { gte: END - 3900, lt: END },
      eventsFrom: END - 360,
    });
    expect(planEntity({ ...base, end: 1000, watermark: { created: 100, events: 100 } }).window.gte).toBe(0);
  });

  it('reaches further back by the change lookback, for the window only', () => {
    const p = planEntity({
      ...base,
      end: END,
      usesEvents: false,
      changeLookbackSeconds: 10 * DAY_SECONDS,
      watermark: { created: END - 100, events: END - 100 },
    });
    expect(p.window.gte).toBe(END - 100 - 300 - 10 * DAY_SECONDS);
    expect(p.eventsFrom).toBeUndefined();
  });

  it('reaches back only to the oldest unsettled object the last listing saw, within the lookback', () => {
    const plan = (unsettled: number) =>
      planEntity({
        ...base,
        end: END,
        usesEvents: false,
        changeLookbackSeconds: 10 * DAY_SECONDS,
        watermark: { created: END - 100, events: END - 100, unsettled },
      }).window.gte;
    // two days back: only those two days are read again
    expect(plan(END - 2 * DAY_SECONDS)).toBe(END - 2 * DAY_SECONDS);
    // nothing unsettled (the mark is the last window's end): the plain safety window
    expect(plan(END - 50)).toBe(END - 100 - 300);
    // older than the lookback: the lookback bounds it, as before
    expect(plan(END - 30 * DAY_SECONDS)).toBe(END - 100 - 300 - 10 * DAY_SECONDS);
  });

  it('re-extracts fully when the events watermark is beyond the 30 days of retention', () => {
    const wm = { created: END - 100, events: END - 31 * DAY_SECONDS };
    expect(planEntity({ ...base, end: END, watermark: wm }).mode).toBe('stale');
    expect(planEntity({ ...base, end: END, watermark: { ...wm, events: END - 29 * DAY_SECONDS } }).mode).toBe(
      'incremental',
    );
    // The event log itself does not depend on events watermarks for its updates.
    expect(planEntity({ ...base, usesEvents: false, end: END, watermark: wm }).mode).toBe('incremental');
  });

  it('takes a backfill window as given', () => {
    expect(
      planEntity({ ...base, end: END, backfill: { gte: 10, lt: 20 }, watermark: { created: 5, events: 5 } }),
    ).toEqual({ mode: 'backfill', window: { gte: 10, lt: 20 } });
  });

  it('never starts after the end (watermark ahead of --until)', () => {
    const p = planEntity({ ...base, end: 1000, watermark: { created: 5000, events: 1000 } });
    expect(p.window).toEqual({ gte: 1000, lt: 1000 });
  });
});

describe('timeSlices', () => {
  it('cuts at UTC midnight, newest first, covering the window exactly', () => {
    const w = { gte: 3600, lt: 2 * DAY_SECONDS + 10 };
    expect(timeSlices(w)).toEqual([
      { gte: 2 * DAY_SECONDS, lt: 2 * DAY_SECONDS + 10 },
      { gte: DAY_SECONDS, lt: 2 * DAY_SECONDS },
      { gte: 3600, lt: DAY_SECONDS },
    ]);
  });

  it('bounds slice length and stays within one day', () => {
    const w = { gte: 1000, lt: 3 * DAY_SECONDS + 5000 };
    const slices = timeSlices(w, 6 * 3600);
    let covered = 0;
    for (const s of slices) {
      expect(s.lt - s.gte).toBeLessThanOrEqual(6 * 3600);
      expect(Math.floor(s.gte / DAY_SECONDS)).toBe(Math.floor((s.lt - 1) / DAY_SECONDS));
      covered += s.lt - s.gte;
    }
    expect(covered).toBe(w.lt - w.gte);
    expect(slices.at(-1)?.gte).toBe(1000);
    for (let i = 1; i < slices.length; i++) expect(slices[i]!.lt).toBe(slices[i - 1]!.gte);
  });

  it('is empty for an empty window and rejects a zero length', () => {
    expect(timeSlices({ gte: 10, lt: 10 })).toEqual([]);
    expect(() => timeSlices({ gte: 0, lt: 10 }, 0)).toThrow(RangeError);
  });
});

describe('splitEvenly', () => {
  it('partitions the range contiguously', () => {
    expect(splitEvenly({ gte: 0, lt: 10 }, 3)).toEqual([
      { gte: 0, lt: 3 },
      { gte: 3, lt: 6 },
      { gte: 6, lt: 10 },
    ]);
    expect(splitEvenly({ gte: 5, lt: 7 }, 8)).toEqual([
      { gte: 5, lt: 6 },
      { gte: 6, lt: 7 },
    ]);
  });
});

describe('splitDense', () => {
  it('splits the older part only when it looks like 8 pages or more', () => {
    expect(splitDense({ gte: 0, lt: 1000 }, 990)).toEqual(splitEvenly({ gte: 0, lt: 990 }, 8));
    // ~9 pages older: floor(9 / 4) = 2 slices; ~4 pages: none.
    expect(splitDense({ gte: 0, lt: 1000 }, 900)).toHaveLength(2);
    expect(splitDense({ gte: 0, lt: 1000 }, 800)).toEqual([]);
    expect(splitDense({ gte: 0, lt: 10 }, 1)).toEqual([]);
  });
});

describe('daySlices', () => {
  it('cuts whole UTC days, the newest slice ending at the window end', () => {
    const d = DAY_SECONDS;
    expect(daySlices({ gte: 10, lt: 5 * d + 7 }, 2)).toEqual([
      { gte: 4 * d, lt: 5 * d + 7 },
      { gte: 2 * d, lt: 4 * d },
      { gte: 10, lt: 2 * d },
    ]);
    expect(daySlices({ gte: 10, lt: 3 * d }, 1)).toEqual(timeSlices({ gte: 10, lt: 3 * d }));
    expect(daySlices({ gte: 5, lt: 5 }, 3)).toEqual([]);
    expect(() => daySlices({ gte: 0, lt: 10 }, 0)).toThrow(RangeError);
  });
});

describe('followDensity', () => {
  const d = DAY_SECONDS;
  const year = { gte: 0, lt: 366 * d };

  it('takes a first page without more as the whole window', () => {
    expect(followDensity(year, { newest: 300 * d, oldest: 2 * d, hasMore: false })).toEqual({
      gte: 0,
      split: [],
    });
  });

  it('goes on with the cursor, unsplit, when the rest looks like a few pages', () => {
    // the page covered 100 days: the 250 older days look like 2.5 pages
    expect(followDensity(year, { newest: 350 * d, oldest: 250 * d, hasMore: true })).toEqual({
      gte: 0,
      split: [],
    });
  });

  it('cuts the older part of a sparse entity into slices of several days, going on through the newest', () => {
    // a page per 2 days: slices of PAGES_PER_SLICE pages = 8 days, the cursor through [350d, 358d)
    const after = followDensity(year, { newest: 360 * d, oldest: 358 * d, hasMore: true });
    expect(PAGES_PER_SLICE * 2).toBe(8);
    expect(after.gte).toBe(350 * d);
    expect(after.split[0]).toEqual({ gte: 342 * d, lt: 350 * d });
    // SLICES_AHEAD slices, then the rest as one window that its own first page will slice
    expect(after.split).toHaveLength(SLICES_AHEAD + 1);
    expect(after.split[SLICES_AHEAD - 1]).toEqual({ gte: 286 * d, lt: 294 * d });
    expect(after.split.at(-1)).toEqual({ gte: 0, lt: 286 * d });
  });

  it('slices a dense entity by UTC day, the cursor going on through the rest of its newest day', () => {
    // a page per 8 hours: one-day slices, as extraction sliced every entity before
    const after = followDensity(year, { newest: 366 * d - 1, oldest: 365 * d + 16 * 3600, hasMore: true });
    expect(after.gte).toBe(365 * d);
    expect(after.split).toEqual([...timeSlices({ gte: 357 * d, lt: 365 * d }), { gte: 0, lt: 357 * d }]);
  });

  it('plans every slice of a short window, with no rest', () => {
    const w = { gte: 0, lt: 5 * d };
    const after = followDensity(w, { newest: 5 * d - 1, oldest: 5 * d - 3600, hasMore: true });
    expect(after).toEqual({ gte: 4 * d, split: timeSlices({ gte: 0, lt: 4 * d }) });
  });

  it('never splits past the window end, whatever the source sent', () => {
    const w = { gte: 0, lt: 10 * d };
    expect(followDensity(w, { newest: 30 * d, oldest: 20 * d, hasMore: true })).toEqual({
      gte: 0,
      split: [],
    });
  });
});
