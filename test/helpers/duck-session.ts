import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { type DuckSession, openDuckSession } from '../../src/duckdb/session.js';

/** A DuckDB session and the temporary directory it works in (also its path base). */
export interface TestDuckSession {
  readonly dir: string;
  readonly session: DuckSession;
}

/**
 * One DuckDB session for the tests of a file or `describe`: opened before them in a fresh
 * temporary directory `<prefix>…`, closed and the directory removed after them. Call it where
 * `beforeAll` may be called; read `session` and `dir` inside the tests.
 */
export function useDuckSession(prefix: string, memoryLimit?: string): TestDuckSession {
  let dir: string | undefined;
  let session: DuckSession | undefined;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), prefix));
    session = await openDuckSession({ workDir: dir, pathBase: dir, ...(memoryLimit ? { memoryLimit } : {}) });
  });
  afterAll(async () => {
    session?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });
  const opened = <T>(v: T | undefined): T => {
    if (v === undefined) throw new Error('useDuckSession: read inside a test, after beforeAll');
    return v;
  };
  return {
    get dir() {
      return opened(dir);
    },
    get session() {
      return opened(session);
    },
  };
}
