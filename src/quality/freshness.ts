import { GOLD_CONTRACTS } from '../contracts/gold.js';
import { sqlIdent } from '../duckdb/sql-template.js';
import { goldView, type QualityContext, silverView } from './quality-context.js';
import type { CheckResult, PlannedCheck, Severity } from './types.js';

/** Pure verdict: is the newest business time within `maxHours` of `until` (both unix seconds)? */
export function freshnessVerdict(
  newestTs: number | null,
  until: number,
  maxHours: number,
): { passed: boolean; age_hours: number | null } {
  if (newestTs === null) return { passed: false, age_hours: null };
  const age = (until - newestTs) / 3600;
  return { passed: age <= maxHours, age_hours: Math.round(age * 100) / 100 };
}

const iso = (unix: number) => new Date(unix * 1000).toISOString();

/**
 * `freshness.<model>`: the newest business timestamp in the latest Gold (the partitions that would
 * be published) is within `FRESHNESS_MAX_HOURS` of the run's `until`. Severity from `FRESHNESS_SEVERITY`:
 * stale but correct data still publishes by default.
 */
export function freshnessChecks(ctx: QualityContext): PlannedCheck[] {
  const severity: Severity = ctx.settings.FRESHNESS_SEVERITY;
  const maxHours = ctx.settings.FRESHNESS_MAX_HOURS;
  return GOLD_CONTRACTS.map((contract) => {
    const name = `freshness.${contract.name}`;
    return {
      name,
      severity,
      run: async (): Promise<CheckResult> => {
        const col = sqlIdent(contract.businessTsColumn);
        const [row] = await ctx.db.rows<{ ts: number | null }>(
          `select epoch(max(${col})::TIMESTAMPTZ)::DOUBLE as ts from ${goldView(contract.name)}`,
        );
        const newest = row?.ts ?? null;
        // a model computed from a Silver table without rows (an account without subscriptions,
        // a lake before the table is produced) has nothing to be fresh about
        if (newest === null && contract.reads?.length) {
          const [inputs] = await ctx.db.rows<{ rows: number }>(
            `select least(${contract.reads.map((t) => `(select count(*) from ${silverView(t)})`).join(', ')})::DOUBLE as rows`,
          );
          if (inputs?.rows === 0) {
            return {
              name,
              severity,
              passed: true,
              details: { reason: `a Silver input has no rows (${contract.reads.join(', ')})` },
            };
          }
        }
        const v = freshnessVerdict(newest, ctx.until, maxHours);
        return {
          name,
          severity,
          passed: v.passed,
          details: {
            business_ts_column: contract.businessTsColumn,
            newest_business_ts: newest === null ? null : iso(newest),
            now: iso(ctx.until),
            age_hours: v.age_hours,
            max_hours: maxHours,
            ...(newest === null ? { reason: 'the model has no rows with a business timestamp' } : {}),
          },
        };
      },
    };
  });
}
