/**
 * The long crash campaign of SPEC section 15: `run-all` SIGKILLed at N seeded points (default 50,
 * alternating first load and next-day incremental run, aimed round robin at extract, transform,
 * quality, publish and references), each followed by a clean `run-all`; the invariants are
 * checked after the kill and after the clean run, and the healed lake is compared with an
 * uninterrupted one. Prints one JSON summary; exit 1 if any point failed.
 *
 *   npx tsx scripts/crash-soak.ts [--points 50] [--seed 20240615]
 *
 * Replay one failing point: same seed, `--first <index> --points 1`.
 */
import { parseArgs } from 'node:util';
import { planCrashPoints } from '../test/helpers/crash.js';
import { type CrashPointResult, prepareCrashBench, runCrashPoint } from '../test/helpers/crash-suite.js';

const { values } = parseArgs({
  options: {
    points: { type: 'string', default: '50' },
    seed: { type: 'string', default: '20240615' },
    first: { type: 'string', default: '0' },
  },
});
const seed = Number(values.seed);
const points = planCrashPoints(seed, Number(values.points), Number(values.first));
const started = Date.now();
const bench = await prepareCrashBench();
const results: CrashPointResult[] = [];
try {
  for (const p of points) {
    const phase = p.index % 2 === 0 ? 'first' : 'incremental';
    const r = await runCrashPoint(bench, p, phase);
    results.push(r);
    const ok = r.afterCrash.length === 0 && r.afterClean.length === 0 && r.cleanExit === 0 && !r.diff;
    process.stderr.write(
      `point ${p.index} ${phase} aimed ${p.target} landed ${r.landing}: ${ok ? 'ok' : 'FAILED'}\n`,
    );
  }
} finally {
  await bench.close();
}
const failed = results.filter(
  (r) => r.afterCrash.length > 0 || r.afterClean.length > 0 || r.cleanExit !== 0 || r.diff,
);
const count = (f: (r: CrashPointResult) => string) =>
  results.reduce<Record<string, number>>((acc, r) => {
    acc[f(r)] = (acc[f(r)] ?? 0) + 1;
    return acc;
  }, {});
console.log(
  JSON.stringify(
    {
      seed,
      points: results.length,
      passed: results.length - failed.length,
      failed: failed.length,
      landed: count((r) => r.landing),
      landed_by_phase: count((r) => `${r.phase}:${r.landing}`),
      aimed: count((r) => r.target),
      reference_step_seconds: bench.timings,
      seconds: Math.round((Date.now() - started) / 1000),
      failures: failed.map((r) => ({
        index: r.index,
        phase: r.phase,
        aimed: r.target,
        landing: r.landing,
        after_crash: r.afterCrash,
        after_clean: r.afterClean,
        clean_exit: r.cleanExit,
        diff: r.diff,
      })),
    },
    null,
    2,
  ),
);
process.exitCode = failed.length > 0 ? 1 : 0;
