import type { CommandContext } from '../context.js';
import { runPipeline } from '../pipeline.js';

/** `transform`: Bronze -> Silver -> Gold for the pending partitions (all with --full-refresh). */
export default async function transform(
  opts: { fullRefresh?: boolean },
  ctx: CommandContext,
): Promise<number> {
  const { exitCode } = await runPipeline(ctx, {
    steps: ['transform'],
    fullRefresh: Boolean(opts.fullRefresh),
  });
  return exitCode;
}
