import { describe, expect, it } from 'vitest';
import { CpuGauge, spareCores } from './cpu-gauge.js';

describe('spareCores', () => {
  it('is the idle time between two samples over the wall time between them', () => {
    expect(spareCores({ idleMs: 1000, atMs: 0 }, { idleMs: 2500, atMs: 1000 })).toBe(1.5);
    expect(spareCores({ idleMs: 1000, atMs: 5 }, { idleMs: 1000, atMs: 5 })).toBe(0);
  });
});

describe('CpuGauge', () => {
  it('reads the spare cores since its last reading, and 0 for a reading too soon', () => {
    const samples = [
      { idleMs: 0, atMs: 0 },
      { idleMs: 400, atMs: 500 },
      { idleMs: 900, atMs: 1000 },
      { idleMs: 1100, atMs: 2000 },
    ];
    const gauge = new CpuGauge(() => samples.shift()!, 1000);
    expect(gauge.spare()).toBe(0);
    // 900 ms idle over the 1000 ms since construction
    expect(gauge.spare()).toBe(0.9);
    // the 1000 ms since that reading: 200 ms idle
    expect(gauge.spare()).toBeCloseTo(0.2);
  });
});
