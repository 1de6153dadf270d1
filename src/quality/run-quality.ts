import type { Settings } from '../config/settings.js';
import type { Logger } from '../obs/logger.js';
import { recordVerified } from '../state/verified-index.js';
import type { ObjectStore } from '../storage/object-store.js';
import { freshnessChecks } from './freshness.js';
import { writeKeyIndex } from './key-index.js';
import { openQualityContext, type QualityContext } from './quality-context.js';
import { quarantineChecks } from './quarantine.js';
import { bronzeSilverChecks } from './reconcile-bronze-silver.js';
import { saasChecks } from './reconcile-saas.js';
import { silverGoldChecks } from './reconcile-silver-gold.js';
import { referentialChecks } from './referential.js';
import { schemaChecks } from './schema.js';
import { recordFullScope } from './scope.js';
import type { CheckResult, PlannedCheck, QualityReport, QualityScope } from './types.js';
import { checkWebhooksVsEvents } from './webhooks-vs-events.js';

export interface QualityOptions {
  store: ObjectStore;
  settings: Settings;
  logger: Logger;
  runId: string;
  /** The run's end time, Unix seconds: what the freshness check measures age against. */
  until: number;
  /**
   * `changed` (default): the Bronze -> Silver reconciliation reads the partitions written since
   * the previous passing quality run, and the reference checks probe the rows of those Silver
   * partitions; `all`: every Bronze line and every row. Other checks read all of Silver and the
   * current Gold either way.
   */
  scope?: QualityScope;
  /** Bronze bytes per run of days a child table's check reads at once (default: by memory limit). */
  dayChunkBytes?: number;
  /** Called as each check finishes (terminal progress). */
  onCheck?: (p: { name: string; done: number; total: number; passed: boolean }) => void;
}

/** Runs one check, timing it; a check that throws fails with the error as its details. */
export async function runCheck(check: PlannedCheck): Promise<CheckResult> {
  const started = performance.now();
  let result: CheckResult;
  try {
    result = await check.run();
  } catch (err) {
    result = {
      name: check.name,
      severity: check.severity,
      passed: false,
      details: { error: err instanceof Error ? err.message : String(err) },
    };
  }
  return { ...result, seconds: Math.round((performance.now() - started) / 10) / 100 };
}

/**
 * Writes the key index of a passing run (quality/key-index.ts). An index that cannot be written
 * costs the next run a wider read, not its correctness: a warning, not a failure.
 */
async function saveKeyIndex(ctx: QualityContext, logger: Logger): Promise<void> {
  const started = performance.now();
  try {
    await writeKeyIndex(ctx.store, {
      runId: ctx.runId,
      workDir: ctx.workDir,
      tables: [...ctx.keys.values()],
      merge: ctx.since === undefined,
      run: (sql) => ctx.db.withConnection(() => ctx.db.conn.run(sql).then(() => {})),
    });
    logger.debug({ seconds: (performance.now() - started) / 1000 }, 'quality: key index written');
  } catch (err) {
    logger.warn({ err }, 'quality: the key index was not written; the next run reads keys from the files');
  }
}

/** Whether a report lets the run publish: no error-severity check failed. */
export function reportPassed(checks: readonly CheckResult[]): boolean {
  return checks.every((c) => c.passed || c.severity !== 'error');
}

/**
 * The data quality checks of SPEC section 9 on what is in the store: schema (Silver and Gold
 * against their contracts), freshness of the latest Gold, Bronze -> Silver and Silver -> Gold
 * reconciliation (exact), referential integrity of every foreign key, and webhooks vs API events
 * (warn). `passed` is false when any error-severity check failed: the caller must not publish.
 *
 * @example
 * const report = await runQuality({ store, settings, logger, runId, until: Math.floor(Date.now() / 1000) });
 * process.stderr.write(renderQualityReport(report));
 */
export async function runQuality(opts: QualityOptions): Promise<QualityReport> {
  const started = performance.now();
  const ctx = await openQualityContext({ ...opts, scope: opts.scope ?? 'changed' });
  opts.logger.debug({ seconds: (performance.now() - started) / 1000 }, 'quality: views opened');
  const checks: CheckResult[] = [];
  try {
    const planned: PlannedCheck[] = [
      ...schemaChecks(ctx),
      ...(await bronzeSilverChecks(ctx)),
      ...referentialChecks(ctx),
      ...silverGoldChecks(ctx),
      ...saasChecks(ctx),
      ...freshnessChecks(ctx),
      { name: 'reconcile.webhooks_events', severity: 'warn', run: () => checkWebhooksVsEvents(ctx) },
      ...(await quarantineChecks(opts.store)),
    ];
    opts.logger.debug({ seconds: (performance.now() - started) / 1000 }, 'quality: checks planned');
    // in planned order in the report, whichever finishes first
    let done = 0;
    const results = planned.map((check) =>
      ctx.db.withConnection(async () => {
        const result = await runCheck(check);
        opts.onCheck?.({ name: result.name, done: ++done, total: planned.length, passed: result.passed });
        return result;
      }),
    );
    for (const result of await Promise.all(results)) {
      checks.push(result);
      if (!result.passed) {
        const level = result.severity === 'error' ? 'error' : 'warn';
        opts.logger[level](
          { check: result.name, severity: result.severity, details: result.details },
          `check failed: ${result.name}`,
        );
      } else {
        opts.logger.debug({ check: result.name, seconds: result.seconds }, `check passed: ${result.name}`);
      }
    }
    // what the checks read of the tables' keys, for the next run's changed scope
    if (reportPassed(checks)) await saveKeyIndex(ctx, opts.logger);
  } finally {
    await ctx.close();
  }
  const report: QualityReport = { passed: reportPassed(checks), scope: ctx.scope, checks };
  if (report.passed && report.scope === 'all') await recordFullScope(opts.store, opts.runId, opts.until);
  // what this run saw passed: the next changed-scope run need not check it again
  if (report.passed) await recordVerified(opts.store, opts.runId, ctx.listed.values());
  const failed = checks.filter((c) => !c.passed).length;
  opts.logger.info(
    {
      passed: report.passed,
      scope: report.scope,
      checks: checks.length,
      failed,
      seconds: (performance.now() - started) / 1000,
    },
    `quality: ${checks.length - failed} of ${checks.length} checks passed`,
  );
  return report;
}
