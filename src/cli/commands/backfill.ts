import { parseDateArg } from '../../config/time.js';
import type { EntityName } from '../../entities/entity.js';
import type { CommandContext } from '../context.js';
import { UsageError } from '../exit-codes.js';
import { runPipeline } from '../pipeline.js';

const DAY = 86_400;

/**
 * `backfill --from --to`: re-extracts a closed window (both dates included) regardless of
 * watermarks, which never move backwards, then rebuilds the partitions it touched, checks and
 * publishes them like run-all.
 */
export default async function backfill(
  opts: { from: string; to: string; entity?: EntityName[] },
  ctx: CommandContext,
): Promise<number> {
  const from = parseDateArg(opts.from, '--from');
  const to = parseDateArg(opts.to, '--to') + DAY;
  if (to <= from) throw new UsageError(`--to (${opts.to}) must not be before --from (${opts.from})`);
  const now = Math.floor(Date.now() / 1000);
  if (to > now) throw new UsageError(`--to ${opts.to}: a backfill window must be closed (end before now)`);
  const { exitCode } = await runPipeline(ctx, {
    // the rebuilt partitions reach the published lake only through the checks
    steps: ['extract', 'transform', 'references', 'quality', 'publish'],
    backfill: { from, to },
    // The run's end time is now: the backfill window bounds the extraction, and the Gold
    // snapshots and the freshness check describe the lake as of this run.
    until: now,
    ...(opts.entity && opts.entity.length > 0 ? { entities: opts.entity } : {}),
  });
  return exitCode;
}
