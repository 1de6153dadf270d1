import { describe, expect, it } from 'vitest';
import { planDef, watermark } from '../../test/fixtures/extract-plan.js';
import { planExtraction } from './extract-plan.js';
import { DAY_SECONDS } from './windows.js';

const END = 1_700_000_000;
const base = { end: END, days: 30, safetySeconds: 300 };

describe('planExtraction', () => {
  it('routes only deletions of a first load and every change of an incremental one', () => {
    const plan = planExtraction({
      ...base,
      entities: [
        planDef('customers'),
        planDef('charges'),
        planDef('balance_transactions', false),
        planDef('events', false),
      ],
      watermarks: new Map([['charges', watermark('charges', END - 3600, END - 600)]]),
    });
    expect(plan.entities.get('customers')?.mode).toBe('first');
    expect(plan.entities.get('charges')?.mode).toBe('incremental');
    expect([...plan.pass!.routing]).toEqual([
      ['customers', 'deletes'],
      ['charges', 'all'],
    ]);
    expect(plan.pass!.keepEvents).toBe(true);
    // From the earliest point any part needs: the first load's 30 days (and the event log's).
    expect(plan.pass!.window).toEqual({ gte: END - 30 * DAY_SECONDS, lt: END });
  });

  it('starts the pass at the earliest events watermark when everything is incremental', () => {
    const plan = planExtraction({
      ...base,
      entities: [planDef('customers'), planDef('charges')],
      watermarks: new Map([
        ['customers', watermark('customers', END - 100, END - 1000)],
        ['charges', watermark('charges', END - 100, END - 5000)],
      ]),
    });
    expect(plan.pass).toEqual({
      window: { gte: END - 5300, lt: END },
      routing: new Map([
        ['customers', 'all'],
        ['charges', 'all'],
      ]),
      keepEvents: false,
    });
  });

  it("takes a watermark's unsettled_from only for an entity that declares what is unsettled", () => {
    const mark = { ...watermark('balance_transactions', END - 3600, END), unsettled_from: END - DAY_SECONDS };
    const lookback = { ...planDef('balance_transactions', false), changeLookbackSeconds: 10 * DAY_SECONDS };
    const gte = (def: typeof lookback & { unsettledStatuses?: string[] }) =>
      planExtraction({
        ...base,
        entities: [def],
        watermarks: new Map([['balance_transactions', mark]]),
      }).entities.get('balance_transactions')?.window.gte;
    expect(gte({ ...lookback, unsettledStatuses: ['pending'] })).toBe(END - DAY_SECONDS);
    expect(gte(lookback)).toBe(END - 3600 - 300 - 10 * DAY_SECONDS);
  });

  it('has no events pass when nothing selected uses events', () => {
    const plan = planExtraction({
      ...base,
      entities: [planDef('balance_transactions', false)],
      watermarks: new Map(),
    });
    expect(plan.pass).toBeUndefined();
    expect(plan.entities.get('balance_transactions')?.window).toEqual({
      gte: END - 30 * DAY_SECONDS,
      lt: END,
    });
  });

  it('a backfill routes nothing; the event log is read up to the backfill end', () => {
    const backfill = { gte: END - 10 * DAY_SECONDS, lt: END - 5 * DAY_SECONDS };
    const plan = planExtraction({
      ...base,
      backfill,
      entities: [planDef('customers'), planDef('events', false)],
      watermarks: new Map([['customers', watermark('customers', END - 100, END - 100)]]),
    });
    expect(plan.entities.get('customers')).toEqual({ mode: 'backfill', window: backfill });
    expect(plan.pass).toEqual({ window: backfill, routing: new Map(), keepEvents: true });
  });
});
