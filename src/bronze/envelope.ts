/**
 * The Bronze envelope of SPEC section 6: one JSON object per line,
 * `{"data": <the object exactly as the API returned it>, "meta": {...}}`.
 */

export type RecordSource = 'api' | 'events' | 'webhook';

export interface BronzeMeta {
  readonly entity: string;
  readonly run_id: string;
  /** ISO 8601 UTC, the pipeline's clock. */
  readonly ingested_at: string;
  readonly source: RecordSource;
  /** Unix seconds on the source's clock: event `created`, or the API response's `Date`. */
  readonly version_ts: number;
  readonly event_id?: string;
  /** Present (true) only on tombstones: the object of a deleting event. */
  readonly deleted?: true;
  /**
   * Child collections only (a page fetched by parent, SPEC 4.1): the parent and the version the
   * fetch was made for, and how many children the whole fetch listed (Silver takes a fetch only
   * when all of them are in Bronze).
   */
  readonly parent?: ParentRef;
}

/** The parent version a fetched child page belongs to. */
export interface ParentRef {
  readonly entity: string;
  readonly id: string;
  /** `meta.version_ts` of the parent version whose list was incomplete (or that was re-read). */
  readonly version_ts: number;
  readonly count: number;
}

export interface BronzeRecord {
  readonly data: Record<string, unknown>;
  readonly meta: BronzeMeta;
}

/** Serialises one record as a JSONL line (with the trailing newline). */
export function toJsonLine(record: BronzeRecord): string {
  return `${JSON.stringify(record)}\n`;
}

/** Source ordering for equal `version_ts`: api over events over webhook (SPEC section 7). */
export const SOURCE_RANK: Readonly<Record<RecordSource, number>> = { api: 3, events: 2, webhook: 1 };
