import type { EntityDef } from '../entities/entity.js';
import type { QuarantineSink } from '../quarantine/sink.js';
import type { RawListPage } from '../source/stripe-client.js';
import type { BronzeSink } from './bronze-sink.js';
import { ChildReader } from './child-reads.js';
import { EVENTS, type ExtractPlan } from './extract-plan.js';
import type { ExtractStats } from './extract-stats.js';
import { type ListSliceOptions, listSlice } from './list-slice.js';
import { apiPageBatches, type Batches, eventPageBatches, linesOf, unsettledFrom } from './page-lines.js';
import { type Rejected, screenItems } from './screen.js';
import type { Mark, WatermarkAdvance } from './watermark-advance.js';
import type { TimeWindow } from './windows.js';

/** One slice of listing work: `api` lists an entity itself; `events` is a slice of the events pass. */
export interface Task {
  readonly kind: FetchKindName;
  readonly def: EntityDef;
  readonly window: TimeWindow;
}

export type FetchKindName = 'api' | 'events';

/** What every listing of the run shares: the client, the page size, the signal, the scheduler. */
export type ListWith = Omit<ListSliceOptions, 'onPage'>;

/**
 * What one kind of fetch lists, what it does with its pages, and when it is done. A new kind of
 * fetch (say, a parent's child collection, listed by parent id rather than by `created`) is one
 * more name in `FetchKindName` and one more entry in `fetchKinds`, with its own `list`.
 */
export interface FetchKind {
  /** Slices of one group complete together. */
  group(task: Task): string;
  /** Lists the task's pages, handing each to `onPage`. */
  list(task: Task, how: ListWith): Promise<void>;
  /** Screens one page, writes its records to Bronze and counts them. */
  onPage(task: Task, page: RawListPage): Promise<void>;
  /** When every slice of the group succeeded: flush its Bronze, then move its watermarks. */
  complete(task: Task): Promise<void>;
}

/** What the fetches of one run share. */
export interface FetchContext {
  readonly runId: string;
  readonly plan: ExtractPlan;
  readonly sink: BronzeSink;
  readonly quarantine: QuarantineSink;
  readonly stats: ExtractStats;
  readonly advance: WatermarkAdvance;
  /** Reads the child collections of the parent versions a page wrote (SPEC 4.1). */
  readonly children: ChildReader;
  /** Writes a watermark (serially per entity). */
  readonly writeMark: (entity: string, mark: Mark) => Promise<unknown>;
  readonly onProgress?: (p: { entity: string; pages: number; records: number; retries: number }) => void;
}

const EVENTS_PASS = ' events-pass';

/** The fetch kinds of extraction, over one run's sinks and counters. */
export function fetchKinds(ctx: FetchContext): Record<FetchKindName, FetchKind> {
  const { runId, sink, quarantine, stats } = ctx;
  const ingestedAt = () => new Date().toISOString();
  const writeBatches = async (batches: Batches) => {
    for (const b of batches.values()) await sink.write(b.entity, b.dt, linesOf(b), b.records, b.ids);
  };
  const quarantineAll = (entity: string, path: string, source: string, rejected: readonly Rejected[]) => {
    for (const r of rejected) quarantine.add({ entity, source, path, reason: r.reason, raw: r.item.json });
  };
  const progress = (name: string) => {
    if (!stats.has(name)) return;
    const s = stats.of(name);
    ctx.onProgress?.({ entity: name, pages: s.pages, records: s.records, retries: s.retries });
  };

  // Both list a `created` window of their endpoint, newest first, splitting dense slices.
  const listWindow = (kind: FetchKind, task: Task, how: ListWith) =>
    listSlice(task.def, task.window, { ...how, onPage: (page) => kind.onPage(task, page) });

  const api: FetchKind = {
    group: (task) => task.def.name,
    list: (task, how) => listWindow(api, task, how),
    async onPage({ def, window }, raw) {
      const { good, rejected } = screenItems(raw.items, 'object', raw.sourceTime);
      quarantineAll(def.name, def.endpoint, 'api', rejected);
      const meta = {
        entity: def.name,
        run_id: runId,
        ingested_at: ingestedAt(),
        source: 'api' as const,
        version_ts: raw.sourceTime,
      };
      const { batches, maxCreated } = apiPageBatches(good, meta, window.gte, window.lt);
      await writeBatches(batches);
      // the children of these versions are in the sink before the page counts as handled
      await ctx.children.fromObjects(def.name, good, raw.sourceTime);
      stats.addApiPage(
        def.name,
        { records: good.length, retries: raw.retries, sourceTime: raw.sourceTime },
        maxCreated,
        def.unsettledStatuses ? unsettledFrom(good, def.unsettledStatuses, window.gte) : undefined,
      );
      progress(def.name);
    },
    async complete({ def }) {
      await sink.flushEntity(def.name);
      // the children read for its versions are durable before its watermark may move
      await Promise.all(ChildReader.childrenOf(def.name).map((c) => sink.flushEntity(c)));
      await quarantine.flushEntity(def.name);
      const mark = ctx.advance.afterListing(def.name, stats.of(def.name));
      if (mark) await ctx.writeMark(def.name, mark);
    },
  };

  const events: FetchKind = {
    group: () => EVENTS_PASS,
    list: (task, how) => listWindow(events, task, how),
    async onPage({ def }, raw) {
      const pass = ctx.plan.pass!;
      const screened = screenItems(raw.items, 'event', raw.sourceTime);
      quarantineAll(EVENTS, def.endpoint, 'events', screened.rejected);
      const { batches, maxCreated, routed, rejected } = eventPageBatches(screened.good, {
        runId,
        ingestedAt: ingestedAt(),
        keepEvents: pass.keepEvents,
        targets: pass.routing,
        windowEnd: pass.window.lt,
        sourceNowSeconds: raw.sourceTime,
      });
      quarantineAll(EVENTS, '/v1/events', 'events', rejected);
      await writeBatches(batches);
      await ctx.children.fromEvents(screened.good, (e) => pass.routing.get(e) === 'all');
      stats.addEventsPage({ records: screened.good.length, retries: raw.retries }, maxCreated, routed);
      for (const name of routed.keys()) progress(name);
      progress(EVENTS);
    },
    async complete() {
      const pass = ctx.plan.pass!;
      const routed = [...pass.routing.keys()];
      const flushed = [
        ...(pass.keepEvents ? [EVENTS] : []),
        ...routed,
        ...routed.flatMap(ChildReader.childrenOf),
      ];
      await Promise.all(flushed.map((e) => sink.flushEntity(e)));
      await quarantine.flushEntity(EVENTS);
      const marks = ctx.advance.afterEventsPass(stats.passMaxCreated, (name) => stats.of(name));
      await Promise.all(marks.map(([name, mark]) => ctx.writeMark(name, mark)));
    },
  };

  return { api, events };
}
