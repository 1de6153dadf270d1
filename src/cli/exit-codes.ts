import { type ErrorKind, errorKind } from '../errors.js';

/** Exit codes of SPEC section 13. */
export const EXIT = { ok: 0, failed: 1, usage: 2, locked: 3 } as const;

/** The exit code of each kind of failure (`src/errors.ts`). */
const EXIT_OF_KIND: Readonly<Record<ErrorKind, number>> = {
  usage: EXIT.usage,
  locked: EXIT.locked,
  failed: EXIT.failed,
};

/** Errors of the CLI itself that carry their exit code (a Lambda run's own). */
export interface HasExitCode {
  readonly exitCode: number;
}

function hasExitCode(err: unknown): err is HasExitCode {
  return typeof (err as HasExitCode)?.exitCode === 'number';
}

/** Maps an error thrown by a command to its exit code: by its kind, else 1. */
export function exitCodeFor(err: unknown): number {
  const kind = errorKind(err);
  if (kind) return EXIT_OF_KIND[kind];
  if (hasExitCode(err)) return err.exitCode;
  return EXIT.failed;
}

/** Bad usage the parser could not catch (e.g. a window that ends before it starts): exit 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
  readonly kind: ErrorKind = 'usage';
}
