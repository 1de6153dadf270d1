import { ConfigError } from '../config/settings.js';

/** Exit codes of SPEC section 13. */
export const EXIT = { ok: 0, failed: 1, usage: 2, locked: 3 } as const;

/** Errors that carry their own exit code (e.g. the run lock's `LockHeldError`). */
export interface HasExitCode {
  readonly exitCode: number;
}

function hasExitCode(err: unknown): err is HasExitCode {
  return typeof (err as HasExitCode)?.exitCode === 'number';
}

/** Maps an error thrown by a command to its exit code. */
export function exitCodeFor(err: unknown): number {
  if (err instanceof ConfigError) return EXIT.usage;
  if (hasExitCode(err)) return err.exitCode;
  return EXIT.failed;
}

/** Bad usage the parser could not catch (e.g. a window that ends before it starts): exit 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
  readonly exitCode = EXIT.usage;
}
