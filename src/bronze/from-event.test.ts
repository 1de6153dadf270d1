import { describe, expect, it } from 'vitest';
import { eventToRecords, isStripeEvent, type StripeEvent } from './from-event.js';

const makeEvent = (type: string, object: Record<string, unknown>, created = 1_700_000_000): StripeEvent => ({
  id: `evt_${type.replace(/\./g, '_')}`,
  object: 'event',
  type,
  created,
  data: { object },
});
const ctx = { source: 'events' as const, runId: 'r1', ingestedAt: '2024-01-01T00:00:00.000Z' };

describe('eventToRecords', () => {
  it('routes the object to its entity with the event time as version', () => {
    const r = eventToRecords(makeEvent('charge.refunded', { id: 'ch_1', object: 'charge' }), ctx);
    expect(r.event.meta.entity).toBe('events');
    expect(r.object?.meta).toMatchObject({
      entity: 'charges',
      version_ts: 1_700_000_000,
      event_id: 'evt_charge_refunded',
      source: 'events',
    });
    expect(r.object?.meta.deleted).toBeUndefined();
  });

  it('makes a tombstone for deleting events only', () => {
    const del = eventToRecords(makeEvent('customer.deleted', { id: 'cus_1', object: 'customer' }), ctx);
    expect(del.object?.meta.deleted).toBe(true);
    // Stripe quirk: customer.subscription.deleted means canceled, the subscription lives on.
    const canceled = eventToRecords(
      makeEvent('customer.subscription.deleted', { id: 'sub_1', object: 'subscription', status: 'canceled' }),
      ctx,
    );
    expect(canceled.object?.meta.entity).toBe('subscriptions');
    expect(canceled.object?.meta.deleted).toBeUndefined();
  });

  it('stores webhook deliveries under webhook_events and skips unknown objects', () => {
    const r = eventToRecords(makeEvent('plan.created', { id: 'plan_1', object: 'plan' }), {
      ...ctx,
      source: 'webhook',
    });
    expect(r.event.meta.entity).toBe('webhook_events');
    expect(r.object).toBeUndefined();
    const noId = eventToRecords(makeEvent('charge.updated', { object: 'charge' }), ctx);
    expect(noId.object).toBeUndefined();
  });

  it('recognises event shapes', () => {
    expect(isStripeEvent(makeEvent('charge.updated', { id: 'ch_1', object: 'charge' }))).toBe(true);
    expect(isStripeEvent({ id: 'evt_1', type: 'x' })).toBe(false);
    expect(isStripeEvent([])).toBe(false);
    expect(isStripeEvent(null)).toBe(false);
  });
});
