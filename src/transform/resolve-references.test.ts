import { describe, expect, it } from 'vitest';
import { silentLogger } from '../obs/logger.js';
import { layout } from '../storage/layout.js';
import { type FetchRound, type MissingReference, resolveReferences } from './resolve-references.js';
import { tablesReading } from './run-transform.js';

const ref = (table: string, id: string) => ({ table, id }) as MissingReference;

describe('resolveReferences', () => {
  it('fetches round after round what the transform still misses, never an unknown id twice', async () => {
    const asked: string[][] = [];
    // Round 1 fetches a charge that names a customer the API does not know, and one it knows.
    const rounds: FetchRound[] = [
      { fetched: { charges: 1 }, not_found: ['customers/cus_gone'], bronze_keys: ['b1'] },
      { fetched: { customers: 1 }, not_found: [], bronze_keys: ['b2'] },
    ];
    const still = [
      [ref('customers', 'cus_gone'), ref('customers', 'cus_old')],
      [ref('customers', 'cus_gone')],
    ];
    const report = await resolveReferences({
      missing: [ref('charges', 'ch_old'), ref('customers', 'cus_gone')],
      fetch: async (refs) => {
        asked.push(refs.map((r) => r.id));
        return rounds.shift()!;
      },
      probe: async () => still.shift()!,
      logger: silentLogger(),
    });
    expect(asked).toEqual([['ch_old', 'cus_gone'], ['cus_old']]);
    expect(report).toEqual({
      rounds: 2,
      fetched: { charges: 1, customers: 1 },
      not_found: ['customers/cus_gone'],
      bronze_keys: 2,
    });
  });

  it('follows a chain as long as the SaaS tables make (8 steps) by default', async () => {
    // payout transaction -> charge -> payment intent -> invoice -> subscription -> price -> product -> default price
    const chain = ['txn', 'ch', 'pi', 'in', 'sub', 'price', 'prod', 'price2'];
    let step = 0;
    const report = await resolveReferences({
      missing: [ref('balance_transactions', chain[0]!)],
      fetch: async () => ({ fetched: { x: 1 }, not_found: [], bronze_keys: ['k'] }),
      probe: async () => {
        step++;
        return step < chain.length ? [ref('charges', chain[step]!)] : [];
      },
      logger: silentLogger(),
    });
    expect([report.rounds, report.fetched.x]).toEqual([8, 8]);
  });

  it('stops after a round that fetched nothing, and after maxRounds', async () => {
    let probes = 0;
    const none = await resolveReferences({
      missing: [ref('customers', 'cus_x')],
      fetch: async () => ({ fetched: {}, not_found: [], bronze_keys: [] }),
      probe: async () => [ref('customers', 'cus_x')],
      logger: silentLogger(),
    });
    expect(none.rounds).toBe(1);
    const capped = await resolveReferences({
      missing: [ref('customers', 'cus_x')],
      fetch: async () => ({ fetched: { customers: 1 }, not_found: [], bronze_keys: ['k'] }),
      probe: async () => {
        probes++;
        return [ref('customers', `cus_${probes}`)];
      },
      logger: silentLogger(),
      maxRounds: 2,
    });
    expect([capped.rounds, probes, capped.fetched.customers]).toEqual([2, 2, 2]);
    expect(
      (
        await resolveReferences({
          missing: [],
          fetch: async () => ({ fetched: {}, not_found: [], bronze_keys: [] }),
          probe: async () => [],
          logger: silentLogger(),
        })
      ).rounds,
    ).toBe(0);
  });
});

describe('tablesReading', () => {
  it('names the Silver tables whose inputs a round wrote: the entity, and children of a parent', () => {
    const part = (entity: string) => layout.bronzePart(entity, '2024-01-01', 'r1', 100_000);
    expect(tablesReading([part('customers'), part('invoices'), part('customers')])).toEqual([
      'customers',
      'invoices',
      'invoice_line_items',
    ]);
    expect(tablesReading([part('subscriptions')])).toEqual(['subscriptions', 'subscription_items']);
    expect(tablesReading([part('payout_balance_transactions')])).toEqual(['payout_balance_transactions']);
    expect(tablesReading(['_state/lock.json'])).toEqual([]);
  });
});
