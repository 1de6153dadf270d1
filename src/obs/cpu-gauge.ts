import { cpus } from 'node:os';

/** The machine's idle CPU time (all cores, ms) at a moment (ms). */
export interface CpuSample {
  readonly idleMs: number;
  readonly atMs: number;
}

/** Cores left idle between two samples (0 when no time passed). Pure. */
export function spareCores(from: CpuSample, to: CpuSample): number {
  const wall = to.atMs - from.atMs;
  return wall > 0 ? Math.max(0, (to.idleMs - from.idleMs) / wall) : 0;
}

export function sampleCpu(): CpuSample {
  let idleMs = 0;
  for (const c of cpus()) idleMs += c.times.idle;
  return { idleMs, atMs: performance.now() };
}

/**
 * How many cores the machine left idle since the last reading (the whole machine: another
 * process, such as a local source API, counts as busy). Readings closer than `minMs` apart answer
 * 0: too short to tell.
 *
 * @example
 * const gauge = new CpuGauge();
 * // ... later
 * gauge.spare(); // e.g. 1.7
 */
export class CpuGauge {
  private last: CpuSample;

  constructor(
    private readonly sample: () => CpuSample = sampleCpu,
    private readonly minMs = 1000,
  ) {
    this.last = sample();
  }

  spare(): number {
    const now = this.sample();
    if (now.atMs - this.last.atMs < this.minMs) return 0;
    const spare = spareCores(this.last, now);
    this.last = now;
    return spare;
  }
}
