import { describe, expect, it } from 'vitest';
import { ExtractStats } from './extract-stats.js';

describe('ExtractStats', () => {
  it('counts API pages per entity: latest created, earliest source clock', () => {
    const s = new ExtractStats(['customers']);
    s.addApiPage('customers', { records: 3, retries: 1, sourceTime: 200 }, 150);
    s.addApiPage('customers', { records: 2, retries: 0, sourceTime: 100 }, 120);
    s.addApiPage('customers', { records: 0, retries: 2, sourceTime: 300 }, undefined);
    expect(s.of('customers')).toEqual({
      pages: 3,
      records: 5,
      retries: 3,
      maxCreated: 150,
      firstSourceTime: 100,
      tracksUnsettled: false,
      unsettledFrom: undefined,
    });
  });

  it('keeps the earliest unsettled created of an entity that tracks them', () => {
    const s = new ExtractStats(['balance_transactions', 'charges'], new Set(['balance_transactions']));
    s.addApiPage('balance_transactions', { records: 3, retries: 0, sourceTime: 200 }, 150, 120);
    s.addApiPage('balance_transactions', { records: 3, retries: 0, sourceTime: 200 }, 110, 90);
    s.addApiPage('balance_transactions', { records: 3, retries: 0, sourceTime: 200 }, 100, undefined);
    expect(s.of('balance_transactions')).toMatchObject({ tracksUnsettled: true, unsettledFrom: 90 });
    expect(s.of('charges')).toMatchObject({ tracksUnsettled: false, unsettledFrom: undefined });
  });

  it('counts an events page for the log and its routed records for their entities', () => {
    const s = new ExtractStats(['customers', 'events']);
    s.addEventsPage({ records: 4, retries: 1 }, 90, new Map([['customers', 2]]));
    s.addEventsPage({ records: 1, retries: 0 }, 80, new Map());
    expect(s.of('events')).toMatchObject({ pages: 2, records: 5, retries: 1 });
    expect(s.of('customers')).toMatchObject({ pages: 0, records: 2 });
    expect(s.passMaxCreated).toBe(90);
    expect(() => s.of('charges')).toThrow(/charges/);
  });
});
