import { redactSettings } from '../config/settings.js';
import type { EntityName } from '../entities/entity.js';
import { colorEnabled } from '../obs/color.js';
import { createProgress } from '../obs/progress.js';
import { type RunSummary, renderSummary, summaryLogFields } from '../obs/summary.js';
import type { QualityScope } from '../quality/types.js';
import { failpoint } from '../state/failpoint.js';
import { acquireLock, fenceStore } from '../state/lock.js';
import { markAbandoned, RunManifest } from '../state/manifest.js';
import { prepareStagedRun, promote, rollForward } from '../state/promote.js';
import { publishLatest } from '../state/publish.js';
import { layout } from '../storage/layout.js';
import { sweepScratchDirs } from '../storage/scratch-dir.js';
import type { StagedStore } from '../storage/staged-store.js';
import type { RebuildPlan } from '../transform/run-transform.js';
import type { CommandContext } from './context.js';
import { EXIT } from './exit-codes.js';
import { interruptOnSignals } from './signals.js';
import { assertSourceSettings, type ResolvedSource, resolveSource } from './source.js';
import { storeFor } from './store.js';

export type Step = 'extract' | 'transform' | 'references' | 'quality' | 'publish';

export interface PipelineOptions {
  steps: readonly Step[];
  /** Exclusive end of every extraction window (unix seconds); default: the run's start. */
  until?: number;
  days?: number;
  entities?: EntityName[];
  backfill?: { from: number; to: number };
  fullRefresh?: boolean;
  /**
   * The as-of time of snapshot models and of the freshness check (default `until`). A backfill's
   * `until` is the end of its past window, not the time its Gold describes.
   */
  asOf?: number;
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

/** Marks an error with the step it happened in, for the manifest. */
class StepError extends Error {
  constructor(
    readonly step: Step,
    override readonly cause: unknown,
  ) {
    super(cause instanceof Error ? cause.message : String(cause));
  }
}

async function inStep<T>(step: Step, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw new StepError(step, err);
  }
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
  const until = opts.until ?? Math.floor(started / 1000);
  // SPEC 15 (#18): settings are checked before the lock is taken or anything is written; then
  // every write goes through a store fenced by the lock; SIGINT/SIGTERM and a lost lock abort.
  if (opts.steps.includes('extract')) assertSourceSettings(settings);
  const baseStore = storeFor(ctx);
  const lock = await acquireLock({ store: baseStore, runId, command: ctx.command, logger });
  const store = fenceStore(baseStore, lock);
  const interrupt = interruptOnSignals();
  // Every step below reads opts.signal.
  opts = {
    ...opts,
    signal: AbortSignal.any([interrupt.signal, lock.lost, ...(opts.signal ? [opts.signal] : [])]),
  };
  const abandoned = lock.tookOverFrom?.run_id;
  if (abandoned && (await markAbandoned(store, abandoned, runId).catch(() => false)))
    logger.warn({ abandoned_run: abandoned }, `marked run ${abandoned} abandoned`);
  // Scratch space of runs killed on this host (parts, DuckDB spill files) is not theirs to remove.
  const swept = await sweepScratchDirs();
  if (swept.length > 0)
    logger.info({ dirs: swept }, `removed ${swept.length} scratch directories of killed runs`);
  const progress = createProgress(
    ctx.interactive && settings.LOG_FORMAT === 'pretty',
    colorEnabled(process.stderr),
  );
  const summary: RunSummary = { runId, status: 'succeeded', seconds: 0, dataRoot: store.root };
  // Wall-clock seconds per step, for the manifest (benchmarks read them).
  const timings: Record<string, number> = {};
  // The process's peak RSS (MiB) as each step ends: the first step reaching the final figure is
  // where the peak was (the manifest's `memory`; sizing DUCKDB_MEMORY_LIMIT and the machine).
  const memory: Record<string, number> = {};
  const timed = async <T>(step: Step, fn: () => Promise<T>): Promise<T> => {
    const t0 = performance.now();
    try {
      return await inStep(step, fn);
    } finally {
      timings[step] = Math.round(((timings[step] ?? 0) + (performance.now() - t0) / 1000) * 1000) / 1000;
      memory[step] = Math.round(process.resourceUsage().maxRSS / 1024);
    }
  };
  let manifest: RunManifest | undefined;
  let exitCode: number = EXIT.ok;
  let source: ResolvedSource | undefined;
  const openSource = async () => {
    if (!source) {
      source = await resolveSource(ctx);
      await manifest?.section('source', source.description);
    }
    return source;
  };

  /**
   * The references pass: objects that Silver rows reference but no window covered (customers
   * created before the first run's DEFAULT_DAYS, the old charge of today's refund) are retrieved
   * by id and transformed, a few rounds at most (a fetched charge may name another customer).
   * The transform reports what is missing while it has Silver open, so this costs nothing when
   * nothing is missing.
   */
  const resolveReferences = async (
    first: { table: EntityName; id: string }[],
    retransform: () => Promise<{ dangling: { table: EntityName; id: string }[] }>,
  ) => {
    const { fetchReferences } = await import('../extract/fetch-references.js');
    const out = {
      rounds: 0,
      fetched: {} as Record<string, number>,
      not_found: [] as string[],
      bronze_keys: 0,
    };
    const log = logger.child({ step: 'references' });
    failpoint('run.referencing');
    let missing = first;
    for (let round = 1; round <= 3; round++) {
      const known = new Set(out.not_found);
      const todo = missing.filter((m) => !known.has(`${m.table}/${m.id}`));
      if (todo.length === 0) break;
      out.rounds = round;
      log.info({ missing: todo.length }, `fetching ${todo.length} referenced objects by id`);
      const src = await timed('references', () => openSource());
      const report = await timed('references', () =>
        fetchReferences({
          store,
          settings,
          logger: log,
          runId,
          baseUrl: src.baseUrl,
          apiKey: src.apiKey,
          ...(src.rateLimitRps !== undefined ? { rateLimitRps: src.rateLimitRps } : {}),
          refs: todo,
          ...(opts.signal ? { signal: opts.signal } : {}),
        }),
      );
      for (const [e, n] of Object.entries(report.fetched)) out.fetched[e] = (out.fetched[e] ?? 0) + n;
      out.not_found.push(...report.not_found);
      out.bronze_keys += report.bronze_keys.length;
      if (report.bronze_keys.length === 0) break;
      missing = (await retransform()).dangling;
    }
    return out;
  };

  try {
    // Before anything else: a promote that a killed run left half done is finished.
    const rolled = await inStep('publish', () => rollForward(store, logger));
    failpoint('run.rolled_forward');
    manifest = await RunManifest.start(store, {
      runId,
      command: ctx.command,
      settings: { ...redactSettings(settings), until, ...(opts.backfill ? { backfill: opts.backfill } : {}) },
    });
    logger.info({ step: 'start', data_root: store.root, until }, `run ${runId} started (${ctx.command})`);
    if (rolled.length > 0) await manifest.section('rolled_forward', rolled);

    // A run that transforms builds under its staging; published partitions that no longer match
    // the record of what was published are rebuilt there too (self-healing).
    let view: StagedStore | undefined;
    let recordPrefixes: string[] = [];
    let rebuild = opts.rebuild;
    if (opts.steps.includes('transform')) {
      const staged = await inStep('transform', () => prepareStagedRun(store, runId, Date.now()));
      ({ view, recordPrefixes } = staged);
      if (staged.expired.length > 0)
        logger.info(
          { runs: staged.expired },
          `removed the staging of ${staged.expired.length} runs past retention`,
        );
      if (staged.damage.length > 0) {
        logger.warn(
          { step: 'transform', healed: staged.damage },
          `${staged.damage.length} published partitions are missing or changed: rebuilding them from Bronze`,
        );
        await manifest.section('healed', staged.damage);
        rebuild = mergePlans(rebuild, staged.rebuild);
      }
    }

    if (opts.steps.includes('extract')) {
      await timed('extract', async () => opts.signal?.throwIfAborted());
      const { runExtract } = await import('../extract/run-extract.js');
      const src = await timed('extract', () => openSource());
      progress.stage('extract');
      const report = await timed('extract', () =>
        runExtract({
          store,
          settings,
          logger: logger.child({ step: 'extract' }),
          runId,
          baseUrl: src.baseUrl,
          apiKey: src.apiKey,
          ...(src.rateLimitRps !== undefined ? { rateLimitRps: src.rateLimitRps } : {}),
          until,
          ...(opts.days !== undefined ? { days: opts.days } : {}),
          ...(opts.entities ? { entities: opts.entities } : {}),
          ...(opts.backfill ? { backfill: opts.backfill } : {}),
          onProgress: (p) => progress.update(p),
          ...(opts.signal ? { signal: opts.signal } : {}),
        }),
      );
      summary.extract = report.entities;
      await manifest.section('extract', report.entities);
    }

    const transform = async (step: Step, layers: { silver: boolean; gold: boolean }) => {
      await timed(step, async () => opts.signal?.throwIfAborted());
      const { runTransform } = await import('../transform/run-transform.js');
      progress.stage(step === 'transform' ? 'transform' : 'references');
      return timed(step, () =>
        runTransform({
          store,
          settings,
          logger: logger.child({ step }),
          runId,
          asOf: opts.asOf ?? until,
          ...layers,
          ...(view ? { store: view } : {}),
          ...(opts.fullRefresh && step === 'transform' ? { fullRefresh: true } : {}),
          ...(rebuild && step === 'transform' ? { rebuild } : {}),
          onModel: (p) => progress.model(p),
        }),
      );
    };

    // With the references pass to follow, Gold waits for it: the pass may add objects, and every
    // Gold build reads all of Silver (at 100k charges, two rounds rebuilt Gold twice: 47 s).
    const withReferences = opts.steps.includes('references');
    let dangling: { table: EntityName; id: string }[] = [];
    if (opts.steps.includes('transform')) {
      const report = await transform('transform', { silver: true, gold: !withReferences });
      dangling = report.dangling;
      summary.transform = report.models;
      await manifest.section('transform', report.models);
      failpoint('run.transformed');
    }

    if (withReferences) {
      const refs = await resolveReferences(dangling, () =>
        transform('references', { silver: true, gold: false }),
      );
      await manifest.section('references', refs);
      summary.fetchedById = refs.fetched;
      if (opts.steps.includes('transform')) {
        const gold = await transform('transform', { silver: false, gold: true });
        const models = { ...summary.transform };
        for (const [model, r] of Object.entries(gold.models))
          if (model.startsWith('gold.')) models[model] = r;
        summary.transform = models;
        await manifest.section('transform', models);
      }
    }

    if (opts.steps.includes('quality')) {
      await timed('quality', async () => opts.signal?.throwIfAborted());
      const { runQuality } = await import('../quality/run-quality.js');
      progress.stage('quality');
      logger.info({ step: 'quality' }, 'quality checks started');
      failpoint('run.checking');
      const report = await timed('quality', () =>
        runQuality({
          store: view ?? store,
          settings,
          logger: logger.child({ step: 'quality' }),
          runId,
          now: opts.asOf ?? until,
          ...(opts.qualityScope ? { scope: opts.qualityScope } : {}),
          onCheck: (p) => progress.check(p),
        }),
      );
      summary.quality = report;
      await manifest.section('quality', report);
      if (!report.passed) {
        exitCode = EXIT.failed;
        const failed = report.checks.filter((c) => !c.passed && c.severity === 'error').map((c) => c.name);
        logger.error(
          { step: 'quality', failed, ...(view ? { staging: layout.staging(runId) } : {}) },
          `quality failed: ${failed.join(', ')}; nothing published${view ? `, the run's partitions kept under ${layout.staging(runId)}` : ''}`,
        );
      }
      failpoint('run.checked');
    }

    if (opts.steps.includes('publish') && exitCode === EXIT.ok) {
      const { goldPublishInputs } = await import('../transform/run-transform.js');
      const inputs = await timed('publish', () => goldPublishInputs(view ?? store));
      let pointers: Awaited<ReturnType<typeof publishLatest>>;
      if (view) {
        const staged = view;
        const report = await timed('publish', () =>
          promote({
            view: staged,
            runId,
            pointers: inputs,
            recordPrefixes,
            logger: logger.child({ step: 'publish' }),
          }),
        );
        pointers = report.pointers;
        await manifest.section('promote', {
          journal: layout.publishJournal(runId),
          partitions: report.partitions,
          state_files: report.state_files,
          deleted: report.deleted,
        });
        failpoint('run.promoted');
      } else {
        pointers = await timed('publish', () => publishLatest(store, runId, inputs));
      }
      summary.published = pointers.map((p) => p.model);
      await manifest.section(
        'published',
        pointers.map((p) => ({ model: p.model, row_count: p.row_count, partitions: p.keys.length })),
      );
    } else if (opts.steps.includes('publish')) {
      summary.published = [];
      await manifest.section('published', []);
    }

    summary.status = exitCode === EXIT.ok ? 'succeeded' : 'failed';
    await manifest.section('timings', timings);
    await manifest.section('memory', { peak_rss_mib_after: memory });
    await manifest.finish(
      summary.status,
      exitCode === EXIT.ok ? undefined : { step: 'quality', message: 'error-severity checks failed' },
    );
  } catch (err) {
    summary.status = 'failed';
    summary.error = err instanceof Error ? err.message : String(err);
    const step = err instanceof StepError ? err.step : 'start';
    await manifest
      ?.section('timings', timings)
      .then(() => manifest?.section('memory', { peak_rss_mib_after: memory }))
      .then(() => manifest?.finish('failed', { step, message: summary.error ?? '' }))
      .catch(() => {});
    logger.error({ step, err: err instanceof StepError ? err.cause : err }, `run ${runId} failed in ${step}`);
    throw err instanceof StepError ? err.cause : err;
  } finally {
    progress.stop();
    if (opts.report && manifest) {
      const { writeRunReport } = await import('../report/write-report.js');
      await writeRunReport(store, runId, { latest: true }).catch((err: unknown) =>
        logger.warn({ step: 'report', err }, 'could not write the run report'),
      );
    }
    await source?.close().catch((err: unknown) => logger.warn({ err }, 'could not stop the source client'));
    interrupt.dispose();
    await lock.release().catch((err: unknown) => logger.warn({ err }, 'could not release the run lock'));
    summary.seconds = (Date.now() - started) / 1000;
    summary.stageSeconds = timings;
    summary.peakRssMib = Math.round(process.resourceUsage().maxRSS / 1024);
    if (ctx.interactive) process.stderr.write(`\n${renderSummary(summary, colorEnabled(process.stderr))}`);
    // In every output mode: a scheduled run's logs say what it did (SPEC section 12).
    logger.info({ step: 'end', ...summaryLogFields(summary) }, 'run summary');
  }
  return { exitCode, summary };
}

/** Both plans' dts, per table and model. */
function mergePlans(a: RebuildPlan | undefined, b: RebuildPlan): RebuildPlan {
  const merge = (x: RebuildPlan['silver'] = {}, y: RebuildPlan['silver']) => {
    const out: Record<string, string[]> = {};
    for (const [k, v] of [...Object.entries(x), ...Object.entries(y)])
      out[k] = [...new Set([...(out[k] ?? []), ...(v ?? [])])].sort();
    return out;
  };
  return { silver: merge(a?.silver, b.silver), gold: merge(a?.gold, b.gold) };
}
