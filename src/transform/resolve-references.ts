import type { EntityName } from '../entities/entity.js';
import type { Logger } from '../obs/logger.js';

/** An object Silver rows reference but Silver lacks. */
export interface MissingReference {
  readonly table: EntityName;
  readonly id: string;
}

/** What one round of fetching by id did (`fetchReferences`' report). */
export interface FetchRound {
  readonly fetched: Readonly<Record<string, number>>;
  /** `<table>/<id>` the API does not know. */
  readonly not_found: readonly string[];
  readonly bronze_keys: readonly string[];
}

/** The manifest's `references` section. */
export interface ReferencesReport {
  rounds: number;
  fetched: Record<string, number>;
  not_found: string[];
  bronze_keys: number;
}

export interface ResolveReferencesOptions {
  /** What the transform found missing. */
  readonly missing: readonly MissingReference[];
  /** Retrieves objects by id into Bronze. */
  readonly fetch: (refs: MissingReference[]) => Promise<FetchRound>;
  /** What the objects a round fetched (its Bronze keys) reference that nothing holds (`ReferenceProbe`). */
  readonly probe: (bronzeKeys: readonly string[]) => Promise<readonly MissingReference[]>;
  readonly logger: Logger;
  /** Default 3: a fetched charge may name another customer, which may name … */
  readonly maxRounds?: number;
}

/**
 * Rounds at most: each round follows references one step further. The SaaS tables make chains of
 * up to 8 steps (a payout's transaction -> its charge -> the payment intent -> the invoice -> the
 * subscription -> its price -> the product -> the product's default price); with 3 the 100k bench
 * was left with a charge fetched in the last round whose payment intent no round fetched.
 */
const MAX_ROUNDS = 8;

/**
 * The references pass: objects that Silver rows reference but no window covered (customers
 * created before the first run's DEFAULT_DAYS, the old charge of today's refund) are retrieved
 * by id, round after round (MAX_ROUNDS at most), each round probing what the last one fetched
 * references. An id the API does not know is not asked for again; a round that fetched nothing
 * ends the pass. The transform reports what is missing while it has Silver open, so this costs
 * nothing when nothing is missing; the caller builds the fetched objects into Silver after it.
 *
 * @example
 * const report = await resolveReferences({ missing: t.dangling, fetch, probe, logger });
 */
export async function resolveReferences(opts: ResolveReferencesOptions): Promise<ReferencesReport> {
  const out: ReferencesReport = { rounds: 0, fetched: {}, not_found: [], bronze_keys: 0 };
  let missing = opts.missing;
  for (let round = 1; round <= (opts.maxRounds ?? MAX_ROUNDS); round++) {
    const known = new Set(out.not_found);
    const todo = missing.filter((m) => !known.has(`${m.table}/${m.id}`));
    if (todo.length === 0) break;
    out.rounds = round;
    opts.logger.info({ missing: todo.length }, `fetching ${todo.length} referenced objects by id`);
    const report = await opts.fetch(todo);
    for (const [e, n] of Object.entries(report.fetched)) out.fetched[e] = (out.fetched[e] ?? 0) + n;
    out.not_found.push(...report.not_found);
    out.bronze_keys += report.bronze_keys.length;
    if (report.bronze_keys.length === 0) break;
    missing = await opts.probe(report.bronze_keys);
  }
  return out;
}
