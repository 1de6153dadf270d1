import { describe, expect, it } from 'vitest';
import { Faults } from './faults.js';

/** Sends `n` requests through `faults` and returns the indexes answered 500. */
function failures(faults: Faults, n: number): number[] {
  const out: number[] = [];
  // far apart in time: the rate limit (off here) never interferes
  for (let i = 0; i < n; i++) if (faults.check(i * 10_000).kind === 'fail') out.push(i);
  return out;
}

describe('Faults.check failure_rate', () => {
  it('fails the configured share of requests, at random positions, never more than 2 / rate apart', () => {
    for (const seedRandom of [() => 0.999_999, () => 0, Math.random]) {
      const faults = new Faults(seedRandom);
      faults.update({ failure_rate: 0.1 });
      const at = failures(faults, 10_000);
      expect(Math.abs(at.length - 1_000), `failures ${at.length}`).toBeLessThanOrEqual(2);
      const gaps = at.map((v, i) => v - (at[i - 1] ?? -1));
      expect(Math.max(...gaps)).toBeLessThanOrEqual(20);
    }
  });

  it('differs between two random sources (the positions are not a fixed schedule)', () => {
    const a = new Faults(Math.random);
    const b = new Faults(Math.random);
    a.update({ failure_rate: 0.1 });
    b.update({ failure_rate: 0.1 });
    expect(failures(a, 2_000)).not.toEqual(failures(b, 2_000));
  });

  it('fails every request at rate 1 and none at rate 0, also right after a change of rate', () => {
    const faults = new Faults(() => 0.5);
    faults.update({ failure_rate: 0.1 });
    failures(faults, 7);
    faults.update({ failure_rate: 1 });
    expect(failures(faults, 50)).toHaveLength(50);
    faults.update({ failure_rate: 0 });
    expect(failures(faults, 50)).toEqual([]);
  });
});
