import { EVENTS } from './extract-plan.js';
import type { ListingSeen } from './watermark-advance.js';

/** Counters of one entity in a run (the manifest's pages/records/retries, and its watermark inputs). */
export interface EntityStats extends ListingSeen {
  pages: number;
  records: number;
  retries: number;
  maxCreated: number | undefined;
  firstSourceTime: number | undefined;
  tracksUnsettled: boolean;
  unsettledFrom: number | undefined;
}

/** What a page says about itself, for the counters. */
export interface PageCounts {
  /** Records kept from the page (after screening). */
  readonly records: number;
  readonly retries: number;
  /** The response's `Date`, Unix seconds. */
  readonly sourceTime: number;
}

/**
 * The run's counters per entity, and the latest event the events pass saw. An API page counts
 * for its entity; an events page counts its page and retries for the event log, its records for
 * the log (when stored) and for each entity an event was routed to.
 *
 * @example
 * const stats = new ExtractStats(['customers', 'events']);
 * stats.addApiPage('customers', { records: 100, retries: 0, sourceTime }, maxCreated);
 */
export class ExtractStats {
  private readonly byName: Map<string, EntityStats>;
  /** Latest `created` of the events pass (within its window). */
  passMaxCreated: number | undefined;

  /** `tracksUnsettled`: the entities that say which of their objects are unsettled. */
  constructor(names: Iterable<string>, tracksUnsettled: ReadonlySet<string> = new Set()) {
    this.byName = new Map(
      [...names].map((n) => [
        n,
        {
          pages: 0,
          records: 0,
          retries: 0,
          maxCreated: undefined,
          firstSourceTime: undefined,
          tracksUnsettled: tracksUnsettled.has(n),
          unsettledFrom: undefined,
        },
      ]),
    );
  }

  /** The counters of a selected entity (throws for one that is not). */
  of(name: string): EntityStats {
    const s = this.byName.get(name);
    if (!s) throw new Error(`no extraction counters for ${name}: it is not selected`);
    return s;
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  /** `unsettledFrom`: the earliest `created` among the page's unsettled objects. */
  addApiPage(name: string, page: PageCounts, maxCreated: number | undefined, unsettledFrom?: number): void {
    const s = this.of(name);
    if (unsettledFrom !== undefined && (s.unsettledFrom === undefined || unsettledFrom < s.unsettledFrom)) {
      s.unsettledFrom = unsettledFrom;
    }
    s.pages++;
    s.records += page.records;
    s.retries += page.retries;
    if (maxCreated !== undefined && (s.maxCreated === undefined || maxCreated > s.maxCreated)) {
      s.maxCreated = maxCreated;
    }
    if (s.firstSourceTime === undefined || page.sourceTime < s.firstSourceTime) {
      s.firstSourceTime = page.sourceTime;
    }
  }

  addEventsPage(
    page: Omit<PageCounts, 'sourceTime'>,
    maxCreated: number | undefined,
    routed: ReadonlyMap<string, number>,
  ): void {
    if (maxCreated !== undefined && (this.passMaxCreated === undefined || maxCreated > this.passMaxCreated)) {
      this.passMaxCreated = maxCreated;
    }
    const ev = this.byName.get(EVENTS);
    if (ev) {
      ev.pages++;
      ev.retries += page.retries;
      ev.records += page.records;
    }
    for (const [name, n] of routed) this.of(name).records += n;
  }
}
