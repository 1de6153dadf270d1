import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../test/helpers/random.js';
import { scanEventObject } from './event-scan.js';
import { scanList } from './list-scan.js';

const enc = (s: string) => Buffer.from(s, 'utf8');

/** The event's bytes as the list scan hands them over, or undefined when it would not vouch. */
function vouched(event: string): Buffer | undefined {
  const buf = enc(`{"object":"list","data":[${event}],"has_more":false}`);
  const item = scanList(buf)?.items[0];
  return item && !item.suspect ? buf.subarray(item.start, item.end) : undefined;
}

/** What a correct scan must give, by JSON.parse. */
function parsedView(bytes: Buffer) {
  const ev = JSON.parse(bytes.toString('utf8')) as { data: { object: Record<string, unknown> } };
  const o = ev.data.object;
  return { json: o, id: o.id, object: o.object, created: o.created };
}
function scannedView(bytes: Buffer) {
  const r = scanEventObject(bytes);
  if (!r) return undefined;
  const json = JSON.parse(bytes.subarray(r.start, r.end).toString('utf8')) as unknown;
  return { json, id: r.id, object: r.object, created: r.created };
}

const NASTY = ['"', '\\', '{', '}', '[', ']', ',', ':', 'é', '😀', '"object":{', '"data":', 'id'];
function randomString(r: () => number): string {
  let s = '';
  for (let k = Math.floor(r() * 5); k > 0; k--)
    s += r() < 0.5 ? NASTY[Math.floor(r() * NASTY.length)] : String.fromCharCode(97 + Math.floor(r() * 26));
  return s;
}
function randomValue(r: () => number, depth: number): unknown {
  const k = r();
  if (depth > 3 || k < 0.4) return [randomString(r), 42, -1.5, true, false, null][Math.floor(r() * 6)];
  if (k < 0.6) return Array.from({ length: Math.floor(r() * 3) }, () => randomValue(r, depth + 1));
  return randomObject(r, depth + 1);
}
function randomObject(r: () => number, depth: number): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  // nested members named like the ones the scan looks for, at other depths
  for (const key of ['id', 'object', 'created', 'data']) if (r() < 0.3) o[key] = randomValue(r, depth + 1);
  for (let k = Math.floor(r() * 3); k > 0; k--) o[randomString(r)] = randomValue(r, depth);
  return o;
}
function randomEvent(r: () => number): string {
  const object: Record<string, unknown> = { ...randomObject(r, 3), id: `ch_${Math.floor(r() * 1e6)}` };
  if (r() < 0.8) object.object = r() < 0.5 ? 'charge' : 'customer';
  else delete object.object;
  if (r() < 0.8) object.created = 1_700_000_000 + Math.floor(r() * 1e6);
  else delete object.created;
  const data: Record<string, unknown> = r() < 0.5 ? { previous_attributes: randomObject(r, 2) } : {};
  data.object = object;
  if (r() < 0.3) data.previous_attributes = randomObject(r, 2);
  // the event's own members are set after the random ones, so no random key replaces them
  return JSON.stringify(
    Object.assign(randomObject(r, 1), {
      id: `evt_${Math.floor(r() * 1e6)}`,
      object: 'event',
      request: randomObject(r, 1),
      type: 'charge.updated',
      created: 1_700_000_000,
      data,
    }),
  );
}

describe('scanEventObject', () => {
  it('finds data.object, its bytes as sent, its id, object and created', () => {
    const event =
      '{"id":"evt_1","object":"event","data":{"previous_attributes":{"object":{"id":"x"}},"object":{"id":"ch_1","object":"charge","amount":1.50,"created":1700000000,"refunds":{"data":[{"id":"re_1","object":"refund","created":5}]}}},"type":"charge.updated","created":1700000100}';
    const bytes = vouched(event)!;
    const r = scanEventObject(bytes)!;
    expect(bytes.subarray(r.start, r.end).toString()).toBe(
      '{"id":"ch_1","object":"charge","amount":1.50,"created":1700000000,"refunds":{"data":[{"id":"re_1","object":"refund","created":5}]}}',
    );
    expect([r.id, r.object, r.created]).toEqual(['ch_1', 'charge', 1_700_000_000]);
  });

  it('agrees with JSON.parse on 2,000 random events, and vouches for most', () => {
    let found = 0;
    for (let seed = 1; seed <= 2000; seed++) {
      const bytes = vouched(randomEvent(seededRandom(seed)));
      if (!bytes) continue;
      const scanned = scannedView(bytes);
      if (!scanned) continue;
      found++;
      expect(scanned, `seed ${seed}`).toEqual(parsedView(bytes));
    }
    expect(found).toBeGreaterThan(1000);
  });

  it('declines what it cannot vouch for, so that the caller parses the event', () => {
    const declined = (e: string) => scanEventObject(enc(e)) === undefined;
    expect(declined('{"id":"e","data":{"object":{"id":"a"}}}')).toBe(false);
    // a repeated member: JSON.parse keeps the last one
    expect(declined('{"id":"e","data":{"object":{"id":"a"},"object":{"id":"b"}}}')).toBe(true);
    expect(declined('{"id":"e","data":{"object":{"id":"a"}},"data":{"object":{"id":"b"}}}')).toBe(true);
    expect(declined('{"id":"e","data":{"object":{"id":"a","id":"b"}}}')).toBe(true);
    expect(declined('{"id":"e","data":{"object":{"id":"a","created":1,"created":2}}}')).toBe(true);
    // an escaped key or id, a created that is not a safe integer, an id that is not a string
    expect(declined('{"id":"e","data":{"object":{"\\u0069d":"a","id":"b"}}}')).toBe(true);
    expect(declined('{"id":"e","data":{"object":{"id":"a\\u0062"}}}')).toBe(true);
    expect(declined('{"id":"e","data":{"object":{"id":"a","created":"5"}}}')).toBe(true);
    expect(declined('{"id":"e","data":{"object":{"id":"a","created":1.5}}}')).toBe(true);
    expect(declined('{"id":"e","data":{"object":{"id":["a"]}}}')).toBe(true);
    expect(declined('{"id":"e","data":{"object":{"id":7}}}')).toBe(true);
    // no id, no data.object, or data.object not an object
    expect(declined('{"id":"e","data":{"object":{"object":"charge"}}}')).toBe(true);
    expect(declined('{"id":"e","data":{"previous_attributes":{}}}')).toBe(true);
    expect(declined('{"id":"e","data":{"object":"charge"}}')).toBe(true);
    expect(declined('{"id":"e","object":{"id":"a"}}')).toBe(true);
  });
});
