import type { ErrorKind } from '../errors.js';

/** Resolves on the first SIGINT or SIGTERM (and stops listening for both): servers run until then. */
export function nextSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const on = (sig: NodeJS.Signals) => {
      process.off('SIGINT', on);
      process.off('SIGTERM', on);
      resolve(sig);
    };
    process.on('SIGINT', on);
    process.on('SIGTERM', on);
  });
}

/** A batch run stopped by SIGINT or SIGTERM (exit 1; the manifest says `interrupted`). */
export class InterruptedError extends Error {
  override readonly name = 'InterruptedError';
  readonly kind: ErrorKind = 'failed';
  constructor(readonly signal: NodeJS.Signals) {
    super(`interrupted by ${signal}`);
  }
}

/**
 * For the life of a batch run: the first SIGINT or SIGTERM aborts `signal` with an
 * {@link InterruptedError}, so the run stops at its next safe point (requests in flight are
 * cancelled, no further step starts), fails its manifest with `interrupted`, releases the lock and
 * removes its scratch (SPEC 15). A second signal exits at once, as a user pressing Ctrl-C twice
 * expects (the next run takes the lock of the dead process over).
 *
 * @example
 * const interrupt = interruptOnSignals();
 * try { await work(interrupt.signal); } finally { interrupt.dispose(); }
 */
export function interruptOnSignals(): { signal: AbortSignal; dispose(): void } {
  const ctl = new AbortController();
  const on = (sig: NodeJS.Signals) => {
    if (ctl.signal.aborted) {
      process.stderr.write(`payments-pipeline: ${sig} again: exiting now\n`);
      process.exit(sig === 'SIGINT' ? 130 : 143);
    }
    ctl.abort(new InterruptedError(sig));
  };
  process.on('SIGINT', on);
  process.on('SIGTERM', on);
  return {
    signal: ctl.signal,
    dispose() {
      process.off('SIGINT', on);
      process.off('SIGTERM', on);
    },
  };
}
