import { availableParallelism } from 'node:os';
import { redactSettings } from '../config/settings.js';
import type { TableName } from '../entities/entity.js';
import { colorEnabled } from '../obs/color.js';
import { CpuGauge } from '../obs/cpu-gauge.js';
import { createProgress, type Progress } from '../obs/progress.js';
import type { RunSummary } from '../obs/summary.js';
import { failpoint } from '../state/failpoint.js';
import { RunManifest } from '../state/manifest.js';
import { prepareStagedRun, promote, rollForward } from '../state/promote.js';
import { publishLatest } from '../state/publish.js';
import { layout } from '../storage/layout.js';
import type { ObjectStore } from '../storage/object-store.js';
import type { StagedStore } from '../storage/staged-store.js';
import type { ReferenceProbe } from '../transform/reference-probe.js';
import type { MissingReference } from '../transform/resolve-references.js';
import type { RebuildPlan, TransformReport } from '../transform/run-transform.js';
import { type OverlapResult, SilverOverlap } from '../transform/silver-overlap.js';
import type { CommandContext } from './context.js';
import { EXIT } from './exit-codes.js';
import type { PipelineOptions, Step } from './pipeline.js';
import { type ResolvedSource, resolveSource } from './source.js';

/** Marks an error with the step it happened in, for the manifest. */
export class StepError extends Error {
  constructor(
    readonly step: Step,
    override readonly cause: unknown,
  ) {
    super(cause instanceof Error ? cause.message : String(cause));
  }
}

export async function inStep<T>(step: Step, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw new StepError(step, err);
  }
}

/**
 * The steps of one pipeline run over one fenced store, and what they share: the manifest, the
 * summary, the timings, the source (opened on first use) and the transform's staging. Each step
 * method runs one step; `runPipeline` decides which run and in what order.
 */
export class PipelineRun {
  readonly summary: RunSummary;
  /** Wall-clock seconds per step, for the manifest (benchmarks read them). */
  readonly timings: Record<string, number> = {};
  /**
   * The process's peak RSS (MiB) as each step ends: the first step reaching the final figure is
   * where the peak was (the manifest's `memory`; sizing DUCKDB_MEMORY_LIMIT and the machine).
   */
  readonly memory: Record<string, number> = {};
  readonly progress: Progress;
  manifest: RunManifest | undefined;
  exitCode: number = EXIT.ok;
  private source: ResolvedSource | undefined;
  /** The run's staging, when it transforms: reads see staged objects over published ones. */
  private view: StagedStore | undefined;
  private recordPrefixes: string[] = [];
  private rebuild: RebuildPlan | undefined;
  /** Silver typed while extraction goes on (run-all), and what it built once extraction ended. */
  private overlap: SilverOverlap<TransformReport> | undefined;
  private overlapped: OverlapResult<TransformReport> | undefined;

  constructor(
    private readonly ctx: CommandContext,
    private readonly opts: PipelineOptions,
    readonly store: ObjectStore,
    /** The run's end time (`--until`, default the run's start), for every step. */
    readonly until: number,
  ) {
    this.summary = { runId: ctx.runId, status: 'succeeded', seconds: 0, dataRoot: store.root };
    this.progress = createProgress(
      ctx.interactive && ctx.settings.LOG_FORMAT === 'pretty',
      colorEnabled(process.stderr),
    );
    this.rebuild = opts.rebuild;
  }

  async timed<T>(step: Step, fn: () => Promise<T>): Promise<T> {
    const t0 = performance.now();
    try {
      return await inStep(step, fn);
    } finally {
      const seconds = (this.timings[step] ?? 0) + (performance.now() - t0) / 1000;
      this.timings[step] = Math.round(seconds * 1000) / 1000;
      this.memory[step] = Math.round(process.resourceUsage().maxRSS / 1024);
    }
  }

  /** Finishes a promote a killed run left half done, then starts the manifest. */
  async start(): Promise<RunManifest> {
    const { ctx, store, until } = this;
    const rolled = await inStep('publish', () => rollForward(store, ctx.logger));
    failpoint('run.rolled_forward');
    const manifest = await RunManifest.start(store, {
      runId: ctx.runId,
      command: ctx.command,
      settings: {
        ...redactSettings(ctx.settings),
        until,
        ...(this.opts.backfill ? { backfill: this.opts.backfill } : {}),
      },
    });
    this.manifest = manifest;
    ctx.logger.info(
      { step: 'start', data_root: store.root, until },
      `run ${ctx.runId} started (${ctx.command})`,
    );
    if (rolled.length > 0) await manifest.section('rolled_forward', rolled);
    return manifest;
  }

  /**
   * A run that transforms builds under its staging; published partitions that no longer match
   * the record of what was published are rebuilt there too (self-healing).
   */
  async stage(manifest: RunManifest): Promise<void> {
    const { logger, runId } = this.ctx;
    const staged = await inStep('transform', () => prepareStagedRun(this.store, runId, Date.now()));
    this.view = staged.view;
    this.recordPrefixes = staged.recordPrefixes;
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
      this.rebuild = mergePlans(this.rebuild, staged.rebuild);
    }
  }

  async openSource(): Promise<ResolvedSource> {
    if (!this.source) {
      this.source = await resolveSource(this.ctx);
      await this.manifest?.section('source', this.source.description);
    }
    return this.source;
  }

  async closeSource(): Promise<void> {
    await this.source?.close();
  }

  async extract(manifest: RunManifest): Promise<void> {
    const { ctx, opts } = this;
    await this.timed('extract', async () => opts.signal?.throwIfAborted());
    const { runExtract } = await import('../extract/run-extract.js');
    const src = await this.timed('extract', () => this.openSource());
    this.progress.stage('extract');
    const report = await this.timed('extract', () =>
      runExtract({
        store: this.store,
        settings: ctx.settings,
        logger: ctx.logger.child({ step: 'extract' }),
        runId: ctx.runId,
        baseUrl: src.baseUrl,
        apiKey: src.apiKey,
        ...(src.rateLimitRps !== undefined ? { rateLimitRps: src.rateLimitRps } : {}),
        until: this.until,
        ...(opts.days !== undefined ? { days: opts.days } : {}),
        ...(opts.entities ? { entities: opts.entities } : {}),
        ...(opts.backfill ? { backfill: opts.backfill } : {}),
        onProgress: (p) => this.progress.update(p),
        onBronzeComplete: (entities) => this.overlap?.complete(entities),
        ...(opts.signal ? { signal: opts.signal } : {}),
      }),
    );
    this.summary.extract = report.entities;
    await manifest.section('extract', report.entities);
  }

  /**
   * Types Silver while extraction goes on (SPEC 14): each table as soon as its Bronze for the run
   * is complete, after the staging is ready (`staged`), one batch of tables at a time. Gold and
   * the references probe wait for the run's transform, which builds the other tables.
   */
  overlapSilver(staged: Promise<unknown>): void {
    const { ctx, opts } = this;
    const when = ctx.settings.TRANSFORM_DURING_EXTRACT;
    if (when === 'never') return;
    const maxThreads = ctx.settings.DUCKDB_THREADS ?? availableParallelism();
    const gauge = new CpuGauge();
    // whole cores the machine left idle (90% idle counts), up to the transform's threads
    const capacity =
      when === 'always' ? () => maxThreads : () => Math.min(maxThreads, Math.floor(gauge.spare() + 0.1));
    this.overlap = new SilverOverlap(
      async (tables, threads) => {
        const { runTransform } = await import('../transform/run-transform.js');
        return runTransform({
          store: this.view ?? this.store,
          settings: { ...ctx.settings, DUCKDB_THREADS: threads },
          logger: ctx.logger.child({ step: 'transform', overlap: true }),
          runId: ctx.runId,
          until: this.until,
          silver: true,
          silverTables: tables,
          gold: false,
          probe: false,
          ...(opts.fullRefresh ? { fullRefresh: true } : {}),
          ...(this.rebuild ? { rebuild: this.rebuild } : {}),
        });
      },
      staged,
      capacity,
    );
  }

  /** Extraction is over (or failed): no more overlapped builds; waits for the one under way. */
  async settleOverlap(manifest: RunManifest): Promise<void> {
    const overlap = this.overlap;
    if (!overlap) return;
    // the wait after extraction is the transform's, and so is a failed build
    this.overlapped = await this.timed('transform', () => overlap.settle());
    if (this.overlapped.tables.length > 0)
      await manifest.section('overlap', {
        silver_tables: this.overlapped.tables,
        seconds: Math.round(this.overlapped.seconds * 1000) / 1000,
      });
  }

  /**
   * Silver, then (with the references pass) the objects Silver references but lacks, then Gold
   * once: the pass may add objects, and every Gold build reads all of Silver (at 100k charges,
   * two rounds rebuilt Gold twice: 47 s). The pass only probes what each round fetched; the
   * fetched objects' Silver is built with Gold, in one session, after its last round.
   */
  async transformAndReferences(manifest: RunManifest): Promise<void> {
    const { steps } = this.opts;
    const withReferences = steps.includes('references');
    let dangling: MissingReference[] = [];
    let goldBuilt = false;
    if (steps.includes('transform')) {
      const early = this.overlapped;
      const { SILVER_TABLES } = await import('../contracts/silver.js');
      const report = await this.transform('transform', {
        silver: true,
        gold: withReferences ? 'unless-dangling' : true,
        ...(early && early.tables.length > 0
          ? {
              silverTables: SILVER_TABLES.filter((t) => !early.tables.includes(t)),
              silverWritten: early.reports.flatMap((r) => r.silverKeys),
            }
          : {}),
      });
      dangling = report.dangling;
      goldBuilt = report.goldBuilt;
      this.summary.transform = [...(early?.reports ?? []), report].reduce(
        (models, r) => addModels(models, r.models),
        {} as TransformReport['models'],
      );
      await manifest.section('transform', this.summary.transform);
      failpoint('run.transformed');
    }
    if (!withReferences) return;
    const { report: refs, bronzeKeys } = await this.references(dangling);
    await manifest.section('references', refs);
    this.summary.fetchedById = refs.fetched;
    if (steps.includes('transform') && !goldBuilt) {
      const { tablesReading } = await import('../transform/run-transform.js');
      const silverTables = tablesReading(bronzeKeys);
      const built = await this.transform(
        'transform',
        { silver: silverTables.length > 0, silverTables, gold: true, probe: false },
        { again: true },
      );
      const models = addModels(this.summary.transform ?? {}, built.models);
      this.summary.transform = models;
      await manifest.section('transform', models);
    }
  }

  private async transform(
    step: Step,
    layers: {
      silver: boolean;
      gold: boolean | 'unless-dangling';
      silverTables?: readonly TableName[];
      silverWritten?: readonly string[];
      probe?: boolean;
    },
    /**
     * again: the run's second build (after the references pass): Silver only what was fetched
     * (no full refresh, no Silver rebuilds, done by the first); Gold as the run asks.
     */
    { again = false } = {},
  ) {
    const { ctx, opts } = this;
    await this.timed(step, async () => opts.signal?.throwIfAborted());
    const { runTransform } = await import('../transform/run-transform.js');
    this.progress.stage(step === 'transform' ? 'transform' : 'references');
    return this.timed(step, () =>
      runTransform({
        store: this.view ?? this.store,
        settings: ctx.settings,
        logger: ctx.logger.child({ step }),
        runId: ctx.runId,
        until: this.until,
        ...layers,
        ...(opts.fullRefresh ? { fullRefresh: again ? ('gold' as const) : true } : {}),
        ...(this.rebuild ? { rebuild: again ? { silver: {}, gold: this.rebuild.gold } : this.rebuild } : {}),
        onModel: (p) => this.progress.model(p),
      }),
    );
  }

  /** The references pass: rounds of fetching by id, each probed in one session for the next. */
  private async references(missing: MissingReference[]) {
    const { ctx, opts } = this;
    const { fetchReferences } = await import('../extract/fetch-references.js');
    const { resolveReferences } = await import('../transform/resolve-references.js');
    const { ReferenceProbe: Probe } = await import('../transform/reference-probe.js');
    const logger = ctx.logger.child({ step: 'references' });
    failpoint('run.referencing');
    const bronzeKeys: string[] = [];
    let probe: ReferenceProbe | undefined;
    try {
      const report = await resolveReferences({
        missing,
        logger,
        fetch: async (refs) => {
          const src = await this.timed('references', () => this.openSource());
          const round = await this.timed('references', () =>
            fetchReferences({
              store: this.store,
              settings: ctx.settings,
              logger,
              runId: ctx.runId,
              baseUrl: src.baseUrl,
              apiKey: src.apiKey,
              ...(src.rateLimitRps !== undefined ? { rateLimitRps: src.rateLimitRps } : {}),
              refs,
              ...(opts.signal ? { signal: opts.signal } : {}),
            }),
          );
          bronzeKeys.push(...round.bronze_keys);
          return round;
        },
        probe: (keys) =>
          this.timed('references', async () => {
            opts.signal?.throwIfAborted();
            probe ??= await Probe.open(
              this.view ?? this.store,
              ctx.settings.DUCKDB_MEMORY_LIMIT,
              ctx.settings.DUCKDB_THREADS,
            );
            return probe.missing(keys);
          }),
      });
      return { report, bronzeKeys };
    } finally {
      await probe?.close();
    }
  }

  async quality(manifest: RunManifest): Promise<void> {
    const { ctx, opts, view } = this;
    const { logger } = ctx;
    await this.timed('quality', async () => opts.signal?.throwIfAborted());
    const { runQuality } = await import('../quality/run-quality.js');
    const { scopeDue } = await import('../quality/scope.js');
    // everything every QUALITY_FULL_SCOPE_DAYS, else what changed (a `--scope` asked for wins)
    const scope =
      opts.qualityScope ?? (await scopeDue(this.store, this.until, ctx.settings.QUALITY_FULL_SCOPE_DAYS));
    this.progress.stage('quality');
    logger.info({ step: 'quality' }, 'quality checks started');
    failpoint('run.checking');
    const report = await this.timed('quality', () =>
      runQuality({
        store: view ?? this.store,
        settings: ctx.settings,
        logger: logger.child({ step: 'quality' }),
        runId: ctx.runId,
        until: this.until,
        scope,
        onCheck: (p) => this.progress.check(p),
      }),
    );
    this.summary.quality = report;
    await manifest.section('quality', report);
    if (!report.passed) {
      this.exitCode = EXIT.failed;
      const failed = report.checks.filter((c) => !c.passed && c.severity === 'error').map((c) => c.name);
      const staging = layout.staging(ctx.runId);
      logger.error(
        { step: 'quality', failed, ...(view ? { staging } : {}) },
        `quality failed: ${failed.join(', ')}; nothing published${view ? `, the run's partitions kept under ${staging}` : ''}`,
      );
    }
    failpoint('run.checked');
  }

  /** Promotes the staging (or, without one, writes the `_latest` pointers); nothing after failed checks. */
  async publish(manifest: RunManifest): Promise<void> {
    if (this.exitCode !== EXIT.ok) {
      this.summary.published = [];
      await manifest.section('published', []);
      return;
    }
    const { ctx, view } = this;
    const { goldPublishInputs } = await import('../transform/run-transform.js');
    const inputs = await this.timed('publish', () => goldPublishInputs(view ?? this.store));
    let pointers: Awaited<ReturnType<typeof publishLatest>>;
    if (view) {
      const report = await this.timed('publish', () =>
        promote({
          view,
          runId: ctx.runId,
          pointers: inputs,
          recordPrefixes: this.recordPrefixes,
          logger: ctx.logger.child({ step: 'publish' }),
        }),
      );
      pointers = report.pointers;
      await manifest.section('promote', {
        journal: layout.publishJournal(ctx.runId),
        partitions: report.partitions,
        state_files: report.state_files,
        deleted: report.deleted,
      });
      failpoint('run.promoted');
    } else {
      pointers = await this.timed('publish', () => publishLatest(this.store, ctx.runId, inputs));
    }
    this.summary.published = pointers.map((p) => p.model);
    await manifest.section(
      'published',
      pointers.map((p) => ({ model: p.model, row_count: p.row_count, partitions: p.keys.length })),
    );
  }

  /** The manifest's end: timings, memory and the final status. */
  async finish(manifest: RunManifest): Promise<void> {
    this.summary.status = this.exitCode === EXIT.ok ? 'succeeded' : 'failed';
    await manifest.section('timings', this.timings);
    await manifest.section('memory', { peak_rss_mib_after: this.memory });
    await manifest.finish(
      this.summary.status,
      this.exitCode === EXIT.ok ? undefined : { step: 'quality', message: 'error-severity checks failed' },
    );
  }

  /** Records a failure in the manifest and the log; returns the error to rethrow. */
  async fail(err: unknown): Promise<unknown> {
    const { summary, manifest } = this;
    summary.status = 'failed';
    summary.error = err instanceof Error ? err.message : String(err);
    const step = err instanceof StepError ? err.step : 'start';
    await manifest
      ?.section('timings', this.timings)
      .then(() => manifest?.section('memory', { peak_rss_mib_after: this.memory }))
      .then(() => manifest?.finish('failed', { step, message: summary.error ?? '' }))
      .catch(() => {});
    const cause = err instanceof StepError ? err.cause : err;
    this.ctx.logger.error({ step, err: cause }, `run ${this.ctx.runId} failed in ${step}`);
    return cause;
  }
}

/**
 * The models of two builds of one run: a Silver table both wrote adds up its partitions, rows and
 * seconds (a partition may count twice); a Gold model is the later build's.
 */
function addModels(a: TransformReport['models'], b: TransformReport['models']): TransformReport['models'] {
  const models = { ...a };
  for (const [model, r] of Object.entries(b)) {
    const first = models[model];
    models[model] =
      first && model.startsWith('silver.')
        ? {
            partitions: first.partitions + r.partitions,
            rows: first.rows + r.rows,
            seconds: first.seconds + r.seconds,
          }
        : r;
  }
  return models;
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
