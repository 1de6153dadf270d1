import { parseDaysArg, parseTimeArg } from '../../config/time.js';
import type { EntityName } from '../../entities/entity.js';
import type { CommandContext } from '../context.js';
import { runPipeline } from '../pipeline.js';

/** `extract`: extraction only, for the given entities (all by default). */
export default async function extract(
  opts: { entity?: EntityName[]; days?: string; until?: string },
  ctx: CommandContext,
): Promise<number> {
  const { exitCode } = await runPipeline(ctx, {
    steps: ['extract'],
    ...(opts.entity && opts.entity.length > 0 ? { entities: opts.entity } : {}),
    ...(opts.days !== undefined ? { days: parseDaysArg(opts.days, '--days') } : {}),
    ...(opts.until ? { until: parseTimeArg(opts.until, '--until') } : {}),
  });
  return exitCode;
}
