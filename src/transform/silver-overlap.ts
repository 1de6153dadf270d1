import { SILVER_CONTRACTS, SILVER_TABLES } from '../contracts/silver.js';
import { bronzeEntityOf } from '../duckdb/silver-sql.js';
import type { TableName } from '../entities/entity.js';

/**
 * The Silver tables whose every Bronze input is complete: the entity's own (its parent's for a
 * child collection), and a child's pages. The webhook-only table has no extraction input: it is
 * left to the run's transform. Pure.
 */
export function tablesComplete(entities: ReadonlySet<string>): TableName[] {
  return SILVER_TABLES.filter((table) => {
    const { from } = SILVER_CONTRACTS[table].bronze;
    if (from === 'webhooks') return false;
    return entities.has(bronzeEntityOf(table)) && (from !== 'parent' || entities.has(table));
  });
}

/** What the overlapped builds did, for the run's transform. */
export interface OverlapResult<R> {
  /** Tables built (the run's transform leaves them out). */
  readonly tables: TableName[];
  /** Each build's report, in order. */
  readonly reports: R[];
  /** Wall seconds the builds took, side by side with extraction. */
  readonly seconds: number;
}

/**
 * Silver typed while extraction goes on (SPEC 14: the full run overlaps its stages). Extraction
 * reports entities whose Bronze is complete; the tables reading only complete Bronze are built one
 * batch at a time (every table ready when the last batch ended), after `ready` (the run's staging),
 * and only while `capacity` says the machine has a core to spare: typing beside an extraction
 * that keeps the machine busy only slows the extraction down.
 * `stop` takes no more: tables not started are left to the run's transform, which then builds
 * Gold over all of Silver. A failed build starts no other; `settle` throws its error.
 *
 * @example
 * const overlap = new SilverOverlap((tables) => buildSilver(tables), staged);
 * overlap.complete(['customers']); // customers typed now
 * overlap.stop(); const { tables } = await overlap.settle();
 */
export class SilverOverlap<R> {
  private readonly entities = new Set<string>();
  private readonly queued = new Set<TableName>();
  private pending: TableName[] = [];
  private readonly built: TableName[] = [];
  private readonly reports: R[] = [];
  private running: Promise<void> | undefined;
  private stopped = false;
  private failure: { error: unknown } | undefined;
  private seconds = 0;

  private retry: NodeJS.Timeout | undefined;

  constructor(
    /** Builds the tables' Silver with DuckDB on `threads` threads. */
    private readonly build: (tables: TableName[], threads: number) => Promise<R>,
    private readonly ready: Promise<unknown>,
    /**
     * DuckDB threads a build may have now; 0: none (the machine is busy, say fetching from a
     * source API on the same machine), asked again after `retryMs`.
     */
    private readonly capacity: () => number = () => 1,
    private readonly retryMs = 1000,
  ) {}

  /** Entities whose Bronze is now complete. */
  complete(entities: readonly string[]): void {
    for (const e of entities) this.entities.add(e);
    for (const table of tablesComplete(this.entities)) {
      if (this.queued.has(table)) continue;
      this.queued.add(table);
      this.pending.push(table);
    }
    this.next();
  }

  /** No more builds start (extraction is over, or failed). */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.retry);
  }

  /** Waits for the build under way; the first failure is thrown. */
  async settle(): Promise<OverlapResult<R>> {
    this.stop();
    while (this.running) await this.running;
    if (this.failure) throw this.failure.error;
    return { tables: [...this.built], reports: [...this.reports], seconds: this.seconds };
  }

  private next(): void {
    if (this.running || this.retry || this.stopped || this.failure || this.pending.length === 0) return;
    const threads = this.capacity();
    if (threads < 1) {
      this.retry = setTimeout(() => {
        this.retry = undefined;
        this.next();
      }, this.retryMs);
      this.retry.unref();
      return;
    }
    const batch = this.pending;
    this.pending = [];
    this.running = (async () => {
      await this.ready;
      // extraction ended meanwhile: the run's transform builds them
      if (this.stopped) return;
      const t0 = performance.now();
      try {
        this.reports.push(await this.build(batch, threads));
        this.built.push(...batch);
      } finally {
        this.seconds += (performance.now() - t0) / 1000;
      }
    })()
      .catch((error: unknown) => {
        this.failure ??= { error };
      })
      .finally(() => {
        this.running = undefined;
        this.next();
      });
  }
}
