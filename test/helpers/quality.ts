import { utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { parseSettings } from '../../src/config/settings.js';
import { silentLogger } from '../../src/obs/logger.js';
import { runQuality } from '../../src/quality/index.js';
import type { CheckResult, QualityReport, QualityScope } from '../../src/quality/types.js';
import { layout } from '../../src/storage/layout.js';
import type { LocalObjectStore } from '../../src/storage/local-store.js';
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

/**
 * As a passing quality run would leave a local lake: every object older than the manifest of a
 * run `q0` whose quality passed (the changed scope of the next run then reads what changes after).
 */
export async function markCheckedBefore(store: LocalObjectStore): Promise<void> {
  const old = new Date(Date.now() - 86_400_000);
  for (const o of await store.list('')) await utimes(join(store.root, o.key), old, old);
  await store.put(
    layout.manifest('q0'),
    JSON.stringify({
      run_id: 'q0',
      status: 'succeeded',
      started_at: new Date(Date.now() - 3_600_000).toISOString(),
      quality: { passed: true, checks: [] },
    }),
  );
}
