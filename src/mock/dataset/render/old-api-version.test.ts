import { expect, it, describe as suite } from 'vitest';
import { Dataset } from '../dataset.js';
import { DAY } from '../world.js';
import { MOCK_API_VERSION } from './event.js';
import { OLD_API_VERSION } from './old-api-version.js';

// The world of render.test.ts: subscriptions with many invoice cycles, invoice charges, updates.
const NOW = Date.parse('2026-03-15T12:00:00Z') / 1000 + 40 * DAY;
const VOLUME = { days: 150, chargesPerDay: 15, customersPerDay: 5 };

type Json = Record<string, unknown>;
type Event = {
  id: string;
  api_version: string;
  type: string;
  data: { object: Json; previous_attributes?: Json };
};

const at = (o: unknown, ...path: (string | number)[]): unknown =>
  path.reduce<unknown>(
    (v, p) => (v && typeof v === 'object' ? (v as Record<string | number, unknown>)[p] : undefined),
    o,
  );
const without = (o: Json, ...keys: string[]): Json =>
  Object.fromEntries(Object.entries(o).filter(([k]) => !keys.includes(k)));

/** Every retained event at NOW, rendered with the given share of old-version events, by id. */
function eventsWith(ds: Dataset, share: number): Map<string, Event> {
  ds.oldVersionShare = share;
  const out = new Map<string, Event>();
  for (const text of ds.truth('events', NOW)) {
    const e = JSON.parse(text) as Event;
    out.set(e.id, e);
  }
  return out;
}

suite('events in the older API version', () => {
  const ds = new Dataset(7, VOLUME, NOW);
  const current = eventsWith(ds, 0);
  const mixed = eventsWith(ds, 0.5);
  // the invoice each charge paid or tried to pay, from the current invoices (the payment intents
  // of their invoice_payments: a retried renewal has two)
  const invoiceByPi = new Map<string, string>();
  for (const text of ds.truth('invoices', NOW)) {
    const inv = JSON.parse(text) as Json;
    for (const p of (at(inv, 'payments', 'data') as Json[]) ?? []) {
      const pi = at(p, 'payment', 'payment_intent');
      if (typeof pi === 'string') invoiceByPi.set(pi, String(inv.id));
    }
  }

  it('a share of the events, chosen per event, the same on every read', () => {
    expect([...current.values()].every((e) => e.api_version === MOCK_API_VERSION)).toBe(true);
    const old = [...mixed.values()].filter((e) => e.api_version === OLD_API_VERSION);
    const share = old.length / mixed.size;
    expect(mixed.size).toBeGreaterThan(2000);
    expect(share).toBeGreaterThan(0.45);
    expect(share).toBeLessThan(0.55);
    // a retrieve of an event and a list agree (webhooks read the list path)
    for (const e of old.slice(0, 50)) expect(JSON.parse(ds.retrieve('events', e.id, NOW))).toEqual(e);
    // events of other kinds keep their shape, only the version they name differs
    for (const e of old.filter(
      (x) => !['invoice', 'subscription', 'charge'].includes(String(x.data.object.object)),
    ))
      expect(e.data).toEqual(current.get(e.id)!.data);
    expect([...eventsWith(ds, 1).values()].every((e) => e.api_version === OLD_API_VERSION)).toBe(true);
  });

  it("old-version objects carry the current version's values in the pre-2025 places", () => {
    const seen = { invoice: 0, line: 0, subscription: 0, charge: 0, invoiceCharge: 0, previous: 0 };
    for (const e of mixed.values()) {
      if (e.api_version !== OLD_API_VERSION) continue;
      const o = e.data.object;
      const c = current.get(e.id)!.data.object;
      if (o.object === 'invoice') {
        seen.invoice++;
        expect(o.parent).toBeUndefined();
        expect(o.subscription).toBe(at(c, 'parent', 'subscription_details', 'subscription'));
        expect(o.subscription_details).toEqual({
          metadata: at(c, 'parent', 'subscription_details', 'metadata'),
        });
        const lines = at(o, 'lines', 'data') as Json[];
        const currentLines = at(c, 'lines', 'data') as Json[];
        expect(lines.length).toBe(currentLines.length);
        lines.forEach((l, k) => {
          const cl = currentLines[k]!;
          seen.line++;
          expect(l.pricing).toBeUndefined();
          expect(l.parent).toBeUndefined();
          expect(at(l, 'price', 'id')).toBe(at(cl, 'pricing', 'price_details', 'price'));
          expect(at(l, 'price', 'product')).toBe(at(cl, 'pricing', 'price_details', 'product'));
          expect(l.type).toBe(
            at(cl, 'parent', 'type') === 'subscription_item_details' ? 'subscription' : 'invoiceitem',
          );
          expect(l.subscription).toBe(at(cl, 'parent', 'subscription_item_details', 'subscription'));
          expect(l.subscription_item).toBe(
            at(cl, 'parent', 'subscription_item_details', 'subscription_item'),
          );
          expect(l.proration).toBe(at(cl, 'parent', 'subscription_item_details', 'proration'));
          // everything else as in the current version
          expect(
            without(
              l,
              'price',
              'plan',
              'type',
              'subscription',
              'subscription_item',
              'invoice_item',
              'proration',
              'proration_details',
            ),
          ).toEqual(without(cl, 'pricing', 'parent', 'subscription'));
        });
        expect(without(o, 'subscription', 'subscription_details', 'lines')).toEqual(
          without(c, 'parent', 'subscription', 'lines'),
        );
      } else if (o.object === 'subscription') {
        seen.subscription++;
        expect(o.current_period_start).toBe(at(c, 'items', 'data', 0, 'current_period_start'));
        expect(o.current_period_end).toBe(at(c, 'items', 'data', 0, 'current_period_end'));
        const items = at(o, 'items', 'data') as Json[];
        expect(items.length).toBeGreaterThan(0);
        for (const item of items) {
          expect(item.current_period_start).toBeUndefined();
          expect(item.current_period_end).toBeUndefined();
        }
        expect(without(o, 'current_period_start', 'current_period_end', 'items')).toEqual(
          without(c, 'items'),
        );
      } else if (o.object === 'charge') {
        seen.charge++;
        expect('invoice' in o).toBe(true);
        expect(o.invoice).toBe(invoiceByPi.get(String(c.payment_intent)) ?? null);
        if (o.invoice !== null) seen.invoiceCharge++;
        expect(without(o, 'invoice')).toEqual(c);
      }
      // previous_attributes are in the event's version too: the old places of what changed
      const prev = e.data.previous_attributes;
      if (prev && o.object === 'subscription' && 'current_period_start' in prev) seen.previous++;
    }
    for (const [what, n] of Object.entries(seen)) expect(n, what).toBeGreaterThan(0);
  });
});
