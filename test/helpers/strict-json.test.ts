import { describe, expect, it } from 'vitest';
import { parseLogLines, parseStrictJson } from './strict-json.js';

describe('parseStrictJson', () => {
  it('parses JSON and rejects a repeated key, also nested', () => {
    expect(parseStrictJson('{"a":1,"b":{"c":[1,{"d":2}]}}')).toEqual({ a: 1, b: { c: [1, { d: 2 }] } });
    expect(() => parseStrictJson('{"step":"transform","step":"transform"}')).toThrow(/duplicate key "step"/);
    expect(() => parseStrictJson('{"a":{"x":1,"x":2}}')).toThrow(/duplicate key "x"/);
    expect(() => parseLogLines('{"a":1}\n{"a":1,"a":1}\n')).toThrow(/log line 2/);
  });
});
