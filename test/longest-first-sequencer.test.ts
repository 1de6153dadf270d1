import { describe, expect, it } from 'vitest';
import { rankOf } from './longest-first-sequencer.js';

describe('longest-first sequencer', () => {
  it('ranks listed files by their place, unlisted ones last, by whole file name', () => {
    expect(rankOf('/r/test/integration/saas-lifecycle.test.ts')).toBe(0);
    expect(rankOf('/r/test/integration/run-all.test.ts')).toBeLessThan(Number.POSITIVE_INFINITY);
    // run-all-ops is its own entry, not run-all's
    expect(rankOf('/r/test/integration/run-all-ops.test.ts')).toBeLessThan(
      rankOf('/r/test/integration/run-all.test.ts'),
    );
    expect(rankOf('/r/test/integration/extract.test.ts')).toBe(Number.POSITIVE_INFINITY);
    // a unit test named like a listed file's word is not that file
    expect(rankOf('/r/src/quality/schema.test.ts')).toBe(Number.POSITIVE_INFINITY);
    expect(rankOf('/r/src/transform/transform.test.ts.snap')).toBe(Number.POSITIVE_INFINITY);
  });
});
