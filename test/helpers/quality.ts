import { parseSettings } from '../../src/config/settings.js';
import { silentLogger } from '../../src/obs/logger.js';
import { runQuality } from '../../src/quality/index.js';
import type { CheckResult, QualityReport, QualityScope } from '../../src/quality/types.js';
import type { ObjectStore } from '../../src/storage/object-store.js';

/**
 * Every quality check over a test lake, logging nothing: as run `runId` (default `q1`) ending at
 * `until`, with settings from `env` (none by default) and the Bronze scope `changed` unless told.
 */
export function qualityOf(
  store: ObjectStore,
  until: number,
  o: { runId?: string; scope?: QualityScope; env?: Record<string, string> } = {},
): Promise<QualityReport> {
  return runQuality({
    store,
    settings: parseSettings(o.env ?? {}),
    logger: silentLogger(),
    runId: o.runId ?? 'q1',
    until,
    scope: o.scope ?? 'changed',
  });
}

/** The check of that name in a report; throws naming it when the report has none. */
export function checkNamed(report: QualityReport, name: string): CheckResult {
  const c = report.checks.find((x) => x.name === name);
  if (!c) throw new Error(`no check ${name}; have ${report.checks.map((x) => x.name).join(', ')}`);
  return c;
}
