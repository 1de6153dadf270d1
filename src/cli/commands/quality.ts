import type { QualityScope } from '../../quality/types.js';
import type { CommandContext } from '../context.js';
import { runPipeline } from '../pipeline.js';

/**
 * `quality [--scope changed|all]`: the checks on what is there; exit 1 if an error-severity check
 * fails. `--scope all` re-reads every Bronze line (no id cache), a full re-verification.
 */
export default async function quality(opts: { scope?: QualityScope }, ctx: CommandContext): Promise<number> {
  const { exitCode, summary } = await runPipeline(ctx, {
    steps: ['quality'],
    ...(opts.scope ? { qualityScope: opts.scope } : {}),
  });
  if (!ctx.interactive && summary.quality) {
    for (const c of summary.quality.checks) {
      if (!c.passed) process.stderr.write(`${c.severity === 'error' ? 'FAIL' : 'WARN'} ${c.name}\n`);
    }
  }
  return exitCode;
}
