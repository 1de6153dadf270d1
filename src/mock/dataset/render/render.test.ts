import { expect, it, describe as suite } from 'vitest';
import { ObjectFactory, previousAttributes } from '../../../../test/helpers/mock-reference-objects.js';
import { Dataset } from '../dataset.js';
import { GEN_CYCLES, subscriptionPlan } from '../families/subscription.js';
import { decodeEventId, KIND_ENTITY, Kind, unpack } from '../ids.js';
import { describe, walkWorld } from '../timeline.js';
import { EVENT_RETENTION_SECONDS, type VersionSink } from '../versions.js';
import { DAY } from '../world.js';
import { invoiceLines, subscriptionItems } from './children.js';
import { MOCK_API_VERSION, previousAttributesJson, topLevelFields } from './event.js';
import { JsonRenderer } from './json-renderer.js';

// Seed 3, 150 days of a small volume (seed 7 has no deleted product or price): enough refunds (full and partial), disputes won and lost,
// updated and deleted customers, canceled subscriptions and many invoice cycles.
const NOW = Date.parse('2026-03-15T12:00:00Z') / 1000;
const VOLUME = { days: 150, chargesPerDay: 15, customersPerDay: 5 };

interface Version {
  k: number;
  hi: number;
  lo: number;
  n: number;
  t: number;
}

/** Every version of every object up to `tMax`, from the same walk the index uses. */
function allVersions(ds: Dataset, tMax: number): Version[] {
  const out: Version[] = [];
  const sink: VersionSink = {
    add(k, d, i, s, n, t) {
      out.push({ k, hi: k * 65536 + d, lo: i * 4096 + s, n, t });
    },
  };
  walkWorld(ds.world, tMax, sink);
  return out;
}

suite('JsonRenderer', () => {
  const ds = new Dataset(3, VOLUME, NOW);
  const factory = new ObjectFactory(ds.world);
  const renderer = new JsonRenderer(ds.world);
  const versions = allVersions(ds, NOW + 60 * DAY);

  it('renders every version of every object byte for byte as JSON.stringify of the builder', () => {
    const kinds = new Set<number>();
    let checked = 0;
    for (const v of versions) {
      const d = describe(ds.world, unpack(v.hi, v.lo), v.t)!;
      // The version itself, and the state at a later time (lists and retrieve show that).
      expect(renderer.build(d, v.n)).toBe(JSON.stringify(factory.build(d, v.n)));
      for (const dt of [0, 1, 3 * DAY]) {
        const later = describe(ds.world, d.ref, v.t + dt)!;
        const lastV = later.versions.length - 1;
        const want = JSON.stringify(factory.build(later, lastV, true));
        expect(renderer.build(later, lastV, true)).toBe(want);
        // The shortcut lists and truth take: the state at a time, without the timeline.
        expect(renderer.stateAt(d.ref, v.t + dt)).toBe(want);
      }
      kinds.add(v.k);
      checked++;
    }
    expect(new Set([...kinds].map((k) => KIND_ENTITY[k]))).toEqual(
      new Set([
        'customers',
        'subscriptions',
        'invoices',
        'charges',
        'payment_intents',
        'refunds',
        'disputes',
        'balance_transactions',
        'products',
        'prices',
        'coupons',
        'payouts',
      ]),
    );
    expect(kinds.size).toBe(23);
    expect(checked).toBeGreaterThan(20_000);
  });

  it('the variants the checks above must cover do occur', () => {
    // every version (a trial shows on the creation only)
    const texts = versions.map((v) => {
      const d = describe(ds.world, unpack(v.hi, v.lo), v.t)!;
      return renderer.build(d, v.n, true);
    });
    for (const needle of [
      '"deleted":true',
      '"status":"won"',
      '"status":"lost"',
      '"status":"canceled"',
      '"status":"paid"',
      '"refunded":true',
      '"refunded":false,"refunds":{"object":"list","data":[{',
      '"status":"available"',
      '"tier":"gold"',
      '"object":"product","deleted":true',
      '"object":"price","deleted":true',
      '"object":"coupon","deleted":true',
      '"object":"product","active":false',
      '"object":"price","active":false',
      ' off (legacy)"',
      '"duration":"repeating","duration_in_months":',
      '"interval":"month","interval_count":3',
      '"type":"one_time"',
      '"object":"payout","amount":',
      '"status":"in_transit"',
      '"reconciliation_status":"completed"',
      '"failure_code":"',
      // the SaaS life: trials, past-due renewals, cancellations, prorations, coupons, long lists
      '"status":"trialing"',
      '"status":"past_due"',
      '"status":"void"',
      '"status":"uncollectible"',
      '"cancel_at_period_end":true',
      '"reason":"payment_failed"',
      '"proration":true',
      '"discount_amounts":[{"amount":',
      '"has_more":true,"total_count":',
      'Trial period for ',
      'Unused time on ',
      '"nickname":"Starter 1/year"',
      '"interval":"month","interval_count":3',
    ])
      expect(
        texts.some((t) => t.includes(needle)),
        needle,
      ).toBe(true);
  });

  it('the full child lists (invoice lines, subscription items) equal the reference builder, the embedded ones their first 10', () => {
    let long = 0;
    for (const v of versions) {
      const ref = unpack(v.hi, v.lo);
      if (ref.kind !== Kind.invoice && ref.kind !== Kind.subscription) continue;
      const d = describe(ds.world, ref, v.t)!;
      const full =
        ref.kind === Kind.invoice
          ? invoiceLines(ds.world, ref, v.t)!
          : subscriptionItems(ds.world, ref, v.t)!;
      const parent = JSON.parse(renderer.build(d, v.n)) as Record<
        string,
        { data: unknown[]; total_count: number }
      >;
      const embedded = parent[ref.kind === Kind.invoice ? 'lines' : 'items']!;
      const code = ref.sub / 4;
      const want =
        ref.kind === Kind.invoice
          ? factory.invoiceLines(
              subscriptionPlan(ds.world, ref.day, ref.index, Math.floor(code / GEN_CYCLES))!,
              code % GEN_CYCLES,
            )
          : factory.subscriptionItems(subscriptionPlan(ds.world, ref.day, ref.index, ref.sub)!, v.t);
      expect(full.map((c) => c.json)).toEqual(want.map((o) => JSON.stringify(o)));
      expect(full.map((c) => c.id)).toEqual(want.map((o) => o['id']));
      expect(embedded.total_count).toBe(full.length);
      expect(embedded.data).toEqual(want.slice(0, 10));
      if (full.length > 10) long++;
    }
    expect(long).toBeGreaterThan(0);
  });

  it('events (every retained one) equal JSON.stringify of the reference event', () => {
    const now = NOW + 40 * DAY;
    // the reference events are the current API version's (older ones: old-api-version.test.ts)
    ds.oldVersionShare = 0;
    let changes = 0;
    for (const text of ds.truth('events', now)) {
      const ev = JSON.parse(text) as { id: string; created: number };
      const { ref, v } = decodeEventId(ds.world.seed, ev.id)!;
      expect(text).toBe(JSON.stringify(factory.event(ref, v, ev.created, MOCK_API_VERSION)));
      if (text.includes('"previous_attributes":{"')) changes++;
      expect(ev.created).toBeGreaterThan(now - EVENT_RETENTION_SECONDS);
    }
    expect(changes).toBeGreaterThan(100);
  });
});

suite('topLevelFields / previousAttributesJson', () => {
  it('splits top-level fields, honouring strings with escapes, brackets and commas', () => {
    const obj = {
      a: 'x,"y}]',
      b: { c: [1, { d: '\\' }], e: null },
      f: [],
      g: -1.5,
      h: true,
      i: 'é × \n',
    };
    const json = JSON.stringify(obj);
    expect(topLevelFields(json)).toEqual(Object.entries(obj).map(([k, v]) => [k, JSON.stringify(v)]));
    expect(topLevelFields('{}')).toEqual([]);
  });

  it('equals the reference previous_attributes', () => {
    const before = { id: 'x', a: { b: 1 }, c: 'same', d: [1, 2], e: null };
    const after = { id: 'x', a: { b: 2 }, c: 'same', d: [1, 2], e: 'now' };
    expect(previousAttributesJson(JSON.stringify(before), JSON.stringify(after))).toBe(
      JSON.stringify(previousAttributes(before, after)),
    );
  });
});
