/** How many examples a check lists before it only counts. */
export const MAX_EXAMPLES = 20;

/** A capped list for check details: the first `max` items and how many there are in all. */
export interface Examples<T> {
  count: number;
  examples: T[];
}

/**
 * Caps a list for a report: a person needs a few ids to start from and the total to judge scale,
 * never a million ids in a manifest.
 *
 * @example
 * capped(['ch_1', 'ch_2', 'ch_3'], 2); // { count: 3, examples: ['ch_1', 'ch_2'] }
 */
export function capped<T>(items: readonly T[], max = MAX_EXAMPLES, total = items.length): Examples<T> {
  return { count: total, examples: items.slice(0, max) };
}

/** A DuckDB JSON value (BIGINT and HUGEINT arrive as strings) as a JS number. */
export function num(v: unknown): number {
  if (v === null || v === undefined) return 0;
  return typeof v === 'number' ? v : Number(v);
}
