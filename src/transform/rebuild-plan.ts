import { GOLD_MODELS } from '../contracts/gold.js';
import { SILVER_TABLES } from '../contracts/silver.js';
import { utcDate } from '../storage/layout.js';
import type { RebuildPlan } from './run-transform.js';

const DAY = 86_400;

/** A rebuild longer than this many days is surely a mistake (`--full-refresh` rebuilds all). */
export const MAX_REBUILD_DAYS = 3660;

/**
 * What `transform --rebuild --from --to [--entity E] [--model M]` rebuilds: the dts of the window
 * (both days included, unix seconds of their starts) for the Silver tables and Gold models named.
 * Naming neither rebuilds every table and model; naming only tables leaves Gold to follow them
 * (recomputed, rewritten where its rows changed); naming only models rebuilds no Silver.
 *
 * @example
 * rebuildPlan({ from, to: from, tables: ['charges'] }) // { silver: { charges: ['2024-06-01'] }, gold: {} }
 */
export function rebuildPlan(opts: {
  from: number;
  to: number;
  tables?: readonly string[];
  models?: readonly string[];
}): RebuildPlan {
  const days = Math.floor((opts.to - opts.from) / DAY) + 1;
  if (days < 1) throw new RangeError('--to must not be before --from');
  if (days > MAX_REBUILD_DAYS) throw new RangeError(`at most ${MAX_REBUILD_DAYS} days (asked ${days})`);
  const dts = Array.from({ length: days }, (_, i) => utcDate(opts.from + i * DAY));
  const none = !opts.tables?.length && !opts.models?.length;
  const tables = none ? SILVER_TABLES : (opts.tables ?? []);
  const models = none ? GOLD_MODELS : (opts.models ?? []);
  return {
    silver: Object.fromEntries(tables.map((t) => [t, dts])),
    gold: Object.fromEntries(models.map((m) => [m, dts])),
  };
}
