/**
 * What kind of failure an error is. Domain errors say which (`readonly kind`); only the CLI
 * turns a kind into an exit code (`src/cli/exit-codes.ts`, SPEC section 13), so nothing below
 * `src/cli/` knows the codes.
 *
 * - `usage`: bad usage or configuration (a wrong option, an invalid setting);
 * - `locked`: another run holds the lock;
 * - `failed`: the run failed (the default for an error without a kind).
 */
export type ErrorKind = 'usage' | 'locked' | 'failed';

/** An error that says what kind of failure it is. */
export interface KindedError {
  readonly kind: ErrorKind;
}

const KINDS: ReadonlySet<string> = new Set<ErrorKind>(['usage', 'locked', 'failed']);

/** The kind an error declares, if any. */
export function errorKind(err: unknown): ErrorKind | undefined {
  const kind = (err as Partial<KindedError> | null | undefined)?.kind;
  return typeof kind === 'string' && KINDS.has(kind) ? (kind as ErrorKind) : undefined;
}
