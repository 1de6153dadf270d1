import { describe, expect, it } from 'vitest';
import { describeInputs, partitionPrefixOf, unconsumedKeys } from './silver-state.js';

const k = (dt: string, run: string) =>
  `bronze/source=stripe/entity=charges/dt=${dt}/run_id=${run}/part-00000.jsonl`;

describe('unconsumedKeys', () => {
  it('returns everything when nothing was consumed', () => {
    expect(unconsumedKeys([k('2024-01-01', 'r1')], {})).toEqual([k('2024-01-01', 'r1')]);
  });
  it('returns only keys above the recorded maximum of an unchanged partition', () => {
    const inputs = describeInputs([k('2024-01-01', 'r1'), k('2024-01-02', 'r1')]);
    expect(
      unconsumedKeys([k('2024-01-01', 'r1'), k('2024-01-01', 'r2'), k('2024-01-02', 'r1')], inputs),
    ).toEqual([k('2024-01-01', 'r2')]);
    expect(unconsumedKeys([k('2024-01-01', 'r1'), k('2024-01-02', 'r1')], inputs)).toEqual([]);
  });
  it('rereads a whole partition when a key appeared below the maximum', () => {
    const inputs = describeInputs([k('2024-01-01', 'r2')]);
    expect(unconsumedKeys([k('2024-01-01', 'r1'), k('2024-01-01', 'r2')], inputs)).toEqual([
      k('2024-01-01', 'r1'),
      k('2024-01-01', 'r2'),
    ]);
  });
  it('finds the partition prefix of a key', () => {
    expect(partitionPrefixOf(k('2024-01-01', 'r1'))).toBe(
      'bronze/source=stripe/entity=charges/dt=2024-01-01/',
    );
  });
});
