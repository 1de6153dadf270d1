/**
 * The storage layout of SPEC section 3.1: the only place that spells keys. Identical in LOCAL and
 * AWS; other tools read these keys, so they never change shape.
 */

const DT = /^\d{4}-\d{2}-\d{2}$/;

/** UTC calendar date (`YYYY-MM-DD`) of a Unix time in seconds. */
export function utcDate(unixSeconds: number): string {
  return new Date(unixSeconds * 1000).toISOString().slice(0, 10);
}

export const layout = {
  bronzeEntityPrefix: (entity: string) => `bronze/source=stripe/entity=${entity}/`,
  bronzePartitionPrefix: (entity: string, dt: string) => `bronze/source=stripe/entity=${entity}/dt=${dt}/`,
  bronzePart: (entity: string, dt: string, runId: string, part: number) =>
    `bronze/source=stripe/entity=${entity}/dt=${dt}/run_id=${runId}/part-${String(part).padStart(5, '0')}.jsonl`,
  /**
   * The ids of one Bronze part, written by the extractor beside it (under `_state/`, so Bronze's
   * own prefixes hold only what SPEC 3.1 lists): what quality's Bronze -> Silver check reads
   * instead of parsing the part again.
   */
  bronzeIds: (partKey: string) => `_state/bronze_ids/${partKey.slice('bronze/'.length)}.ids`,
  bronzeIdsPrefix: (entity: string) => `_state/bronze_ids/source=stripe/entity=${entity}/`,
  silverEntityPrefix: (entity: string) => `silver/source=stripe/entity=${entity}/`,
  silverPartition: (entity: string, dt: string) =>
    `silver/source=stripe/entity=${entity}/dt=${dt}/data.parquet`,
  goldModelPrefix: (model: string) => `gold/model=${model}/`,
  goldPartition: (model: string, dt: string) => `gold/model=${model}/dt=${dt}/data.parquet`,
  watermark: (entity: string) => `_state/watermarks/${entity}.json`,
  manifestPrefix: () => '_state/manifests/run_',
  manifest: (runId: string) => `_state/manifests/run_${runId}.json`,
  latestPointer: (model: string) => `_state/manifests/_latest/${model}.json`,
  lock: () => '_state/lock.json',
  report: (runId: string) => `_state/reports/run_${runId}.html`,
  latestReport: () => '_state/reports/latest.html',
  /** The rows of a report chart kept by partition fingerprint (report/chart-cache.ts). */
  reportChartCache: (model: string) => `_state/report_cache/${model}.json`,
  quarantinePrefix: () => '_quarantine/source=stripe/',
  quarantinePart: (entity: string, runId: string, part: number) =>
    `_quarantine/source=stripe/entity=${entity}/run_id=${runId}/part-${String(part).padStart(5, '0')}.jsonl`,
  /** A run's partitions (and transform state) before quality passed, under their published keys. */
  stagingRoot: () => '_staging/',
  staging: (runId: string) => `_staging/run_id=${runId}/`,
  /** The promote journal of a run (SPEC section 9). */
  publishJournalPrefix: () => '_state/publish/',
  publishJournal: (runId: string) => `_state/publish/${runId}.json`,
  /** Size and ETag/mtime of every published partition, for self-healing (run ids never start with `_`). */
  publishedRecord: () => '_state/publish/_partitions.json',
  /** The last quality run that checked everything (scope `all`) and passed. */
  qualityFullScope: () => '_state/quality/full_scope.json',
  /** Every Bronze and Silver object the last passing quality run saw, with its fingerprint. */
  qualityVerified: () => '_state/quality/verified.json',
  /** The key -> partition index of the Silver tables and Gold models (quality/key-index.ts). */
  qualityKeyIndex: () => '_state/quality/keys.json',
} as const;

/** A published Silver or Gold partition key, parsed; undefined for anything else. */
export type PartitionKey =
  | { layer: 'silver'; table: string; dt: string }
  | { layer: 'gold'; table: string; dt: string };

const SILVER_KEY = /^silver\/source=stripe\/entity=([^/]+)\/dt=(\d{4}-\d{2}-\d{2})\/data\.parquet$/;
const GOLD_KEY = /^gold\/model=([^/]+)\/dt=(\d{4}-\d{2}-\d{2})\/data\.parquet$/;

export function parsePartitionKey(key: string): PartitionKey | undefined {
  const s = SILVER_KEY.exec(key);
  if (s) return { layer: 'silver', table: s[1]!, dt: s[2]! };
  const g = GOLD_KEY.exec(key);
  return g ? { layer: 'gold', table: g[1]!, dt: g[2]! } : undefined;
}

/** Parsed parts of a Bronze key, or undefined if the key is not a Bronze part. */
export interface BronzeKeyParts {
  entity: string;
  dt: string;
  runId: string;
  part: string;
}

const BRONZE_KEY = /^bronze\/source=stripe\/entity=([^/]+)\/dt=([^/]+)\/run_id=([^/]+)\/([^/]+)$/;

export function parseBronzeKey(key: string): BronzeKeyParts | undefined {
  const m = BRONZE_KEY.exec(key);
  if (!m || !DT.test(m[2]!)) return undefined;
  return { entity: m[1]!, dt: m[2]!, runId: m[3]!, part: m[4]! };
}

/** The `dt=` value in any partitioned key, or undefined. */
export function dtOfKey(key: string): string | undefined {
  const m = /\/dt=(\d{4}-\d{2}-\d{2})\//.exec(key);
  return m?.[1];
}
