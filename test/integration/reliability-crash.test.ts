import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Landing, planCrashPoints } from '../helpers/crash.js';
import {
  type CrashBench,
  type CrashPointResult,
  prepareCrashBench,
  runCrashPoint,
} from '../helpers/crash-suite.js';

/**
 * SPEC 15, crashes: `run-all` SIGKILLed at seeded moments spread over its steps (first load and
 * next-day incremental run alternately), each followed by a clean `run-all` with the same
 * `--until`. Invariants are checked right after the kill and after the clean run, and the healed
 * lake must equal the uninterrupted reference (lineage columns aside). Replay a failure with
 * `CRASH_SEED=<seed>`; `scripts/crash-soak.ts` runs 50 points.
 */
const SEED = Number(process.env.CRASH_SEED ?? 20240615);
const POINTS = planCrashPoints(SEED, 5);

describe(`run-all killed at ${POINTS.length} seeded moments (seed ${SEED})`, () => {
  let bench: CrashBench;
  const landings: Landing[] = [];
  let killedWithScratch = 0;
  beforeAll(async () => {
    bench = await prepareCrashBench();
  });
  afterAll(async () => {
    await bench?.close();
  });

  for (const point of POINTS) {
    const phase = point.index % 2 === 0 ? 'first' : 'incremental';
    it(`point ${point.index}: ${phase} run killed in ${point.target} at ${point.fraction.toFixed(3)}`, async () => {
      const r: CrashPointResult = await runCrashPoint(bench, point, phase);
      landings.push(r.landing);
      if (r.scratchAfterKill.length > 0) killedWithScratch++;
      const where = `seed ${SEED} point ${point.index} (${phase}, aimed at ${point.target}, landed in ${r.landing})`;
      expect(r.afterCrash, `${where}: state right after the kill`).toEqual([]);
      expect(r.cleanExit, `${where}: clean run\n${r.cleanStderr}`).toBe(0);
      expect(r.afterClean, `${where}: state after the clean run`).toEqual([]);
      expect(r.scratchAfterClean, `${where}: scratch space of the killed run, after the clean run`).toEqual(
        [],
      );
      expect(r.diff, `${where}: Silver and Gold equal the uninterrupted run`).toBeUndefined();
    }, 120_000);
  }

  it('the kills landed inside the run, in several different steps', () => {
    const steps = new Set(landings.filter((l) => l !== 'completed' && l !== 'start'));
    expect(steps.size, `landings: ${landings.join(', ')}`).toBeGreaterThanOrEqual(3);
    // the sweep had something to remove: a killed run had left scratch directories
    expect(killedWithScratch).toBeGreaterThan(0);
  });
});
