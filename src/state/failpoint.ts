/**
 * Crash injection for the crash tests: with `PAYMENTS_PIPELINE_CRASH_AT=<name>[:<n>]` in the
 * environment, the process SIGKILLs itself the n-th time (default the first) it reaches
 * `failpoint(name)`, exactly where a power cut or an OOM kill could stop it. A timed kill cannot
 * land between two partition moves reliably; this can. Unset (always, outside tests): a no-op.
 */
const spec = process.env.PAYMENTS_PIPELINE_CRASH_AT;
const [target, nth] = spec ? [spec.split(':')[0], Number(spec.split(':')[1] ?? 1)] : [undefined, 0];
let reached = 0;

export function failpoint(name: string): void {
  if (target === undefined || name !== target) return;
  reached++;
  if (reached === nth) process.kill(process.pid, 'SIGKILL');
}
