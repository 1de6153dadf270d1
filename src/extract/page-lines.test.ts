import { describe, expect, it } from 'vitest';
import { toJsonLine } from '../bronze/envelope.js';
import { eventToRecords, type StripeEvent } from '../bronze/from-event.js';
import {
  apiPageBatches,
  eventPageBatches,
  linesOf,
  type PartitionLines,
  unsettledFrom,
} from './page-lines.js';

const DAY1 = 1_704_067_200; // 2024-01-01T00:00:00Z

/** A list element as `listRawPage` gives it; `scanned: false` as when the scan found no fields. */
const item = (o: Record<string, unknown>, json = JSON.stringify(o), scanned = true) => ({
  id: scanned && typeof o.id === 'string' ? o.id : undefined,
  created: scanned && typeof o.created === 'number' ? o.created : undefined,
  type: scanned && typeof o.type === 'string' ? o.type : undefined,
  json: Buffer.from(json),
  suspect: !scanned,
});
const text = (b: PartitionLines | undefined) => (b ? linesOf(b).toString('utf8') : undefined);

describe('apiPageBatches', () => {
  const meta = { entity: 'charges', run_id: 'r', ingested_at: 'T', source: 'api' as const, version_ts: 9 };

  it('writes the envelope exactly like toJsonLine, grouped by the created date', () => {
    const a = { id: 'ch_a', object: 'charge', created: DAY1 + 5, name: 'Zoë' };
    const b = { id: 'ch_b', object: 'charge', created: DAY1 - 5 };
    const c = { id: 'ch_c', object: 'charge', created: DAY1 + 7 };
    const { batches, maxCreated } = apiPageBatches(
      [a, b, c].map((o) => item(o)),
      meta,
      0,
    );
    expect(maxCreated).toBe(DAY1 + 7);
    const day1 = batches.get('charges/2024-01-01')!;
    expect(day1).toMatchObject({ entity: 'charges', dt: '2024-01-01', records: 2 });
    expect(text(day1)).toBe(toJsonLine({ data: a, meta }) + toJsonLine({ data: c, meta }));
    expect(day1.bytes).toBe(linesOf(day1).length);
    expect(text(batches.get('charges/2023-12-31'))).toBe(toJsonLine({ data: b, meta }));
  });

  it('stores the bytes the API sent, not a re-serialisation', () => {
    const raw = '{"id":"ch_a","amount":1.50,"created":1704067200}';
    const { batches } = apiPageBatches([item({ id: 'ch_a', created: DAY1 }, raw)], meta, 0);
    expect(text(batches.get('charges/2024-01-01'))).toBe(`{"data":${raw},"meta":${JSON.stringify(meta)}}\n`);
  });

  it('dates an object without a created time by the fallback', () => {
    const { batches, maxCreated } = apiPageBatches([item({ id: 'x' })], meta, DAY1 - 1);
    expect(maxCreated).toBeUndefined();
    expect([...batches.keys()]).toEqual(['charges/2023-12-31']);
  });
});

describe('unsettledFrom', () => {
  it('is the oldest created among objects in an unsettled or unreadable status', () => {
    const at = (created: number | undefined, status: string | undefined) => ({ created, status });
    const pending = ['pending'];
    expect(unsettledFrom([at(30, 'available'), at(20, 'pending'), at(25, 'pending')], pending, 0)).toBe(20);
    expect(unsettledFrom([at(30, 'available'), at(10, 'available')], pending, 0)).toBeUndefined();
    // a status the scan could not read counts as unsettled; a missing created as the fallback
    expect(unsettledFrom([at(30, undefined), at(40, 'pending')], pending, 0)).toBe(30);
    expect(unsettledFrom([at(undefined, 'pending'), at(40, 'pending')], pending, 7)).toBe(7);
    expect(unsettledFrom([], pending, 0)).toBeUndefined();
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
  const e1 = ev('evt_1', 'customer.deleted', DAY1 + 100, {
    id: 'cus_1',
    object: 'customer',
    created: DAY1 - 86_400,
  });
  const e2 = ev('evt_2', 'charge.refunded', DAY1 + 50, { id: 'ch_1', object: 'charge', created: DAY1 + 10 });
  const events = [item(e1), item(e2), item({ not: 'an event' })];
  const ctx = { runId: 'r', ingestedAt: 'T' };
  const records = (e: typeof e1) => eventToRecords(e as StripeEvent, { source: 'events', ...ctx });

  it('routes events and their objects as eventToRecords says, line for line', () => {
    const r = eventPageBatches(events, {
      ...ctx,
      keepEvents: true,
      targets: new Map([
        ['customers', 'all'],
        ['charges', 'all'],
      ] as const),
    });
    expect(r.maxCreated).toBe(DAY1 + 100);
    expect(text(r.batches.get('events/2024-01-01'))).toBe(
      toJsonLine(records(e1).event) + toJsonLine(records(e2).event),
    );
    expect(text(r.batches.get('customers/2023-12-31'))).toBe(toJsonLine(records(e1).object!));
    const cus = JSON.parse(text(r.batches.get('customers/2023-12-31'))!);
    expect(cus.meta).toMatchObject({
      entity: 'customers',
      source: 'events',
      deleted: true,
      event_id: 'evt_1',
    });
    expect(cus.meta.version_ts).toBe(DAY1 + 100);
    expect(text(r.batches.get('charges/2024-01-01'))).toBe(toJsonLine(records(e2).object!));
    expect(r.routed.get('charges')).toBe(1);
  });

  it('stores the event bytes as sent, and parses events the scan could not read', () => {
    const sent = `{"id":"evt_2","object":"event","type":"charge.refunded","created":${DAY1 + 50},"data":{"object":{"id":"ch_1","object":"charge","created":${DAY1 + 10},"amount":1.50}}}`;
    const r = eventPageBatches([item(e2, sent), item(e1, JSON.stringify(e1), false)], {
      ...ctx,
      keepEvents: true,
      targets: new Map(),
    });
    expect(text(r.batches.get('events/2024-01-01'))).toBe(
      `{"data":${sent},"meta":${JSON.stringify(records(e2).event.meta)}}\n${toJsonLine(records(e1).event)}`,
    );
    expect(r.maxCreated).toBe(DAY1 + 100);
  });

  it("routes a scanned event's object as the bytes sent, and quarantines a bad created without parsing", () => {
    const sent = `{"id":"evt_3","object":"event","type":"charge.updated","created":${DAY1 + 60},"data":{"object":{"id":"ch_3","object":"charge","amount":1.50,"created":${DAY1 + 20}}}}`;
    const bad = `{"id":"evt_4","object":"event","type":"charge.updated","created":${DAY1 + 70},"data":{"object":{"id":"ch_4","object":"charge","created":${DAY1 * 10}}}}`;
    const parsed = JSON.parse(sent) as StripeEvent;
    const r = eventPageBatches([item(parsed, sent), item(JSON.parse(bad), bad)], {
      ...ctx,
      keepEvents: false,
      targets: new Map([['charges', 'all']] as const),
      sourceNowSeconds: DAY1 + 100,
    });
    const meta = records(parsed as unknown as typeof e1).object!.meta;
    expect(text(r.batches.get('charges/2024-01-01'))).toBe(
      `{"data":{"id":"ch_3","object":"charge","amount":1.50,"created":${DAY1 + 20}},"meta":${JSON.stringify(meta)}}\n`,
    );
    expect(r.batches.get('charges/2024-01-01')!.ids).toEqual(['ch_3']);
    expect(r.rejected.map((x) => x.reason)).toEqual([
      `data.object created ${DAY1 * 10} is more than a day after the source's clock (${DAY1 + 100})`,
    ]);
  });

  it('leaves out entities that are not targets and raw events when not kept', () => {
    const r = eventPageBatches(events, {
      ...ctx,
      keepEvents: false,
      targets: new Map([['charges', 'all']] as const),
    });
    expect([...r.batches.keys()]).toEqual(['charges/2024-01-01']);
  });

  it('takes only tombstones for a full load', () => {
    const r = eventPageBatches(events, {
      ...ctx,
      keepEvents: false,
      targets: new Map([
        ['charges', 'deletes'],
        ['customers', 'deletes'],
      ] as const),
    });
    expect([...r.batches.keys()]).toEqual(['customers/2023-12-31']);
  });
});
