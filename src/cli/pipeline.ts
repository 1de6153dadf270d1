import { setMaxListeners } from 'node:events';
import { rm } from 'node:fs/promises';
import type { EntityName } from '../entities/entity.js';
import { colorEnabled } from '../obs/color.js';
import { type RunSummary, renderSummary, summaryLogFields } from '../obs/summary.js';
import type { QualityScope } from '../quality/types.js';
import { acquireLock, fenceStore } from '../state/lock.js';
import { markAbandoned } from '../state/manifest.js';
import { cacheListings } from '../storage/listing-cache.js';
import { keepLocalCopies, type LocalCopyStore } from '../storage/local-copies.js';
import { makeScratchDir, sweepScratchDirs } from '../storage/scratch-dir.js';
import type { RebuildPlan } from '../transform/run-transform.js';
import type { CommandContext } from './context.js';
import { PipelineRun } from './pipeline-run.js';
import { interruptOnSignals } from './signals.js';
import { assertSourceSettings } from './source.js';
import { storeFor } from './store.js';

export type Step = 'extract' | 'transform' | 'references' | 'quality' | 'publish';

export interface PipelineOptions {
  steps: readonly Step[];
  /**
   * The run's end time, Unix seconds (`--until`; default: the run's start, fixed here for every
   * step): the exclusive end of every extraction window, the as-of time of snapshot models
   * (`{{as_of_date}}` is its UTC date) and what the freshness check measures age against.
   */
  until?: number;
  days?: number;
  entities?: EntityName[];
  backfill?: { from: number; to: number };
  fullRefresh?: boolean;
  /** `transform --rebuild`: partitions rebuilt from Bronze, dts per Silver table and Gold model. */
  rebuild?: RebuildPlan;
  /** Bronze read by the Bronze -> Silver reconciliation (default `changed`). */
  qualityScope?: QualityScope;
  /**
   * Stops the run cleanly when aborted (e.g. the Lambda deadline): extraction stops its requests,
   * and no later step up to quality starts (publishing after passed checks is cheap, so it goes
   * on); the run fails with the signal's reason and the manifest says so.
   */
  signal?: AbortSignal;
  /** Writes the run's HTML report (`_state/reports/`) at the end, failed or not (run-all). */
  report?: boolean;
}

export interface PipelineResult {
  exitCode: number;
  summary: RunSummary;
}

/**
 * The batch flow under one run id and one lock: extract, transform, quality, publish (each only
 * if asked for), the manifest written at start, after each step and at the end. A promote a
 * killed run left half done is finished first. The transform writes under the run's staging
 * (`_staging/run_id=<id>/`, with damaged published partitions rebuilt there too), quality reads
 * the staged partitions over the published ones, and only when every error-severity check passed
 * is the staging promoted (partitions, then the transform state, then the `_latest` pointers).
 * Failures leave the published lake as it was and state that the next run heals (watermarks only
 * move after durable Bronze; pending partitions come from the published transform state).
 */
export async function runPipeline(ctx: CommandContext, opts: PipelineOptions): Promise<PipelineResult> {
  const { settings, logger, runId } = ctx;
  const started = Date.now();
  // The run's end time, for every step: defaulted here, once.
  const until = opts.until ?? Math.floor(started / 1000);
  // SPEC 15 (#18): settings are checked before the lock is taken or anything is written; then
  // every write goes through a store fenced by the lock; SIGINT/SIGTERM and a lost lock abort.
  if (opts.steps.includes('extract')) assertSourceSettings(settings);
  const baseStore = storeFor(ctx);
  const lock = await acquireLock({ store: baseStore, runId, command: ctx.command, logger });
  // On S3, what the run writes and reads back (its Bronze, its staged partitions) is read from
  // local copies, not downloaded again.
  const copiesDir = baseStore.localRoot === undefined ? await makeScratchDir('copies') : undefined;
  const fenced = fenceStore(baseStore, lock);
  const copies: LocalCopyStore | undefined = copiesDir ? keepLocalCopies(fenced, copiesDir) : undefined;
  // One listing per prefix for the whole run: the lock keeps other runs from writing.
  const store = cacheListings(copies ?? fenced);
  const interrupt = interruptOnSignals();
  // Every step below reads opts.signal.
  const signal = AbortSignal.any([interrupt.signal, lock.lost, ...(opts.signal ? [opts.signal] : [])]);
  // Every concurrent request of a step listens on it: more than Node's default 10 is expected
  // (a 100k run-all printed MaxListenersExceededWarning).
  setMaxListeners(0, signal);
  opts = { ...opts, signal };
  const abandoned = lock.tookOverFrom?.run_id;
  if (abandoned && (await markAbandoned(store, abandoned, runId).catch(() => false)))
    logger.warn({ abandoned_run: abandoned }, `marked run ${abandoned} abandoned`);
  // Scratch space of runs killed on this host (parts, DuckDB spill files) is not theirs to remove.
  const swept = await sweepScratchDirs();
  if (swept.length > 0)
    logger.info({ dirs: swept }, `removed ${swept.length} scratch directories of killed runs`);
  const run = new PipelineRun(ctx, opts, store, until);
  const { summary } = run;
  const { steps } = opts;
  try {
    // Before anything else: a promote that a killed run left half done is finished.
    const manifest = await run.start();
    // Side by side: the staging's checks of the published lake (a listing of silver/ and gold/,
    // 0.3 s at 100k charges) and extraction, which writes only Bronze and its own state; once the
    // staging is ready, the Silver of each entity whose Bronze is complete is typed while the rest
    // is fetched. All settle before anything goes on; extraction's error first.
    const staging = steps.includes('transform') ? run.stage(manifest) : undefined;
    if (staging && steps.includes('extract')) run.overlapSilver(staging);
    const [staged, extracted] = await Promise.allSettled([
      staging,
      steps.includes('extract') ? run.extract(manifest) : undefined,
    ]);
    const overlapped = await Promise.allSettled([run.settleOverlap(manifest)]);
    if (extracted.status === 'rejected') throw extracted.reason;
    if (staged.status === 'rejected') throw staged.reason;
    if (overlapped[0].status === 'rejected') throw overlapped[0].reason;
    await run.transformAndReferences(manifest);
    if (steps.includes('quality')) await run.quality(manifest);
    if (steps.includes('publish')) await run.publish(manifest);
    await run.finish(manifest);
  } catch (err) {
    throw await run.fail(err);
  } finally {
    run.progress.stop();
    if (opts.report && run.manifest) {
      const { writeRunReport } = await import('../report/write-report.js');
      await writeRunReport(store, runId, { latest: true }).catch((err: unknown) =>
        logger.warn({ step: 'report', err }, 'could not write the run report'),
      );
    }
    await run.closeSource().catch((err: unknown) => logger.warn({ err }, 'could not stop the source client'));
    interrupt.dispose();
    if (copiesDir) {
      logger.debug({ served: copies?.served }, 'downloads answered from local copies');
      await rm(copiesDir, { recursive: true, force: true }).catch(() => {});
    }
    await lock.release().catch((err: unknown) => logger.warn({ err }, 'could not release the run lock'));
    summary.seconds = (Date.now() - started) / 1000;
    summary.stageSeconds = run.timings;
    summary.peakRssMib = Math.round(process.resourceUsage().maxRSS / 1024);
    if (ctx.interactive) process.stderr.write(`\n${renderSummary(summary, colorEnabled(process.stderr))}`);
    // In every output mode: a scheduled run's logs say what it did (SPEC section 12).
    logger.info({ step: 'end', ...summaryLogFields(summary) }, 'run summary');
  }
  return { exitCode: run.exitCode, summary };
}
