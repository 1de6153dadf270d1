import type { CommandContext } from '../context.js';
import { runPipeline } from '../pipeline.js';

/** `quality`: the checks on what is there; exit 1 if an error-severity check fails. */
export default async function quality(_opts: Record<string, never>, ctx: CommandContext): Promise<number> {
  const { exitCode, summary } = await runPipeline(ctx, { steps: ['quality'] });
  if (!ctx.interactive && summary.quality) {
    for (const c of summary.quality.checks) {
      if (!c.passed) process.stderr.write(`${c.severity === 'error' ? 'FAIL' : 'WARN'} ${c.name}\n`);
    }
  }
  return exitCode;
}
