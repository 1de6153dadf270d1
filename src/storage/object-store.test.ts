import { describe, expect, it } from 'vitest';
import { assertValidKey } from './object-store.js';

describe('assertValidKey', () => {
  it.each([
    'a',
    'bronze/source=stripe/entity=charges/dt=2024-01-01/part-0001.jsonl',
    'a/b/c=1/x.json',
    '_state/lock.json',
    '.hidden',
    'a/..b/c..',
    'with space/ünïcode ✓',
  ])('accepts %j', (key) => {
    expect(() => assertValidKey(key)).not.toThrow();
  });

  it.each(['', '/abs', 'trailing/', 'a//b', '.', '..', './a', 'a/.', 'a/./b', 'a/../b', '../up', 'a\\b'])(
    'rejects %j',
    (key) => {
      expect(() => assertValidKey(key)).toThrow(`invalid object key "${key}"`);
    },
  );
});
