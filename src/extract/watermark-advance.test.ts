import { describe, expect, it } from 'vitest';
import { planDef, watermark } from '../../test/fixtures/extract-plan.js';
import { planExtraction } from './extract-plan.js';
import { serialPerKey, WatermarkAdvance } from './watermark-advance.js';
import { DAY_SECONDS } from './windows.js';

const END = 1_700_000_000;
const base = { end: END, days: 30, safetySeconds: 300 };
const seen = (maxCreated?: number, firstSourceTime?: number) => ({ maxCreated, firstSourceTime });

describe('WatermarkAdvance', () => {
  it('moves an incremental listing at once, and its events side after the pass', () => {
    const plan = planExtraction({
      ...base,
      entities: [planDef('customers'), planDef('events', false)],
      watermarks: new Map([
        ['customers', watermark('customers', END - 3600, END - 600)],
        ['events', watermark('events', END - 600, END - 600)],
      ]),
    });
    const advance = new WatermarkAdvance(plan, END);
    expect(advance.afterListing('customers', seen(END - 10))).toEqual({ created: END - 10, events: 0 });
    expect(advance.afterEventsPass(END - 5, () => seen())).toEqual([
      ['customers', { created: 0, events: END - 5 }],
      ['events', { created: END - 5, events: END - 5 }],
    ]);
    // A pass that saw no event moves no entity, and the event log stays at its window start.
    expect(new WatermarkAdvance(plan, END).afterEventsPass(undefined, () => seen())).toEqual([
      ['events', { created: END - 900, events: END - 900 }],
    ]);
  });

  it('writes a full load first watermark only when its listing and the pass are both durable', () => {
    const plan = planExtraction({ ...base, entities: [planDef('customers')], watermarks: new Map() });
    const a = new WatermarkAdvance(plan, END);
    expect(a.afterListing('customers', seen(END - 10, END - 50))).toBeUndefined();
    expect(a.afterEventsPass(END - 1, () => seen(END - 10, END - 50))).toEqual([
      ['customers', { created: END - 10, events: END - 50 }],
    ]);
    // Either order; an empty listing starts at its window, its events at the window end.
    const b = new WatermarkAdvance(plan, END);
    expect(b.afterEventsPass(undefined, () => seen())).toEqual([]);
    expect(b.afterListing('customers', seen())).toEqual({ created: END - 30 * DAY_SECONDS, events: END });
  });

  it('a full load without events moves after its listing; a source clock ahead is capped at the end', () => {
    const plan = planExtraction({
      ...base,
      entities: [planDef('balance_transactions', false)],
      watermarks: new Map(),
    });
    expect(
      new WatermarkAdvance(plan, END).afterListing('balance_transactions', seen(END - 3, END + 99)),
    ).toEqual({
      created: END - 3,
      events: END,
    });
  });

  it('marks where the unsettled objects start for an entity that tracks them, its window end when none', () => {
    const plan = planExtraction({
      ...base,
      entities: [{ ...planDef('balance_transactions', false), unsettledStatuses: ['pending'] }],
      watermarks: new Map([['balance_transactions', watermark('balance_transactions', END - 3600, END)]]),
    });
    const tracked = (unsettledFrom?: number) => ({ ...seen(END - 10), tracksUnsettled: true, unsettledFrom });
    expect(new WatermarkAdvance(plan, END).afterListing('balance_transactions', tracked(END - 7200))).toEqual(
      {
        created: END - 10,
        events: 0,
        unsettled: END - 7200,
      },
    );
    expect(new WatermarkAdvance(plan, END).afterListing('balance_transactions', tracked())).toEqual({
      created: END - 10,
      events: 0,
      unsettled: END,
    });
    // an entity that does not track them marks nothing of the kind
    expect(new WatermarkAdvance(plan, END).afterListing('balance_transactions', seen(END - 10))).toEqual({
      created: END - 10,
      events: 0,
    });
  });

  it('a backfill moves nothing', () => {
    const plan = planExtraction({
      ...base,
      backfill: { gte: END - DAY_SECONDS, lt: END },
      entities: [planDef('customers'), planDef('events', false)],
      watermarks: new Map(),
    });
    const a = new WatermarkAdvance(plan, END);
    expect(a.afterListing('customers', seen(END - 10))).toBeUndefined();
    expect(a.afterEventsPass(END - 1, () => seen())).toEqual([]);
  });
});

describe('serialPerKey', () => {
  it('runs the writes of one key one after the other, other keys meanwhile', async () => {
    const log: string[] = [];
    const gates: (() => void)[] = [];
    const write = serialPerKey(async (key: string, n: number) => {
      log.push(`start ${key}${n}`);
      await new Promise<void>((r) => gates.push(r));
      log.push(`end ${key}${n}`);
    });
    const all = Promise.all([write('a', 1), write('a', 2), write('b', 1)]);
    await Promise.resolve();
    await Promise.resolve();
    expect(log).toEqual(['start a1', 'start b1']);
    while (log.length < 6) {
      gates.shift()?.();
      await new Promise((r) => setImmediate(r));
    }
    await all;
    expect(log.indexOf('start a2')).toBeGreaterThan(log.indexOf('end a1'));
  });
});
