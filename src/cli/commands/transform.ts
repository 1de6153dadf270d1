import { parseDateArg } from '../../config/time.js';
import { rebuildPlan } from '../../transform/rebuild-plan.js';
import type { CommandContext } from '../context.js';
import { UsageError } from '../exit-codes.js';
import { runPipeline } from '../pipeline.js';

/**
 * `transform`: Bronze -> Silver -> Gold for the pending partitions (all with --full-refresh;
 * chosen days with --rebuild), staged, checked and promoted like run-all's: the checks are the
 * gate to the published lake, so a standalone transform runs them too (exit 1, nothing
 * published, if one fails).
 */
export default async function transform(
  opts: {
    fullRefresh?: boolean;
    rebuild?: boolean;
    from?: string;
    to?: string;
    entity?: string[];
    model?: string[];
  },
  ctx: CommandContext,
): Promise<number> {
  const windowed = opts.from || opts.to || opts.entity?.length || opts.model?.length;
  if (!opts.rebuild && windowed) throw new UsageError('--from, --to, --entity and --model go with --rebuild');
  if (opts.rebuild && opts.fullRefresh)
    throw new UsageError('--rebuild and --full-refresh exclude each other');
  if (opts.rebuild && (!opts.from || !opts.to)) throw new UsageError('--rebuild needs --from and --to');
  let rebuild: ReturnType<typeof rebuildPlan> | undefined;
  if (opts.rebuild) {
    try {
      rebuild = rebuildPlan({
        from: parseDateArg(opts.from!, '--from'),
        to: parseDateArg(opts.to!, '--to'),
        ...(opts.entity ? { tables: opts.entity } : {}),
        ...(opts.model ? { models: opts.model } : {}),
      });
    } catch (err) {
      if (err instanceof RangeError) throw new UsageError(`--rebuild: ${err.message}`);
      throw err;
    }
  }
  const { exitCode } = await runPipeline(ctx, {
    steps: ['transform', 'quality', 'publish'],
    fullRefresh: Boolean(opts.fullRefresh),
    ...(rebuild ? { rebuild } : {}),
  });
  return exitCode;
}
