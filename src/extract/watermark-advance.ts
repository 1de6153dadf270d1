import type { WatermarkPosition } from '../state/watermarks.js';
import { EVENTS, type ExtractPlan, isFullLoad } from './extract-plan.js';

/**
 * A watermark to write: the `created` and `events` points (each only ever moves forwards), and
 * where the unsettled objects start (`Watermark.unsettled_from`).
 */
export type Mark = WatermarkPosition;

/** What an entity's listing saw, as far as its watermark is concerned. */
export interface ListingSeen {
  /** Latest `created` among the records written. */
  readonly maxCreated: number | undefined;
  /** Earliest `Date` among the entity's responses: when its load began, on the source's clock. */
  readonly firstSourceTime: number | undefined;
  /** Whether the entity says which of its objects are unsettled (`EntityDef.unsettledStatuses`). */
  readonly tracksUnsettled?: boolean;
  /** Earliest `created` among the unsettled objects listed. */
  readonly unsettledFrom?: number | undefined;
}

/**
 * Which watermarks move when a part of the run is durable (SPEC section 5). An incremental
 * entity's created watermark follows its listing and its events watermark the events pass; a full
 * load that also takes tombstones from the pass writes its first watermark once both are durable;
 * a backfill moves none. Decides only: the caller flushes Bronze first and writes what it returns.
 *
 * @example
 * const advance = new WatermarkAdvance(plan, end);
 * const mark = advance.afterListing('customers', seen); // after the customers' Bronze is flushed
 */
export class WatermarkAdvance {
  /** Completed halves (listing, events pass) of full loads that need both. */
  private readonly halves = new Map<string, number>();

  constructor(
    private readonly plan: ExtractPlan,
    private readonly end: number,
  ) {}

  /** The mark for `name` once every slice of its listing is durable, if it moves now. */
  afterListing(name: string, seen: ListingSeen): Mark | undefined {
    const plan = this.plan.entities.get(name);
    if (!plan || plan.mode === 'backfill') return undefined;
    if (!isFullLoad(plan)) return { created: seen.maxCreated ?? 0, events: 0, ...this.unsettled(name, seen) };
    if (!this.plan.pass?.routing.has(name) || this.bothDone(name)) return this.fullLoadMark(name, seen);
    return undefined;
  }

  /**
   * The marks that move once the whole events pass is durable: routed entities (up to the latest
   * event seen, `passMaxCreated`) and the event log itself.
   */
  afterEventsPass(
    passMaxCreated: number | undefined,
    seenOf: (name: string) => ListingSeen,
  ): [string, Mark][] {
    const pass = this.plan.pass;
    if (!pass) return [];
    const out: [string, Mark][] = [];
    for (const name of pass.routing.keys()) {
      const plan = this.plan.entities.get(name);
      if (plan?.mode === 'backfill') continue;
      if (isFullLoad(plan)) {
        if (this.bothDone(name)) out.push([name, this.fullLoadMark(name, seenOf(name))]);
      } else if (passMaxCreated !== undefined) {
        out.push([name, { created: 0, events: passMaxCreated }]);
      }
    }
    const events = this.plan.entities.get(EVENTS);
    if (pass.keepEvents && events && events.mode !== 'backfill') {
      const at = passMaxCreated ?? events.window.gte;
      out.push([EVENTS, { created: at, events: at }]);
    }
    return out;
  }

  private bothDone(name: string): boolean {
    const n = (this.halves.get(name) ?? 0) + 1;
    this.halves.set(name, n);
    return n === 2;
  }

  private fullLoadMark(name: string, seen: ListingSeen): Mark {
    return {
      created: seen.maxCreated ?? this.plan.entities.get(name)!.window.gte,
      // The events watermark starts at the source's clock when the load began (or the window end).
      events: Math.min(seen.firstSourceTime ?? this.end, this.end),
      ...this.unsettled(name, seen),
    };
  }

  /**
   * A whole listing of an entity that tracks unsettled objects: the oldest it saw, or, when it saw
   * none, its window's end (everything listed was final).
   */
  private unsettled(name: string, seen: ListingSeen): { unsettled?: number } {
    if (!seen.tracksUnsettled) return {};
    return { unsettled: seen.unsettledFrom ?? this.plan.entities.get(name)!.window.lt };
  }
}

/**
 * Runs `write` for one key after the previous write of the same key finished (two parts of one
 * entity may finish together; their watermark writes must not overtake each other).
 */
export function serialPerKey<K, A>(
  write: (key: K, arg: A) => Promise<unknown>,
): (key: K, arg: A) => Promise<unknown> {
  const chains = new Map<K, Promise<unknown>>();
  return (key, arg) => {
    const p = (chains.get(key) ?? Promise.resolve()).then(() => write(key, arg));
    chains.set(key, p);
    return p;
  };
}
