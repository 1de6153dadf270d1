import { describe, expect, it } from 'vitest';
import { toJsonLine } from '../bronze/envelope.js';
import { apiPageBatches, eventPageBatches } from './page-lines.js';

const DAY1 = 1_704_067_200; // 2024-01-01T00:00:00Z

describe('apiPageBatches', () => {
  it('writes the envelope exactly like toJsonLine, grouped by the created date', () => {
    const meta = { entity: 'charges', run_id: 'r', ingested_at: 'T', source: 'api' as const, version_ts: 9 };
    const a = { id: 'ch_a', object: 'charge', created: DAY1 + 5 };
    const b = { id: 'ch_b', object: 'charge', created: DAY1 - 5 };
    const { batches, maxCreated } = apiPageBatches([a, b], meta, 0);
    expect(maxCreated).toBe(DAY1 + 5);
    expect(batches.get('charges/2024-01-01')).toEqual({
      entity: 'charges',
      dt: '2024-01-01',
      lines: toJsonLine({ data: a, meta }),
      records: 1,
    });
    expect(batches.get('charges/2023-12-31')?.lines).toBe(toJsonLine({ data: b, meta }));
  });

  it('stores the JSON text the API sent when given, instead of serialising again', () => {
    const meta = { entity: 'charges', run_id: 'r', ingested_at: 'T', source: 'api' as const, version_ts: 9 };
    const a = { id: 'ch_a', amount: 1.5, created: DAY1 };
    const raw = ['{"id":"ch_a","amount":1.50,"created":1704067200}'];
    const { batches } = apiPageBatches([a], meta, 0, raw);
    expect(batches.get('charges/2024-01-01')?.lines).toBe(
      `{"data":${raw[0]},"meta":${JSON.stringify(meta)}}\n`,
    );
    // a raw list that does not match the objects one for one is not used
    const { batches: again } = apiPageBatches([a], meta, 0, []);
    expect(again.get('charges/2024-01-01')?.lines).toBe(toJsonLine({ data: a, meta }));
  });
});

describe('eventPageBatches', () => {
  const ev = (id: string, type: string, created: number, object: Record<string, unknown>) => ({
    id,
    object: 'event',
    type,
    created,
    data: { object },
  });
  const events = [
    ev('evt_1', 'customer.deleted', DAY1 + 100, { id: 'cus_1', object: 'customer', created: DAY1 - 86_400 }),
    ev('evt_2', 'charge.refunded', DAY1 + 50, { id: 'ch_1', object: 'charge', created: DAY1 + 10 }),
    { not: 'an event' },
  ];

  it('routes events and their objects through eventToRecords', () => {
    const r = eventPageBatches(events, {
      runId: 'r',
      ingestedAt: 'T',
      keepEvents: true,
      targets: new Map([
        ['customers', 'all'],
        ['charges', 'all'],
      ] as const),
    });
    expect(r.maxCreated).toBe(DAY1 + 100);
    expect(r.batches.get('events/2024-01-01')?.records).toBe(2);
    const cus = JSON.parse(r.batches.get('customers/2023-12-31')!.lines);
    expect(cus.meta).toMatchObject({
      entity: 'customers',
      source: 'events',
      deleted: true,
      event_id: 'evt_1',
    });
    expect(cus.meta.version_ts).toBe(DAY1 + 100);
    expect(r.routed.get('charges')).toBe(1);
  });

  it('leaves out entities that are not targets and raw events when not kept', () => {
    const r = eventPageBatches(events, {
      runId: 'r',
      ingestedAt: 'T',
      keepEvents: false,
      targets: new Map([['charges', 'all']] as const),
    });
    expect([...r.batches.keys()]).toEqual(['charges/2024-01-01']);
  });

  it('takes only tombstones for a full load', () => {
    const r = eventPageBatches(events, {
      runId: 'r',
      ingestedAt: 'T',
      keepEvents: false,
      targets: new Map([
        ['charges', 'deletes'],
        ['customers', 'deletes'],
      ] as const),
    });
    expect([...r.batches.keys()]).toEqual(['customers/2023-12-31']);
  });
});
