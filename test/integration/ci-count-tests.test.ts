import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const SCRIPT = join(process.cwd(), '.ci/count-tests.mjs');
/**
 * vitest 4's JSON report of six throwaway files: a throwing beforeAll (2 tests), a throwing
 * afterAll (1 test), an unhandled rejection inside a passing test, a throwing import, one failing
 * and one passing test, and a passing file with a skipped test. Absolute paths trimmed, nothing else.
 */
const FIXTURE = join(process.cwd(), 'test/fixtures/vitest-report-hook-failures.json');

interface Report {
  success: boolean;
  testResults: { name: string }[];
}

describe('.ci/count-tests.mjs: the closing "N passed, N failed" line', () => {
  let dir: string;
  let full: Report;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pp-count-'));
    full = JSON.parse(await readFile(FIXTURE, 'utf8'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** The line for the report of just `files` (by file name), as vitest would have written it. */
  async function lineFor(files: string[], success: boolean, exitCode: number): Promise<string> {
    const testResults = full.testResults.filter((f) => files.some((n) => f.name.endsWith(`/${n}`)));
    expect(testResults).toHaveLength(files.length);
    const path = join(dir, `${files.join('+')}.json`);
    await writeFile(path, JSON.stringify({ ...full, success, testResults }));
    const { stdout } = await run(process.execPath, [SCRIPT, path, String(exitCode), '0']);
    return stdout.trim();
  }

  it('counts the tests a failing beforeAll kept from running as failed', async () => {
    expect(await lineFor(['before.test.ts'], false, 1)).toBe('0 passed, 2 failed');
  });

  it('counts a failing afterAll once beside the tests that passed', async () => {
    expect(await lineFor(['after.test.ts'], false, 1)).toBe('1 passed, 1 failed');
  });

  it('counts an unhandled error (every test passed, the run did not)', async () => {
    expect(await lineFor(['unhandled.test.ts'], false, 1)).toBe('1 passed, 1 failed');
  });

  it('counts a file that failed on import', async () => {
    expect(await lineFor(['toplevel.test.ts'], false, 1)).toBe('0 passed, 1 failed');
  });

  it('counts failed tests, and no skipped test as either', async () => {
    expect(await lineFor(['fail.test.ts', 'ok.test.ts'], false, 1)).toBe('2 passed, 1 failed');
    expect(await lineFor(['ok.test.ts'], true, 0)).toBe('1 passed, 0 failed');
  });

  it('adds the failed steps before the tests, and counts a missing report as a failure', async () => {
    const { stdout: all } = await run(process.execPath, [SCRIPT, FIXTURE, '1', '2']);
    expect(all.trim()).toBe('4 passed, 7 failed');
    const { stdout: none } = await run(process.execPath, [SCRIPT, join(dir, 'absent.json'), '1', '0']);
    expect(none.trim()).toBe('0 passed, 1 failed');
  });
});
