import { describe, expect, it } from 'vitest';
import { planDef, watermark } from '../../test/fixtures/extract-plan.js';
import { BronzeCompletion } from './bronze-completion.js';
import { planExtraction } from './extract-plan.js';

const END = 1_700_000_000;
const base = { end: END, days: 30, safetySeconds: 300 };

describe('BronzeCompletion', () => {
  it('completes a routed entity only when its listing and the events pass are both durable', () => {
    // a first load: the pass routes tombstones into customers and payouts; prices has no events
    const plan = planExtraction({
      ...base,
      entities: [
        planDef('customers'),
        planDef('prices', false),
        planDef('payouts'),
        planDef('events', false),
      ],
      watermarks: new Map(),
    });
    const done = new BronzeCompletion(['customers', 'prices', 'payouts', 'events'], plan);
    expect(done.listed('prices')).toEqual(['prices']);
    expect(done.listed('customers')).toEqual([]);
    // the event log, and every routed entity already listed, with its child collections
    expect(done.listed('payouts')).toEqual([]);
    expect(done.passDone()).toEqual(['customers', 'payouts', 'payout_balance_transactions', 'events']);
    // each entity once
    expect(done.listed('customers')).toEqual([]);
    expect(done.passDone()).toEqual([]);
  });

  it('completes an entity listed after the pass at its listing', () => {
    const plan = planExtraction({
      ...base,
      entities: [planDef('invoices'), planDef('events', false)],
      watermarks: new Map(),
    });
    const done = new BronzeCompletion(['invoices', 'events'], plan);
    expect(done.passDone()).toEqual(['events']);
    expect(done.listed('invoices')).toEqual(['invoices', 'invoice_line_items']);
  });

  it('needs no pass when the run has none', () => {
    // the only entity has no event types and the event log is not kept: no pass at all
    const plan = planExtraction({
      ...base,
      entities: [planDef('prices', false)],
      watermarks: new Map([['prices', watermark('prices', END - 3600, 0)]]),
    });
    expect(plan.pass).toBeUndefined();
    expect(new BronzeCompletion(['prices'], plan).listed('prices')).toEqual(['prices']);
  });
});
