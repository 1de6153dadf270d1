/**
 * Stateless hashing: every random choice of the mock is a pure function of the seed and the
 * coordinates of what is being decided, so any object can be rebuilt on demand without state.
 */

/** Mixes up to five integers into a 32-bit unsigned hash (murmur3 finalizer steps). */
export function hash32(seed: number, a: number, b = 0, c = 0, d = 0): number {
  let h = (seed ^ 0x9e3779b9) >>> 0;
  h = mix(h, a);
  h = mix(h, b);
  h = mix(h, c);
  h = mix(h, d);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function mix(h: number, v: number): number {
  // Values may exceed 32 bits (unix times): fold the high part in too (it is 0 for the usual
  // 32-bit values, and the division is skipped: this runs millions of times a second).
  let k = v >= 0 && v < 4294967296 ? v | 0 : (v | 0) ^ Math.floor(v / 4294967296);
  k = Math.imul(k, 0xcc9e2d51);
  k = (k << 15) | (k >>> 17);
  k = Math.imul(k, 0x1b873593);
  h ^= k;
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

/** A uniform number in [0, 1) from the same coordinates as `hash32`. */
export function unit(seed: number, a: number, b = 0, c = 0, d = 0): number {
  return hash32(seed, a, b, c, d) / 4294967296;
}

/** An integer in [lo, hi] (inclusive). */
export function intBetween(u: number, lo: number, hi: number): number {
  return lo + Math.floor(u * (hi - lo + 1));
}

/** Picks from weighted choices with a uniform `u`. */
export function pickWeighted<T>(u: number, choices: readonly (readonly [T, number])[]): T {
  let total = 0;
  for (const [, w] of choices) total += w;
  let x = u * total;
  for (const [v, w] of choices) {
    if (x < w) return v;
    x -= w;
  }
  return choices[choices.length - 1]![0];
}
