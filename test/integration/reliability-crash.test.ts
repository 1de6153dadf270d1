import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planCrashPoints } from '../helpers/crash.js';
import {
  type CrashBench,
  type CrashPointResult,
  prepareCrashBench,
  runKilledCrashPoint,
} from '../helpers/crash-suite.js';

/**
 * SPEC 15, crashes: `run-all` SIGKILLed at seeded moments spread over its steps (first load and
 * week-later incremental run alternately), each followed by a clean `run-all` with the same
 * `--until`. Invariants are checked right after the kill and after the clean run, and the healed
 * lake must equal the uninterrupted reference (lineage columns aside). Replay a failure with
 * `CRASH_SEED=<seed>`; `scripts/crash-soak.ts` runs 50 points.
 */
const SEED = Number(process.env.CRASH_SEED ?? 20240615);
const POINTS = planCrashPoints(SEED, 5);

describe(`run-all killed at ${POINTS.length} seeded moments (seed ${SEED})`, () => {
  let bench: CrashBench;
  beforeAll(async () => {
    bench = await prepareCrashBench();
  });
  afterAll(async () => {
    await bench?.close();
  });

  // Spread over the steps by construction (round robin), not by what earlier tests saw.
  it('the points aim at several different steps', () => {
    expect(new Set(POINTS.map((p) => p.target)).size).toBeGreaterThanOrEqual(3);
  });

  for (const point of POINTS) {
    const phase = point.index % 2 === 0 ? 'first' : 'incremental';
    it(`point ${point.index}: ${phase} run killed in ${point.target} at ${point.fraction.toFixed(3)}`, async () => {
      const r: CrashPointResult = await runKilledCrashPoint(bench, point, phase);
      const where = `seed ${SEED} point ${point.index} (${phase}, aimed at ${point.target}, landed in ${r.landing})`;
      // The crash happened: the run died by the signal, its manifest still says running.
      expect(r.killSignal, `${where}: the run died by SIGKILL`).toBe('SIGKILL');
      expect(r.manifestStatus, `${where}: its manifest stayed running`).toBe('running');
      expect(r.afterCrash, `${where}: state right after the kill`).toEqual([]);
      expect(r.cleanExit, `${where}: clean run\n${r.cleanStderr}`).toBe(0);
      expect(r.afterClean, `${where}: state after the clean run`).toEqual([]);
      expect(r.scratchAfterClean, `${where}: scratch space of the killed run, after the clean run`).toEqual(
        [],
      );
      expect(r.diff, `${where}: Silver and Gold equal the uninterrupted run`).toBeUndefined();
    }, 300_000);
  }
});
