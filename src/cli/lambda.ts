import { join } from 'node:path';
import { z } from 'zod';
import { resolveSecretSettings } from '../config/secrets.js';
import { parseTimeArg } from '../config/time.js';
import type { RunSummary } from '../obs/summary.js';
import { layout } from '../storage/layout.js';
import { createContext } from './context.js';
import { EXIT } from './exit-codes.js';
import { runPipeline } from './pipeline.js';

/** The part of Lambda's context object the handler uses. */
export interface LambdaContextLike {
  /** Milliseconds left before Lambda kills the invocation. */
  getRemainingTimeInMillis(): number;
  readonly awsRequestId?: string;
}

/**
 * What an invocation may ask for. Every field is optional and anything else is ignored, so the
 * EventBridge scheduled event (`{"source": "aws.events", "detail-type": "Scheduled Event", …}`)
 * runs the default `run-all`.
 */
export interface LambdaRunRequest {
  /** Run id (else `RUN_ID`, else a new one). */
  runId?: string;
  /** First-run history in days (else `DEFAULT_DAYS`). */
  days?: number;
  /** Exclusive end of every window: Unix seconds or ISO time (default: the start of the run). */
  until?: number;
  /** Time kept free at the end for failing cleanly (manifest, lock release), seconds. */
  marginSeconds: number;
}

/** Default margin: the manifest and lock writes after an abort take seconds; a minute is ample. */
export const DEFAULT_MARGIN_SECONDS = 60;

const eventSchema = z.object({
  runId: z.string().min(1).optional(),
  days: z.number().int().positive().optional(),
  until: z.union([z.number().int().nonnegative(), z.string().min(1)]).optional(),
  marginSeconds: z.number().nonnegative().max(600).optional(),
});

/** The invocation event is not a valid run request; names the field and what it accepts. */
export class LambdaEventError extends Error {
  override readonly name = 'LambdaEventError';
  readonly exitCode = EXIT.usage;
}

/**
 * The invocation ran out of time: it stopped `marginSeconds` before Lambda's own limit, so the
 * manifest says `failed` and the lock is released instead of the process being killed mid-step.
 */
export class LambdaDeadlineError extends Error {
  override readonly name = 'LambdaDeadlineError';
  readonly exitCode = EXIT.failed;
  constructor(
    readonly runId: string | undefined,
    readonly budgetMs: number,
    options?: { cause: unknown },
  ) {
    super(
      `${runId ? `run ${runId}` : 'the run'} stopped at its deadline (${Math.round(budgetMs / 1000)} s of run ` +
        `time before Lambda's limit): raise the function timeout (up to 900 s) or run on ECS` +
        (runId ? `; manifest ${layout.manifest(runId)}` : ''),
      options,
    );
  }
}

/** The run finished but failed (an error-severity quality check); carries the run summary. */
export class LambdaRunFailedError extends Error {
  override readonly name = 'LambdaRunFailedError';
  constructor(
    readonly summary: RunSummary,
    readonly exitCode: number,
  ) {
    const failed = summary.quality?.checks
      .filter((c) => !c.passed && c.severity === 'error')
      .map((c) => c.name);
    super(
      `run ${summary.runId} failed (exit ${exitCode})` +
        (failed && failed.length > 0 ? `: checks failed: ${failed.join(', ')}` : '') +
        `; manifest ${layout.manifest(summary.runId)}`,
    );
  }
}

/** Validates the invocation event into a run request; throws {@link LambdaEventError}. */
export function parseLambdaEvent(event: unknown): LambdaRunRequest {
  const input = event && typeof event === 'object' && !Array.isArray(event) ? event : {};
  const r = eventSchema.safeParse(input);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new LambdaEventError(
      `invalid event field ${issue?.path.join('.') ?? '?'}: ${issue?.message ?? ''}`,
    );
  }
  const { runId, days, until, marginSeconds } = r.data;
  return {
    ...(runId !== undefined ? { runId } : {}),
    ...(days !== undefined ? { days } : {}),
    ...(until !== undefined ? { until: typeof until === 'number' ? until : parseUntil(until) } : {}),
    marginSeconds: marginSeconds ?? DEFAULT_MARGIN_SECONDS,
  };
}

function parseUntil(v: string): number {
  try {
    return parseTimeArg(v, 'until');
  } catch (err) {
    throw new LambdaEventError(`invalid event field until: ${(err as Error).message}`);
  }
}

/** Milliseconds the run may take: what Lambda has left less the margin (may be <= 0). */
export function runBudgetMs(remainingMs: number, marginSeconds: number): number {
  return Math.floor(remainingMs - marginSeconds * 1000);
}

/**
 * Settings the Lambda environment needs unless the function's configuration sets them: only
 * `/tmp` is writable there, so the LOCAL data root goes under it (S3 is the real target; LOCAL is
 * for trying the function out).
 */
export function lambdaSettingDefaults(env: NodeJS.ProcessEnv): Record<string, string> {
  if (!env.AWS_LAMBDA_FUNCTION_NAME || env.LOCAL_DATA_DIR) return {};
  return { LOCAL_DATA_DIR: join('/tmp', 'payments-pipeline', 'data') };
}

/**
 * The AWS Lambda entry point (`dist/cli/lambda.handler`): runs `run-all` with the function's
 * environment as settings, stops cleanly `marginSeconds` before Lambda's limit, and returns the run
 * summary. A failed run throws (so Lambda counts an error and alarms fire):
 * {@link LambdaRunFailedError} with the summary, {@link LambdaDeadlineError} at the deadline,
 * `LockHeldError` (exit 3) when another run holds the lock.
 *
 * @example
 * const summary = await handler({ days: 7 }, { getRemainingTimeInMillis: () => 900_000 });
 * // summary.status === 'succeeded'
 */
export async function handler(event: unknown, context: LambdaContextLike): Promise<RunSummary> {
  const request = parseLambdaEvent(event);
  const budgetMs = runBudgetMs(context.getRemainingTimeInMillis(), request.marginSeconds);
  if (budgetMs <= 0) throw new LambdaDeadlineError(request.runId, budgetMs);
  // DuckDB and the SDK look for a home directory; Lambda sets none and only /tmp is writable.
  if (process.env.AWS_LAMBDA_FUNCTION_NAME && !process.env.HOME) process.env.HOME = '/tmp';

  // API_KEY / WEBHOOK_SECRET from Secrets Manager or SSM when the function names them.
  const secrets = await resolveSecretSettings(process.env);
  const ctx = createContext('run-all', request.runId ? { runId: request.runId } : {}, {
    ...lambdaSettingDefaults(process.env),
    ...secrets,
  });
  const deadline = new AbortController();
  const timer = setTimeout(() => deadline.abort(new LambdaDeadlineError(ctx.runId, budgetMs)), budgetMs);
  timer.unref();
  try {
    const { exitCode, summary } = await runPipeline(ctx, {
      steps: ['extract', 'transform', 'references', 'quality', 'publish'],
      ...(request.until !== undefined ? { until: request.until } : {}),
      ...(request.days !== undefined ? { days: request.days } : {}),
      signal: deadline.signal,
    });
    if (exitCode !== EXIT.ok) throw new LambdaRunFailedError(summary, exitCode);
    return summary;
  } catch (err) {
    if (deadline.signal.aborted && !(err instanceof LambdaRunFailedError)) {
      throw err instanceof LambdaDeadlineError
        ? err
        : new LambdaDeadlineError(ctx.runId, budgetMs, { cause: err });
    }
    throw err;
  } finally {
    clearTimeout(timer);
  }
}
