import { expect, it, describe as suite } from 'vitest';
import { Dataset } from '../dataset.js';
import { decodeObjectId } from '../ids.js';
import { invoiceLines, subscriptionItems } from '../render/children.js';
import { DAY } from '../world.js';

// Two years of a small world: ~600 subscriptions, every turn of the SaaS life many times over.
// Read as /_mock/truth serves it (Dataset.truth), the full child lists as the child routes do.
const NOW = Date.parse('2026-03-15T12:00:00Z') / 1000;
const VOLUME = { days: 730, chargesPerDay: 1, customersPerDay: 4 };

type Obj = Record<string, unknown>;
interface Line {
  id: string;
  amount: number;
  currency: string;
  quantity: number;
  discount_amounts: { amount: number; discount: string }[];
  period: { start: number; end: number };
  parent: {
    subscription_item_details: { proration: boolean; subscription: string; subscription_item: string };
  };
  pricing: { price_details: { price: string; product: string }; unit_amount_decimal: string };
}
interface Invoice {
  id: string;
  created: number;
  currency: string;
  status: string;
  subtotal: number;
  total: number;
  amount_due: number;
  amount_paid: number;
  attempt_count: number;
  discounts: string[];
  total_discount_amounts: { amount: number; discount: string }[];
  lines: { data: Line[]; has_more: boolean; total_count: number; url: string };
  parent: { subscription_details: { subscription: string } };
}
interface Sub {
  id: string;
  customer: string;
  created: number;
  currency: string;
  status: string;
  cancel_at_period_end: boolean;
  cancel_at: number | null;
  canceled_at: number | null;
  ended_at: number | null;
  trial_end: number | null;
  cancellation_details: { reason: string | null };
  items: { data: { id: string; quantity: number; price: Obj }[]; has_more: boolean; total_count: number };
}

suite('the SaaS subscription life in the truth (two years of a small world)', () => {
  const ds = new Dataset(11, VOLUME, NOW);
  const w = ds.world;
  const parse = <T>(e: Parameters<Dataset['truth']>[0]): T[] =>
    [...ds.truth(e, NOW)].map((t) => JSON.parse(t) as T);
  const subs = parse<Sub>('subscriptions');
  const invoices = parse<Invoice>('invoices');
  const prices = new Map(parse<Obj>('prices').map((p) => [p['id'] as string, p]));
  const fullLines = (inv: Invoice): Line[] =>
    invoiceLines(w, decodeObjectId(w.seed, 'invoices', inv.id)!, NOW)!.map((c) => JSON.parse(c.json) as Line);
  const linesOf = new Map(invoices.map((inv) => [inv.id, fullLines(inv)]));
  const bySub = new Map<string, Invoice[]>();
  for (const inv of [...invoices].reverse()) {
    const s = inv.parent.subscription_details.subscription;
    bySub.set(s, [...(bySub.get(s) ?? []), inv]); // oldest first
  }
  const isProration = (l: Line): boolean => l.parent.subscription_item_details.proration;

  it('every invoice is consistent: lines sum to the subtotal, discounts to subtotal - total, in its currency', () => {
    expect(invoices.length).toBeGreaterThan(3000);
    for (const inv of invoices) {
      const lines = linesOf.get(inv.id)!;
      expect(inv.lines.total_count).toBe(lines.length);
      expect(inv.lines.has_more).toBe(lines.length > 10);
      expect(inv.lines.data).toEqual(lines.slice(0, 10));
      expect(inv.lines.url).toBe(`/v1/invoices/${inv.id}/lines`);
      const sum = lines.reduce((a, l) => a + l.amount, 0);
      const discounts = lines.reduce((a, l) => a + l.discount_amounts.reduce((b, d) => b + d.amount, 0), 0);
      expect(sum).toBe(inv.subtotal);
      expect(inv.subtotal - inv.total).toBe(discounts);
      expect(inv.total_discount_amounts.reduce((a, d) => a + d.amount, 0)).toBe(discounts);
      expect(inv.total).toBeGreaterThanOrEqual(0);
      expect(inv.amount_due).toBe(inv.total);
      expect(inv.amount_paid).toBe(inv.status === 'paid' ? inv.total : 0);
      for (const l of lines) {
        expect(l.currency).toBe(inv.currency);
        const price = prices.get(l.pricing.price_details.price)!;
        expect(price, l.pricing.price_details.price).toBeDefined();
        expect(price['currency']).toBe(inv.currency);
        expect(price['type']).toBe('recurring');
        expect(price['product']).toBe(l.pricing.price_details.product);
        expect(l.parent.subscription_item_details.subscription).toBe(
          inv.parent.subscription_details.subscription,
        );
        if (!isProration(l) && l.amount > 0) expect(l.amount).toBe(Number(price['unit_amount']) * l.quantity);
      }
    }
  });

  it('every subscription period bills one invoice whose period lines carry the period, back to back', () => {
    for (const s of subs) {
      const invs = bySub.get(s.id)!;
      expect(invs.length, s.id).toBeGreaterThan(0);
      const intervals = new Set(
        s.items.data.map((i) => JSON.stringify((i.price as { recurring: unknown }).recurring)),
      );
      expect(intervals.size).toBe(1); // all items bill on one interval
      for (const i of s.items.data) expect(i.price['currency']).toBe(s.currency);
      let end = invs[0]!.created;
      for (const inv of invs) {
        const period = linesOf.get(inv.id)!.filter((l) => !isProration(l));
        expect(period.length).toBeGreaterThan(0);
        for (const l of period) {
          expect(l.period.start).toBe(inv.created);
          expect(l.period.start).toBe(end);
        }
        end = period[0]!.period.end;
      }
    }
  });

  it('the SaaS life happens: trials, changes with prorations, cancellations, past_due, returns, coupons, long lists', () => {
    const invoicesOf = (s: Sub): Invoice[] => bySub.get(s.id)!;
    const seen = {
      trialConverts: subs.filter(
        (s) => s.trial_end !== null && invoicesOf(s).some((i) => i.created >= s.trial_end! && i.total > 0),
      ).length,
      trialLapses: subs.filter(
        (s) => s.trial_end !== null && s.status === 'canceled' && s.ended_at === s.trial_end,
      ).length,
      trialInvoiceOfZero: subs.filter((s) => s.trial_end !== null && invoicesOf(s)[0]!.total === 0).length,
      cancelAtPeriodEnd: subs.filter(
        (s) =>
          s.cancel_at_period_end &&
          s.status === 'canceled' &&
          s.ended_at === s.cancel_at &&
          s.canceled_at! < s.ended_at!,
      ).length,
      cancelImmediately: subs.filter(
        (s) =>
          !s.cancel_at_period_end &&
          s.status === 'canceled' &&
          s.cancellation_details.reason === 'cancellation_requested' &&
          s.canceled_at === s.ended_at,
      ).length,
      pastDueRecovers: invoices.filter((i) => i.status === 'paid' && i.attempt_count === 2).length,
      pastDueCancels: subs.filter((s) => {
        const last = invoicesOf(s).at(-1)!;
        return (
          s.cancellation_details.reason === 'payment_failed' &&
          ['void', 'uncollectible'].includes(last.status)
        );
      }).length,
      pastDueNow: subs.filter((s) => s.status === 'past_due').length,
      reactivations: subs.filter((s) =>
        subs.some(
          (o) => o.customer === s.customer && o.ended_at !== null && s.created > o.ended_at + 30 * DAY,
        ),
      ).length,
      couponDiscounts: invoices.filter((i) => linesOf.get(i.id)!.some((l) => l.discount_amounts.length > 0))
        .length,
      longInvoices: invoices.filter((i) => i.lines.has_more && i.lines.total_count > 10).length,
      wholeLine: subs.filter((s) => s.items.total_count === 4).length,
      multiItem: subs.filter((s) => s.items.total_count >= 2 && s.items.total_count <= 3).length,
      seats: subs.filter((s) => s.items.data.some((i) => i.quantity > 1)).length,
    };
    for (const [k, n] of Object.entries(seen)) expect(n, k).toBeGreaterThan(0);
    for (const interval of [
      '"interval":"month","interval_count":1',
      '"interval":"month","interval_count":3',
      '"interval":"year"',
    ])
      expect(subs.some((s) => JSON.stringify(s.items).includes(interval))).toBe(true);
  });

  it('an item changed mid-period: proration lines on the next invoice, the old price on the old period line, the new on the next', () => {
    let upgrades = 0;
    let quantities = 0;
    for (const [, invs] of bySub) {
      for (let k = 1; k < invs.length; k++) {
        const lines = linesOf.get(invs[k]!.id)!;
        const before = linesOf.get(invs[k - 1]!.id)!;
        for (const credit of lines.filter((l) => isProration(l) && l.amount < 0)) {
          const item = credit.parent.subscription_item_details.subscription_item;
          const charge = lines.find(
            (l) =>
              isProration(l) && l.amount > 0 && l.parent.subscription_item_details.subscription_item === item,
          )!;
          const oldLine = before.find(
            (l) => !isProration(l) && l.parent.subscription_item_details.subscription_item === item,
          )!;
          const newLine = lines.find(
            (l) => !isProration(l) && l.parent.subscription_item_details.subscription_item === item,
          )!;
          // the prorations cover the rest of the old period, from the change on
          expect(credit.period.end).toBe(invs[k]!.created);
          expect(credit.period).toEqual(charge.period);
          expect(credit.period.start).toBeGreaterThan(oldLine.period.start);
          expect(oldLine.pricing.price_details.price).toBe(credit.pricing.price_details.price);
          expect(oldLine.quantity).toBe(credit.quantity);
          expect(newLine.pricing.price_details.price).toBe(charge.pricing.price_details.price);
          expect(newLine.quantity).toBe(charge.quantity);
          if (credit.pricing.price_details.price !== charge.pricing.price_details.price) {
            upgrades++;
            expect(charge.quantity).toBe(credit.quantity);
          } else {
            quantities++;
            expect(charge.quantity).not.toBe(credit.quantity);
          }
        }
      }
    }
    expect(upgrades).toBeGreaterThan(0);
    expect(quantities).toBeGreaterThan(0);
  });

  it('changes emit customer.subscription.updated with previous_attributes (items, cancel_at_period_end, status)', () => {
    const updated = parse<{ type: string; data: { previous_attributes?: Obj } }>('events').filter(
      (e) => e.type === 'customer.subscription.updated',
    );
    const changed = (field: string): number =>
      updated.filter((e) => e.data.previous_attributes?.[field] !== undefined).length;
    expect(changed('items')).toBeGreaterThan(0);
    expect(changed('cancel_at_period_end')).toBeGreaterThan(0);
    expect(changed('status')).toBeGreaterThan(0);
  });

  it('a subscription embeds its items (up to 10); subscriptionItems gives them all', () => {
    for (const s of subs) {
      const all = subscriptionItems(w, decodeObjectId(w.seed, 'subscriptions', s.id)!, NOW)!;
      expect(s.items.total_count).toBe(all.length);
      expect(s.items.data.map((i) => i.id)).toEqual(all.slice(0, 10).map((c) => c.id));
    }
  });
});
