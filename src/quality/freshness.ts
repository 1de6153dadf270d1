import { GOLD_CONTRACTS } from '../contracts/gold.js';
import { sqlIdent } from '../duckdb/sql-template.js';
import { INDEX_COLUMNS } from '../state/key-index.js';
import { dtOfKey } from '../storage/layout.js';
import { goldPartitions, goldView, keysView, type QualityContext, silverView } from './quality-context.js';
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

/** The newest dt among a model's partition keys (undefined when it has none). */
export function newestDt(keys: readonly string[]): string | undefined {
  let newest: string | undefined;
  for (const k of keys) {
    const dt = dtOfKey(k);
    if (dt !== undefined && (newest === undefined || dt > newest)) newest = dt;
  }
  return newest;
}

/**
 * `freshness.<model>`: the newest business timestamp in the latest Gold (the partitions that would
 * be published) is within `FRESHNESS_MAX_HOURS` of the run's `until`. Severity from `FRESHNESS_SEVERITY`:
 * stale but correct data still publishes by default. A model whose dt follows its business time
 * is read in its newest partition only (one file, not every day's): a subset can only show an
 * older newest time, so it never passes data the whole model would fail.
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
        const newestOf = async (relation: string) => {
          const [row] = await ctx.db.rows<{ ts: number | null }>(
            `select epoch(max(${col})::TIMESTAMPTZ)::DOUBLE as ts from ${relation}`,
          );
          return row?.ts ?? null;
        };
        const dt = contract.dtFollowsBusinessTs
          ? newestDt((ctx.gold.get(contract.name)?.objects ?? []).map((o) => o.key))
          : undefined;
        // the newest partition without a business time (all NULL): the whole model decides
        const inNewest =
          dt === undefined ? null : await newestOf(await goldPartitions(ctx, contract.name, [dt]));
        // the whole model's newest: its index column when the key index keeps it (one file or a
        // few, not every partition)
        const whole = INDEX_COLUMNS[`gold.${contract.name}`]?.includes(contract.businessTsColumn)
          ? keysView(`gold.${contract.name}`)
          : goldView(contract.name);
        const newest = inNewest ?? (await newestOf(whole));
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
            read: inNewest === null ? 'every partition' : `the newest partition (dt=${dt})`,
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
