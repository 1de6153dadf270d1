import { describe, expect, it } from 'vitest';
import { chunksOfBytes } from './read-chunks.js';

describe('chunksOfBytes', () => {
  const sizes = new Map([
    ['a', 60],
    ['b', 60],
    ['c', 10],
    ['big', 500],
  ]);
  it('keeps order and stays within the bound', () => {
    expect(chunksOfBytes(['a', 'b', 'c'], sizes, 100)).toEqual([['a'], ['b', 'c']]);
    expect(chunksOfBytes(['c', 'a', 'b'], sizes, 130)).toEqual([['c', 'a', 'b']]);
  });
  it('gives a key larger than the bound a chunk of its own, and nothing for no keys', () => {
    expect(chunksOfBytes(['a', 'big', 'c'], sizes, 100)).toEqual([['a'], ['big'], ['c']]);
    expect(chunksOfBytes([], sizes, 100)).toEqual([]);
  });
  it('counts an unknown size as zero', () => {
    expect(chunksOfBytes(['x', 'y'], sizes, 1)).toEqual([['x', 'y']]);
  });
});
