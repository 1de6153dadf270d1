import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../test/helpers/random.js';
import { scanList } from './list-scan.js';

const enc = (s: string) => Buffer.from(s, 'utf8');
const body = (data: unknown[], hasMore = true, extra = '') =>
  `{"object":"list","data":${JSON.stringify(data)},"has_more":${hasMore},"url":"/v1/charges"${extra}}`;

/** What a correct scan must give: each element's JSON, id, created, and has_more, by JSON.parse. */
function parsedView(text: string) {
  const b = JSON.parse(text) as { data: Record<string, unknown>[]; has_more: boolean };
  return {
    items: b.data.map((o) => ({
      json: o,
      id: o.id,
      created: typeof o.created === 'number' ? o.created : undefined,
      // found only when sent as plain ASCII, without escapes
      type:
        typeof o.type === 'string' && /^[\x20-\x7e]*$/.test(o.type) && !/["\\]/.test(o.type)
          ? o.type
          : undefined,
    })),
    hasMore: b.has_more,
  };
}
function scannedView(text: string) {
  const buf = enc(text);
  const r = scanList(buf);
  if (!r) return undefined;
  return {
    items: r.items.map((it) => ({
      json: JSON.parse(buf.subarray(it.start, it.end).toString('utf8')) as unknown,
      id: it.id,
      created: it.created,
      type: it.type,
    })),
    hasMore: r.hasMore,
  };
}

/** A deterministic generator (mulberry32), so a failure names a seed that reproduces it. */
const rng = seededRandom;
const NASTY = [
  '"',
  '\\',
  '{',
  '}',
  '[',
  ']',
  ',',
  ':',
  '\n',
  '\t',
  'é',
  '日本',
  '😀',
  '\u0000',
  '\u2028',
  '"id":"x"',
  'created',
];
function randomString(r: () => number): string {
  let s = '';
  const n = Math.floor(r() * 6);
  for (let k = 0; k < n; k++)
    s += r() < 0.5 ? NASTY[Math.floor(r() * NASTY.length)] : String.fromCharCode(97 + Math.floor(r() * 26));
  return s;
}
function randomValue(r: () => number, depth: number, stringsOnly: boolean): unknown {
  const k = r();
  if (depth > 3 || k < 0.4) {
    if (stringsOnly || k < 0.2) return randomString(r);
    return [Math.floor(r() * 1e6), -1.5e-3, true, false, null][Math.floor(r() * 5)];
  }
  if (k < 0.7)
    return Array.from({ length: Math.floor(r() * 4) }, () => randomValue(r, depth + 1, stringsOnly));
  return randomObject(r, depth + 1, stringsOnly);
}
function randomObject(r: () => number, depth: number, stringsOnly: boolean): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  // nested objects with their own id and created, as Stripe's embedded lists have
  if (r() < 0.5) o.id = `nested_${randomString(r)}`;
  if (!stringsOnly && r() < 0.5) o.created = Math.floor(r() * 2e9);
  for (let k = Math.floor(r() * 4); k > 0; k--) o[randomString(r)] = randomValue(r, depth, stringsOnly);
  return o;
}
function randomList(r: () => number, stringsOnly: boolean): string {
  const data = Array.from({ length: Math.floor(r() * 5) }, (_, k) => {
    const o: Record<string, unknown> = { id: `ch_${k}${String.fromCharCode(97 + Math.floor(r() * 26))}` };
    if (!stringsOnly && r() < 0.8) o.created = 1_700_000_000 + Math.floor(r() * 1e6);
    if (r() < 0.3) o.type = r() < 0.5 ? 'charge.refunded' : randomString(r);
    return Object.assign(o, randomObject(r, 1, stringsOnly), { id: o.id });
  });
  return body(data, r() < 0.5);
}

describe('scanList', () => {
  it('finds each element, its id and created, and has_more, as JSON.parse sees them', () => {
    const text = body([
      {
        id: 'ch_1',
        object: 'charge',
        created: 1_700_000_000,
        refunds: { data: [{ id: 're_1', created: 5 }] },
      },
      {
        object: 'charge',
        description: 'a "quoted" {"id":"ch_x"} ,[ and ünïcode 😀 \\',
        id: 'ch_2',
        created: 1.7e9,
      },
      {
        id: 'ch_3',
        nested: [{ id: 'x', created: 1, type: 'y' }, [1, 2]],
        metadata: {},
        type: 'charge.refunded',
      },
    ]);
    expect(scannedView(text)).toEqual(parsedView(text));
    expect(scannedView(text)!.items.map((i) => [i.id, i.created, i.type])).toEqual([
      ['ch_1', 1_700_000_000, undefined],
      ['ch_2', 1.7e9, undefined],
      ['ch_3', undefined, 'charge.refunded'],
    ]);
  });

  it('reads a top-level status, not a nested one, and none with escapes', () => {
    const text = body([
      { id: 'txn_1', created: 5, source: { id: 'ch_1', status: 'succeeded' }, status: 'pending' },
      { id: 'txn_2', created: 6, status: 'available' },
      { id: 'txn_3', created: 7, fee_details: [{ status: 'pending' }] },
    ]);
    expect(scanList(Buffer.from(text))!.items.map((i) => i.status)).toEqual([
      'pending',
      'available',
      undefined,
    ]);
    const escaped = '{"object":"list","data":[{"id":"txn_4","status":"pend\\u0069ng"}],"has_more":false}';
    expect(scanList(Buffer.from(escaped))!.items[0]!.status).toBeUndefined();
  });

  it('gives the exact bytes of each element, not a re-serialisation', () => {
    const text =
      '{"object":"list","data":[{"id":"a","z":1.50,"n":"\\u00e9"},{"id":"b","y":1e3}],"has_more":false}';
    const buf = enc(text);
    const r = scanList(buf)!;
    expect(r.items.map((i) => buf.subarray(i.start, i.end).toString())).toEqual([
      '{"id":"a","z":1.50,"n":"\\u00e9"}',
      '{"id":"b","y":1e3}',
    ]);
    expect(r.hasMore).toBe(false);
  });

  it('takes an empty page, and has_more before data', () => {
    expect(scanList(enc('{"object":"list","data":[],"has_more":false}'))).toEqual({
      items: [],
      hasMore: false,
    });
    expect(scanList(enc('{"has_more":true,"data":[{"id":"a"}]}'))).toEqual({
      items: [{ start: 25, end: 35, id: 'a', created: undefined, type: undefined, suspect: false }],
      hasMore: true,
    });
  });

  it('agrees with JSON.parse on 2,000 random lists (nested ids, escapes, unicode)', () => {
    for (let seed = 1; seed <= 2000; seed++) {
      const text = randomList(rng(seed), false);
      expect(scannedView(text), `seed ${seed}`).toEqual(parsedView(text));
    }
  });

  it('declines every truncation of a valid body', () => {
    const text = randomList(rng(7), false);
    const buf = enc(text);
    expect(scanList(buf)).toBeDefined();
    for (let cut = 0; cut < buf.length; cut++)
      expect(scanList(buf.subarray(0, cut)), `cut ${cut}`).toBeUndefined();
  });

  it('never vouches for a body JSON.parse rejects, under single-byte damage', () => {
    // Strings only (has_more aside), so every byte is structure or string content: the scan
    // checks both fully, and must decline exactly what JSON.parse rejects.
    const replacements = ['"', '\\', '{', '}', '[', ']', ',', ':', ' ', '\n', '\u0001', 'x', '1', '\u00ff'];
    let damaged = 0;
    for (let seed = 1; seed <= 300; seed++) {
      const r = rng(seed);
      const text = randomList(r, true);
      const buf = enc(text);
      const hasMoreAt = text.lastIndexOf('"has_more":');
      for (let k = 0; k < 20; k++) {
        const at = Math.floor(r() * buf.length);
        if (at >= hasMoreAt && at < hasMoreAt + 16) continue;
        const bad = Buffer.concat([
          buf.subarray(0, at),
          enc(replacements[Math.floor(r() * replacements.length)]!),
          buf.subarray(at + 1),
        ]);
        let parsed: ReturnType<typeof parsedView> | undefined;
        try {
          parsed = parsedView(bad.toString('utf8'));
          if (!parsed.items.every((i) => typeof i.id === 'string')) parsed = undefined;
        } catch {
          parsed = undefined;
        }
        const scanned = scanList(bad);
        if (scanned === undefined) continue;
        damaged++;
        expect(parsed, `seed ${seed} byte ${at}: ${bad.toString()}`).toBeDefined();
        expect(scannedView(bad.toString('utf8'))).toEqual(parsed);
      }
    }
    expect(damaged).toBeGreaterThan(0);
  });

  it('declines what it cannot vouch for', () => {
    const ok = body([{ id: 'ch_1', created: 1 }]);
    expect(scanList(enc(ok))).toBeDefined();
    const cases: Record<string, string | Buffer> = {
      'pretty-printed, as Stripe itself answers': JSON.stringify(JSON.parse(ok), null, 2),
      'a space between tokens': ok.replace('"data":', '"data": '),
      'a raw newline in a string': ok.replace('"ch_1"', '"ch\n1"'),
      'a raw control character in a string': ok.replace('"/v1/charges"', '"/v1/\u0001"'),
      'an invalid escape': ok.replace('"/v1/charges"', '"\\x"'),
      'a short unicode escape': ok.replace('"/v1/charges"', '"\\u12"'),
      'invalid UTF-8': Buffer.concat([enc(ok.slice(0, -20)), Buffer.from([0xc3, 0x28]), enc(ok.slice(-18))]),
      'an element that is not an object': body([1, { id: 'a' }]),
      'a string element': body(['a']),
      'an element without an id': body([{ created: 1 }]),
      'an id that is not a string': body([{ id: 7 }]),
      'an id with an escape': '{"data":[{"id":"a\\"b"}],"has_more":false}',
      'an id that is not ASCII': body([{ id: 'ché' }]),
      'no has_more': '{"object":"list","data":[]}',
      'a has_more that is not a boolean': '{"data":[],"has_more":1}',
      'no data': '{"object":"list","has_more":false}',
      'two data arrays': '{"data":[],"data":[],"has_more":false}',
      'a data object, not an array': '{"data":{"id":"a"},"has_more":false}',
      'trailing garbage': `${ok}x`,
      'two top-level values': `${ok}{}`,
      'a top-level array': '[{"data":[],"has_more":false}]',
      'mismatched brackets': '{"data":[{"id":"a"}},"has_more":false}',
      'a missing colon': '{"data"[],"has_more":false}',
      'a missing comma': '{"data":[]"has_more":false}',
      'a missing comma in an array': '{"data":[{"id":"a"}{"id":"b"}],"has_more":false}',
      'a trailing comma': '{"data":[{"id":"a"},],"has_more":false}',
      'a leading comma': '{"data":[,{"id":"a"}],"has_more":false}',
      'a key without a value': '{"data":[{"id":"a","x":}],"has_more":false}',
      'a value without a key': '{"data":[{"id":"a",1}],"has_more":false}',
      'a non-literal character': '{"data":[{"id":"a","x":@}],"has_more":false}',
      'too deep': `{"data":[{"id":"a","x":${'['.repeat(70)}${']'.repeat(70)}}],"has_more":false}`,
      empty: '',
    };
    for (const [what, text] of Object.entries(cases)) {
      expect(scanList(typeof text === 'string' ? enc(text) : text), what).toBeUndefined();
    }
  });

  it('flags surrogate escapes and odd created values for a closer look (SPEC 15)', () => {
    const flags = (els: string) =>
      scanList(enc(`{"object":"list","data":[${els}],"has_more":false}`))!.items.map((i) => i.suspect);
    expect(flags('{"id":"a","created":1700000000,"n":"\\u00e9"}')).toEqual([false]);
    expect(flags('{"id":"a","n":"\\ud800"}')).toEqual([true]);
    expect(flags('{"id":"a","n":"\\uDC00x"}')).toEqual([true]);
    expect(flags('{"id":"a","created":1700000000.5}')).toEqual([true]);
    expect(flags('{"id":"a","created":1e20}')).toEqual([true]);
    expect(flags('{"id":"a","created":"1700000000"}')).toEqual([true]);
    expect(flags('{"id":"a","created":{"x":1}},{"id":"b","created":5}')).toEqual([true, false]);
    // a number with an exponent may be out of range: 1e999 parses as Infinity
    expect(flags('{"id":"a","n":1e999}')).toEqual([true]);
    expect(flags('{"id":"a","n":[{"m":-2.5E3}]}')).toEqual([true]);
    expect(flags('{"id":"a","t":true,"f":false,"z":null,"x":-1.5,"e":"1e999"}')).toEqual([false]);
  });
});
