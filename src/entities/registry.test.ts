import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CHILD_TABLES, SILVER_CONTRACTS, SILVER_TABLES } from '../contracts/silver.js';
import type { EntityDef } from './entity.js';
import {
  dependencyOrder,
  ENTITY_NAMES,
  entityForEventType,
  entityForId,
  entityForObject,
  isDeleteEvent,
} from './lookups.js';
import { ENTITIES } from './registry.js';

describe('entity registry', () => {
  it('has unique names, object names, endpoints and id prefixes', () => {
    const unique = (xs: string[]) => expect(new Set(xs).size).toBe(xs.length);
    unique(ENTITIES.map((e) => e.name));
    unique(ENTITIES.map((e) => e.objectName));
    unique(ENTITIES.map((e) => e.endpoint));
    unique(ENTITIES.flatMap((e) => [...e.idPrefixes]));
  });

  it('has one entity per event type, and delete events among its own event types', () => {
    const types = ENTITIES.flatMap((e) => [...e.eventTypes]);
    expect(new Set(types).size).toBe(types.length);
    for (const e of ENTITIES) for (const t of e.deleteEvents) expect(e.eventTypes).toContain(t);
    // Stripe quirk: customer.subscription.deleted means canceled, not gone.
    expect(isDeleteEvent('customer.subscription.deleted')).toBe(false);
    expect(isDeleteEvent('customer.deleted')).toBe(true);
    expect(entityForEventType('charge.dispute.closed')?.name).toBe('disputes');
  });

  it('orders parents first and rejects unknown dependencies and cycles', () => {
    const order = dependencyOrder().map((e) => e.name);
    for (const e of ENTITIES)
      for (const dep of e.dependsOn) expect(order.indexOf(dep)).toBeLessThan(order.indexOf(e.name));
    const base: EntityDef = { ...ENTITIES[0]!, dependsOn: [] };
    expect(() => dependencyOrder([{ ...base, name: 'charges', dependsOn: ['refunds'] }])).toThrow(
      /unknown entity/,
    );
    expect(() =>
      dependencyOrder([
        { ...base, name: 'charges', dependsOn: ['refunds'] },
        { ...base, name: 'refunds', dependsOn: ['charges'] },
      ]),
    ).toThrow(/cycle/);
  });

  it('resolves ids by the longest prefix and objects by their object name', () => {
    expect(entityForId('pyr_123')?.name).toBe('refunds');
    expect(entityForId('py_123')?.name).toBe('charges');
    expect(entityForId('txn_1')?.name).toBe('balance_transactions');
    expect(entityForId('xx_1')).toBeUndefined();
    expect(entityForObject('payment_intent')?.name).toBe('payment_intents');
  });

  it('has a Silver contract and one SQL model per table, and nothing else', () => {
    // every API entity, the webhook deliveries, and the child collections read through parents
    expect([...SILVER_TABLES].sort()).toEqual([...ENTITY_NAMES, 'webhook_events', ...CHILD_TABLES].sort());
    expect([...CHILD_TABLES].sort()).toEqual([
      'invoice_line_items',
      'payout_balance_transactions',
      'subscription_items',
    ]);
    for (const table of SILVER_TABLES) {
      // SPEC 7.1: a payout's transactions are keyed by the pair
      const key = table === 'payout_balance_transactions' ? ['payout_id', 'balance_transaction_id'] : ['id'];
      expect(SILVER_CONTRACTS[table].primaryKey, table).toEqual(key);
      expect(existsSync(new URL(`../transform/sql/silver/${table}.sql`, import.meta.url)), table).toBe(true);
      for (const fk of SILVER_CONTRACTS[table].foreignKeys) {
        for (const ref of fk.references) expect(SILVER_TABLES).toContain(ref);
      }
    }
  });
});
