import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * The test files that take longest (CI's last per-file times, longest first): started first, so
 * that the end of the run is not one worker alone on a long file. Vitest's own order (longest
 * first from its results cache, else larger files first) knows nothing of a clean clone's times:
 * in CI the longest files started last and the run ended on one worker. Files not listed follow
 * in vitest's order.
 */
export const LONGEST_FIRST = [
  'saas-lifecycle',
  'reliability-crash-promote',
  'publish-staged',
  'reliability-s3',
  'reliability-crash',
  'run-all-ops',
  'run-all',
  'reliability-faults',
  'reliability-concurrency',
  'reliability-hostile',
  'reliability-bad-input',
  'quality',
  'transform',
  'webhooks-load',
  'saas-gold',
  'references-catalogue',
] as const;

/** A file's place in LONGEST_FIRST (Infinity when unlisted). */
export function rankOf(moduleId: string): number {
  const i = LONGEST_FIRST.findIndex((name) => moduleId.endsWith(`/${name}.test.ts`));
  return i < 0 ? Number.POSITIVE_INFINITY : i;
}

export class LongestFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const base = await super.sort(files);
    // Array.prototype.sort is stable: unlisted files keep vitest's order
    return [...base].sort((a, b) => rankOf(a.moduleId) - rankOf(b.moduleId));
  }
}
