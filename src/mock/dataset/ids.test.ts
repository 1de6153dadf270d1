import { describe, expect, it } from 'vitest';
import { decodeEventId, decodeObjectId, eventId, Kind, memberId, objectId } from './ids.js';

describe('ids', () => {
  it('encode and decode refs; order of ids equals order of refs', () => {
    const refs = [
      { kind: Kind.chargeOneOff, day: 20_500, index: 0, sub: 0 },
      { kind: Kind.chargeOneOff, day: 20_500, index: 1, sub: 0 },
      { kind: Kind.chargeInvoice, day: 20_400, index: 12, sub: 8 },
    ];
    const ids = refs.map((r) => objectId(42, r));
    for (const [n, id] of ids.entries()) {
      expect(id).toMatch(/^ch_[0-9A-Za-z]{24}$/);
      expect(decodeObjectId(42, 'charges', id)).toEqual(refs[n]);
    }
    expect([...ids].sort()).toEqual(ids);
  });

  it('rejects ids it did not make', () => {
    const id = objectId(42, { kind: Kind.customer, day: 20_500, index: 3, sub: 0 });
    expect(decodeObjectId(43, 'customers', id)).toBeNull();
    expect(decodeObjectId(42, 'charges', id)).toBeNull();
    expect(decodeObjectId(42, 'customers', `${id.slice(0, -1)}x`)).toBeNull();
    expect(decodeObjectId(42, 'customers', 'cus_nope')).toBeNull();
  });

  it('event ids carry the object ref and version', () => {
    const ref = { kind: Kind.invoice, day: 20_500, index: 7, sub: 4 };
    const id = eventId(42, ref, 2);
    expect(id).toMatch(/^evt_[0-9A-Za-z]{23}$/);
    expect(decodeEventId(42, id)).toEqual({ ref, v: 2 });
    expect(decodeEventId(42, id.replace(/.$/, '0'))).toBeNull();
  });

  it('member ids (lines, items, discounts) never repeat: 500k of them, as a 1m account has', () => {
    // 32-bit hashed ids repeated here (3 invoice lines under two invoices in the 1m preset)
    const seen = new Set<string>();
    for (let day = 19_000; day < 19_100; day++)
      for (let index = 0; index < 100; index++)
        for (let m = 0; m < 50; m++)
          seen.add(memberId('il_', 42, day, index, 1_000_000 + m * 64 + (m % 3), 24));
    expect(seen.size).toBe(500_000);
    expect([...seen][0]).toMatch(/^il_[0-9A-Za-z]{24}$/);
    expect(memberId('si_', 42, 19_000, 1, 2_000_000, 14)).toMatch(/^si_[0-9A-Za-z]{14}$/);
  });
});
