import pLimit from 'p-limit';
import { sidecarId } from '../bronze/part-ids.js';
import type { Settings } from '../config/settings.js';
import type { EntityName } from '../entities/entity.js';
import { entity as entityDef } from '../entities/lookups.js';
import type { Logger } from '../obs/logger.js';
import { objectProblem } from '../quarantine/readable.js';
import { QuarantineSink } from '../quarantine/sink.js';
import { createStripeClient } from '../source/create-client.js';
import type { ObjectStore } from '../storage/object-store.js';
import { BronzeSink } from './bronze-sink.js';
import { ChildReader } from './child-reads.js';
import { objectDt } from './page-lines.js';

/** A referenced object that Silver does not have. */
export interface MissingReference {
  readonly table: EntityName;
  readonly id: string;
}

export interface FetchReferencesReport {
  /** Objects retrieved and written to Bronze, per entity. */
  fetched: Record<string, number>;
  /** Ids the API does not know (404): they stay dangling and the reference check reports them. */
  not_found: string[];
  bronze_keys: string[];
}

/** Part numbers of the references pass start here, above any extraction part of the same run. */
const REFERENCES_FIRST_PART = 50_000;

/**
 * Retrieves objects by id that other objects reference but no extraction window covered: a
 * first run of `DEFAULT_DAYS` sees charges of customers created years ago, and a refund today may
 * point at a charge from before the first run. Each object lands in its entity's Bronze as an
 * API read (`meta.source = "api"`, version time = the response's `Date`), a deleted one as a
 * tombstone, so the next transform resolves the reference.
 */
export async function fetchReferences(opts: {
  store: ObjectStore;
  settings: Settings;
  logger: Logger;
  runId: string;
  baseUrl: string;
  apiKey: string;
  rateLimitRps?: number;
  refs: readonly MissingReference[];
  signal?: AbortSignal;
}): Promise<FetchReferencesReport> {
  const { store, settings, logger, runId } = opts;
  // the options name the source: base URL, key, rate limit
  const client = createStripeClient(opts);
  const sink = await BronzeSink.create({ store, runId, firstPartNumber: REFERENCES_FIRST_PART });
  const quarantine = new QuarantineSink(
    store,
    runId,
    (q) => logger.warn(q, `${q.entity}: quarantined an unreadable record from ${q.path}: ${q.reason}`),
    REFERENCES_FIRST_PART,
  );
  // a parent retrieved by id (a payout older than every window, paid before the first load) is
  // read through to its children as one listed is: without them it could never reconcile
  const children = new ChildReader({
    client,
    sink,
    quarantine,
    runId,
    pageSize: settings.MAX_PAGE_SIZE,
    ...(opts.signal ? { signal: opts.signal } : {}),
  });
  const report: FetchReferencesReport = { fetched: {}, not_found: [], bronze_keys: [] };
  const limit = pLimit(settings.EXTRACT_CONCURRENCY);
  try {
    await Promise.all(
      opts.refs.map((ref) =>
        limit(async () => {
          const def = entityDef(ref.table);
          const got = await client.retrieve(def.name, def.endpoint, ref.id, opts.signal);
          if (!got) {
            report.not_found.push(`${ref.table}/${ref.id}`);
            return;
          }
          const problem = objectProblem(got.object, got.sourceTime);
          if (problem) {
            const raw = Buffer.from(JSON.stringify(got.object));
            quarantine.add({ entity: def.name, source: 'api', path: def.endpoint, reason: problem, raw });
            return;
          }
          const deleted = got.object.deleted === true;
          const meta = {
            entity: def.name,
            run_id: runId,
            ingested_at: new Date().toISOString(),
            source: 'api' as const,
            version_ts: got.sourceTime,
            ...(deleted ? { deleted: true as const } : {}),
          };
          const line = `${JSON.stringify({ data: got.object, meta })}\n`;
          const id = sidecarId(got.object.id);
          await sink.write(def.name, objectDt(got.object, got.sourceTime), line, 1, id ? [id] : undefined);
          if (!deleted) {
            const item = {
              id: ref.id,
              created: undefined,
              type: undefined,
              suspect: false,
              value: got.object,
            };
            await children.fromObjects(
              def.name,
              [{ ...item, json: Buffer.from(JSON.stringify(got.object)) }],
              got.sourceTime,
            );
          }
          report.fetched[def.name] = (report.fetched[def.name] ?? 0) + 1;
        }),
      ),
    );
  } finally {
    await sink.close();
    await quarantine.close();
    await client.close();
  }
  for (const [child, c] of children.stats) report.fetched[child] = (report.fetched[child] ?? 0) + c.records;
  report.bronze_keys = Object.keys(report.fetched).flatMap((e) => sink.keysOf(e));
  report.not_found.sort();
  return report;
}
