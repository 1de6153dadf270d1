import { execFileSync } from 'node:child_process';

/**
 * Runs once before the suite: builds `dist/` so that CLI tests run the real executable.
 */
export default async function setup(): Promise<() => Promise<void>> {
  execFileSync(process.execPath, ['scripts/build.mjs'], { stdio: 'inherit' });
  return async () => {};
}
