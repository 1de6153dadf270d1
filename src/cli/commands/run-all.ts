import { parseDaysArg, parseTimeArg } from '../../config/time.js';
import type { CommandContext } from '../context.js';
import { runPipeline } from '../pipeline.js';

/** `run-all`: extract, transform, quality, publish under one run id and one lock. */
export default async function runAll(
  opts: { until?: string; days?: string },
  ctx: CommandContext,
): Promise<number> {
  const { exitCode } = await runPipeline(ctx, {
    steps: ['extract', 'transform', 'references', 'quality', 'publish'],
    report: true,
    ...(opts.until ? { until: parseTimeArg(opts.until, '--until') } : {}),
    ...(opts.days !== undefined ? { days: parseDaysArg(opts.days, '--days') } : {}),
  });
  return exitCode;
}
