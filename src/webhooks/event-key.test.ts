import { describe, expect, it } from 'vitest';
import { assertValidKey } from '../storage/object-store.js';
import { encodeEventId, isWebhookBronzeKeyFor, webhookBronzeKey, webhookMarkerKey } from './event-key.js';

const TRICKY = [
  'evt_1',
  'evt/1',
  'evt_1/',
  '../x',
  '..',
  '.',
  'a/../../etc/passwd',
  'EVT_1',
  'Evt_1',
  'evt-1',
  'evt.1',
  'evt 1',
  'evt\\1',
  'evt\u00fc',
  'evtu\u0308',
  '\u{1F4B3}',
  '\uD800',
  '\uDC00',
  '\uFFFD',
  '\u0000',
  'b64.ZXZ0XzE',
  'sha256.abc',
  'u16.AA',
  'x'.repeat(200),
  'x'.repeat(201),
  'y'.repeat(1000),
  'y'.repeat(1001),
  `${'z'.repeat(150)}/`,
  `${'z'.repeat(150)}.`,
];

describe('encodeEventId', () => {
  it('keeps Stripe-style ids as they are', () => {
    expect(encodeEventId('evt_1NqXYZ2eZvKYlo2C')).toBe('evt_1NqXYZ2eZvKYlo2C');
  });

  it('is injective on tricky ids (case, traversal, unicode, lone surrogates, length)', () => {
    const encoded = TRICKY.map(encodeEventId);
    expect(new Set(encoded).size).toBe(TRICKY.length);
  });

  it('gives keys that are valid, traversal-free, short single path segments', () => {
    for (const id of TRICKY) {
      const enc = encodeEventId(id);
      expect(enc).toMatch(/^[A-Za-z0-9_.-]+$/);
      expect(enc.length).toBeLessThanOrEqual(200);
      expect(enc === '.' || enc === '..').toBe(false);
      expect(() => assertValidKey(webhookBronzeKey(id, 0))).not.toThrow();
      expect(() => assertValidKey(webhookMarkerKey(id))).not.toThrow();
    }
  });

  it('is deterministic and separates the plain space from the encoded ones', () => {
    expect(encodeEventId('evt/1')).toBe(encodeEventId('evt/1'));
    expect(encodeEventId('evt/1').startsWith('b64.')).toBe(true);
    expect(encodeEventId('\uD800').startsWith('u16.')).toBe(true);
    expect(encodeEventId('y'.repeat(1000)).startsWith('sha256.')).toBe(true);
    // A plain id can never contain '.', so it never equals an encoded name.
    expect(encodeEventId('b64.ZXZ0XzE')).not.toBe('b64.ZXZ0XzE');
    expect(() => encodeEventId('')).toThrow();
  });
});

describe('webhook keys', () => {
  it('puts the event under the received UTC date', () => {
    const at = Date.UTC(2024, 0, 31, 23, 59, 59);
    expect(webhookBronzeKey('evt_1', at)).toBe(
      'bronze/source=stripe/entity=webhook_events/dt=2024-01-31/evt_1.json',
    );
    expect(webhookMarkerKey('evt/1')).toBe(`_state/webhooks/seen/${encodeEventId('evt/1')}.json`);
  });

  it('recognises only keys of the same event id', () => {
    const key = webhookBronzeKey('evt_1', 0);
    expect(isWebhookBronzeKeyFor(key, 'evt_1')).toBe(true);
    expect(isWebhookBronzeKeyFor(key, 'EVT_1')).toBe(false);
    expect(
      isWebhookBronzeKeyFor('bronze/source=stripe/entity=charges/dt=1970-01-01/evt_1.json', 'evt_1'),
    ).toBe(false);
    expect(isWebhookBronzeKeyFor('../evt_1.json', 'evt_1')).toBe(false);
  });
});
