import { describe, expect, it } from 'vitest';
import {
  createdProblem,
  EARLIEST_CREATED,
  eventProblem,
  jsonDepthExceeds,
  objectProblem,
  valueProblem,
} from './readable.js';

const NOW = 1_718_452_800;

describe('what a transform can read (SPEC 15)', () => {
  it('created: an integer Unix time from 2009 to the source clock plus a day', () => {
    expect(createdProblem(NOW, NOW)).toBeUndefined();
    expect(createdProblem(EARLIEST_CREATED, NOW)).toBeUndefined();
    expect(createdProblem(NOW + 86_400, NOW)).toBeUndefined();
    expect(createdProblem(NOW + 86_401, NOW)).toMatch(/more than a day after/);
    expect(createdProblem(1e20, NOW)).toMatch(/not an integer/);
    expect(createdProblem(NOW + 0.5, NOW)).toMatch(/not an integer/);
    expect(createdProblem(-1, NOW)).toMatch(/before 2009/);
    expect(createdProblem('1718452800', NOW)).toMatch(/not an integer/);
    expect(createdProblem(null, NOW)).toMatch(/not an integer/);
  });

  it('counts nesting on the bytes, strings excepted, without recursion', () => {
    expect(jsonDepthExceeds(Buffer.from('[[[]]]'), 3)).toBe(false);
    expect(jsonDepthExceeds(Buffer.from('[[[[]]]]'), 3)).toBe(true);
    expect(jsonDepthExceeds(Buffer.from('{"a":"[[[[[[\\"[[["}'), 1)).toBe(false);
    expect(jsonDepthExceeds(Buffer.from(`${'['.repeat(100_000)}${']'.repeat(100_000)}`))).toBe(true);
  });

  it('finds lone surrogates anywhere (keys too) but lets pairs through', () => {
    expect(valueProblem({ a: ['ok 😀', { b: 'é' }] })).toBeUndefined();
    expect(valueProblem({ a: ['x', { b: 'y\ud800' }] })).toMatch(/lone UTF-16 surrogate/);
    expect(valueProblem({ 'k\udc00': 1 })).toMatch(/in a key/);
    expect(valueProblem([[[1]]], 2)).toMatch(/deeper than 2/);
  });

  it('objects need a string id; events a type, a created and a readable data.object', () => {
    expect(objectProblem({ id: 'cus_1', created: NOW }, NOW)).toBeUndefined();
    expect(objectProblem({ id: 'cus_1' }, NOW)).toBeUndefined();
    expect(objectProblem(7, NOW)).toBe('not a JSON object');
    expect(objectProblem([{ id: 'x' }], NOW)).toBe('not a JSON object');
    expect(objectProblem({ id: '' }, NOW)).toMatch(/id/);
    const ev = {
      id: 'evt_1',
      type: 'customer.updated',
      created: NOW,
      data: { object: { id: 'cus_1', created: NOW } },
    };
    expect(eventProblem(ev, NOW)).toBeUndefined();
    expect(eventProblem({ ...ev, created: undefined }, NOW)).toMatch(/created/);
    expect(eventProblem({ ...ev, data: { object: [1] } }, NOW)).toMatch(/data\.object/);
    expect(eventProblem({ ...ev, data: { object: { id: 'cus_1', created: 1e20 } } }, NOW)).toMatch(
      /^data\.object created/,
    );
    // An object without an id is not routed anywhere: only its shape matters.
    expect(eventProblem({ ...ev, data: { object: { object: 'balance' } } }, NOW)).toBeUndefined();
  });
});
