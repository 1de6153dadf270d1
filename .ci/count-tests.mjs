// The closing "N passed, N failed" line of .ci/run, from vitest's JSON report.
// Usage: node .ci/count-tests.mjs <report.json> <vitest exit code> <other failed steps>
// vitest's numFailedTests counts only tests whose own body failed. A file can fail without one:
// a throwing beforeAll skips the file's tests, a throwing afterAll or import fails the file after
// (or before) its tests, and an unhandled error fails the run while every test passed. Each of
// those counts here, so the line never says "0 failed" for a run that failed.
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

/**
 * @param {unknown} report vitest's JSON report (`--reporter=json`), or undefined when none was written
 * @param {number} exitCode vitest's exit code
 * @returns {{ passed: number, failed: number }}
 */
export function countTests(report, exitCode) {
  if (!report || typeof report !== 'object' || !Array.isArray(report.testResults)) {
    return { passed: 0, failed: 1 };
  }
  let passed = 0;
  let failed = 0;
  for (const file of report.testResults) {
    const tests = file.assertionResults ?? [];
    const ok = tests.filter((t) => t.status === 'passed').length;
    const bad = tests.filter((t) => t.status === 'failed').length;
    passed += ok;
    failed += bad;
    // The file failed outside its tests (hook, import): the tests that never ran failed with it,
    // and a file whose tests all ran (afterAll) or that has none (import) counts once.
    if (file.status === 'failed' && bad === 0) failed += Math.max(1, tests.length - ok);
  }
  // An unhandled error fails the run without failing a file (vitest's exit code says so too).
  if ((report.success === false || exitCode !== 0) && failed === 0) failed = 1;
  return { passed, failed };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  let report;
  try {
    report = JSON.parse(readFileSync(process.argv[2] ?? '', 'utf8'));
  } catch {
    report = undefined;
  }
  const { passed, failed } = countTests(report, Number(process.argv[3] ?? 1));
  console.log(`${passed} passed, ${failed + (Number(process.argv[4]) || 0)} failed`);
}
