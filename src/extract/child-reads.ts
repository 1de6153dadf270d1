import type { ParentRef } from '../bronze/envelope.js';
import { sidecarId } from '../bronze/part-ids.js';
import type { ChildName, EntityName } from '../entities/entity.js';
import type { RawItem, StripeClient } from '../source/stripe-client.js';
import { utcDate } from '../storage/layout.js';
import { type Rejected, screenItems } from './screen.js';

/**
 * Child collections read through their parent (SPEC 4.1): the rest of an embedded list that has
 * more (`items`, `lines`), and the balance transactions an automatic payout paid out. Which
 * parent version asks for which read is a pure function of the version; the read pages through
 * the whole list and yields one Bronze line per child, each naming the parent version it was made
 * for and how many children the whole read listed (Silver takes a read only when all of them are
 * in Bronze, so a read cut short by a crash never counts).
 */

/** One read of a parent's children. */
export interface ChildRead {
  readonly child: ChildName;
  readonly endpoint: string;
  readonly params: Readonly<Record<string, string>>;
  /** The parent version the read is for (`meta.version_ts` of the parent's Bronze record). */
  readonly parent: Omit<ParentRef, 'count'>;
  /** The Bronze partition of the children: the parent's created date. */
  readonly dt: string;
  /** A payout in a final status (read once more then); false otherwise. */
  readonly final: boolean;
}

/** The parents whose versions can ask for a child read. */
export const CHILD_PARENTS: ReadonlySet<EntityName> = new Set(['subscriptions', 'invoices', 'payouts']);

/** A payout in a final status is read again (its list no longer changes). */
const FINAL_PAYOUT = new Set(['paid', 'failed', 'canceled']);

type Obj = Record<string, unknown>;
const listHasMore = (list: unknown): boolean =>
  typeof list === 'object' && list !== null && (list as Obj).has_more === true;

/**
 * The child reads one parent version asks for. `firstSeen`: the version came from the parent's
 * own list (its `created` window), not from an event: a payout is read when first seen and again
 * in a final status.
 */
export function childReadsOf(
  entity: EntityName,
  obj: Obj,
  versionTs: number,
  firstSeen: boolean,
): ChildRead[] {
  const id = obj.id;
  if (typeof id !== 'string' || obj.deleted === true) return [];
  const created = typeof obj.created === 'number' ? obj.created : versionTs;
  const parent = { entity, id, version_ts: versionTs };
  const dt = utcDate(created);
  const final = entity === 'payouts' && FINAL_PAYOUT.has(String(obj.status));
  if (entity === 'subscriptions' && listHasMore(obj.items))
    return [
      {
        child: 'subscription_items',
        endpoint: '/v1/subscription_items',
        params: { subscription: id },
        parent,
        dt,
        final,
      },
    ];
  if (entity === 'invoices' && listHasMore(obj.lines))
    return [
      {
        child: 'invoice_line_items',
        endpoint: `/v1/invoices/${encodeURIComponent(id)}/lines`,
        params: {},
        parent,
        dt,
        final,
      },
    ];
  if (entity === 'payouts' && obj.automatic === true && (firstSeen || final))
    return [
      {
        child: 'payout_balance_transactions',
        endpoint: '/v1/balance_transactions',
        params: { payout: id },
        parent,
        dt,
        final,
      },
    ];
  return [];
}

/** What one read brought: Bronze lines (one per child), and what could not go to Bronze. */
export interface ChildReadResult {
  readonly lines: string;
  readonly records: number;
  /** The children's ids in line order, when each is known exactly (`sidecarId`). */
  readonly ids: readonly string[] | undefined;
  /** The parent version every line names (`meta.parent`). */
  readonly parent: ParentRef;
  readonly pages: number;
  readonly retries: number;
  readonly rejected: readonly Rejected[];
}

/**
 * Reads every page of one child list (retries are the client's) and returns its Bronze lines:
 * `{"data": <child as the API sent it>, "meta": {…, "parent": {entity, id, version_ts, count}}}`.
 * Lines are returned, not written, so that one read lands in Bronze whole or not at all.
 */
export async function readChildren(
  client: Pick<StripeClient, 'listRawPage'>,
  read: ChildRead,
  runId: string,
  pageSize: number,
  signal?: AbortSignal,
): Promise<ChildReadResult> {
  const pages: { items: Buffer[]; sourceTime: number }[] = [];
  let ids: string[] | undefined = [];
  const rejected: Rejected[] = [];
  let retries = 0;
  let after: string | undefined;
  for (;;) {
    const page = await client.listRawPage(
      read.child,
      read.endpoint,
      { ...read.params, limit: pageSize, ...(after ? { starting_after: after } : {}) },
      signal,
    );
    retries += page.retries;
    const screened = screenItems(page.items, 'object', page.sourceTime);
    rejected.push(...screened.rejected);
    pages.push({ items: screened.good.map((i) => i.json), sourceTime: page.sourceTime });
    for (const item of screened.good) {
      const id = item.suspect ? undefined : sidecarId(item.id);
      if (id === undefined) ids = undefined;
      else ids?.push(id);
    }
    const last = page.items.at(-1)?.id;
    if (!page.hasMore || last === undefined) break;
    after = last;
  }
  const count = pages.reduce((n, p) => n + p.items.length, 0);
  const ingestedAt = new Date().toISOString();
  const parent: ParentRef = { ...read.parent, count };
  let lines = '';
  for (const p of pages) {
    const meta = JSON.stringify({
      entity: read.child,
      run_id: runId,
      ingested_at: ingestedAt,
      source: 'api',
      version_ts: p.sourceTime,
      parent,
    });
    for (const json of p.items) lines += `{"data":${json.toString('utf8')},"meta":${meta}}\n`;
  }
  // a parent id the sidecar cannot vouch for (escapes) leaves the part without one
  const sure = sidecarId(parent.id) === undefined ? undefined : ids;
  return { lines, records: count, ids: sure, parent, pages: pages.length, retries, rejected };
}

const CHILD_EVENT_PREFIXES: readonly [prefix: string, entity: EntityName][] = [
  ['customer.subscription.', 'subscriptions'],
  ['invoice.', 'invoices'],
  ['payout.', 'payouts'],
];

/** Where the reads go, and what they count. */
export interface ChildReaderDeps {
  readonly client: Pick<StripeClient, 'listRawPage'>;
  readonly sink: {
    write(
      entity: string,
      dt: string,
      lines: string,
      records: number,
      ids?: readonly string[],
      parent?: ParentRef,
    ): Promise<void>;
  };
  readonly quarantine: {
    add(r: { entity: string; source: string; path: string; reason: string; raw: Uint8Array }): void;
  };
  readonly runId: string;
  readonly pageSize: number;
  readonly signal?: AbortSignal;
}

/** Per child table: what a run read. */
export interface ChildReadStats {
  reads: number;
  pages: number;
  records: number;
  retries: number;
}

/**
 * The child reads of one extraction run. A page handler hands it the parent versions it wrote
 * (`fromObjects`, `fromEvents`) and waits: each read is in the sink before the page counts as
 * handled, so the parent's watermark, which moves only after its group (and its children, see
 * `childrenOf`) is flushed, never passes a parent whose children are not durable; a crash before
 * that re-reads the parent, and with it the children, next run. One read per parent (and per
 * final status of a payout) per run.
 */
export class ChildReader {
  readonly stats = new Map<ChildName, ChildReadStats>();
  private readonly done = new Set<string>();

  constructor(private readonly deps: ChildReaderDeps) {}

  /** The child tables a parent's reads write to (flushed with the parent). */
  static childrenOf(entity: string): ChildName[] {
    if (entity === 'subscriptions') return ['subscription_items'];
    if (entity === 'invoices') return ['invoice_line_items'];
    if (entity === 'payouts') return ['payout_balance_transactions'];
    return [];
  }

  /** Parent versions from the parent's own list (first seen). */
  async fromObjects(entity: EntityName, items: readonly RawItem[], versionTs: number): Promise<void> {
    if (!CHILD_PARENTS.has(entity)) return;
    const reads = items.flatMap((it) =>
      mayAskForRead(entity, it) ? childReadsOf(entity, parsed(it), versionTs, true) : [],
    );
    await this.perform(reads);
  }

  /**
   * Parent versions from events (only those of a parent entity the pass routes as versions, for
   * `routedAsVersions`); only those events are parsed.
   */
  async fromEvents(
    items: readonly RawItem[],
    routedAsVersions: (entity: EntityName) => boolean,
  ): Promise<void> {
    const reads: ChildRead[] = [];
    for (const it of items) {
      const hit = CHILD_EVENT_PREFIXES.find(([p]) => it.type?.startsWith(p));
      if (!hit || !routedAsVersions(hit[1]) || !mayAskForRead(hit[1], it)) continue;
      const event = parsed(it);
      const obj = (event.data as Obj | undefined)?.object as Obj | undefined;
      if (obj && typeof event.created === 'number')
        reads.push(...childReadsOf(hit[1], obj, event.created, false));
    }
    await this.perform(reads);
  }

  private async perform(reads: readonly ChildRead[]): Promise<void> {
    const todo = reads.filter((read) => {
      // a payout is read once as first seen and once more in a final status, whatever versions a run meets
      const key = `${read.child}/${read.parent.id}/${read.final}`;
      if (this.done.has(key)) return false;
      this.done.add(key);
      return true;
    });
    // A page's reads at once: the client's one limiter keeps the run's requests in flight within
    // EXTRACT_CONCURRENCY. One after the other, a page of 100 payouts waited for 100 round trips
    // (the 100k bench's extraction took 2.2x its floor).
    await Promise.all(todo.map((read) => this.performOne(read)));
  }

  private async performOne(read: ChildRead): Promise<void> {
    const got = await readChildren(
      this.deps.client,
      read,
      this.deps.runId,
      this.deps.pageSize,
      this.deps.signal,
    );
    for (const r of got.rejected)
      this.deps.quarantine.add({
        entity: read.child,
        source: 'api',
        path: read.endpoint,
        reason: r.reason,
        raw: r.item.json,
      });
    // one write: a read lands whole in one part, or (crash) not at all
    if (got.records > 0)
      await this.deps.sink.write(read.child, read.dt, got.lines, got.records, got.ids, got.parent);
    const s = this.stats.get(read.child) ?? { reads: 0, pages: 0, records: 0, retries: 0 };
    s.reads++;
    s.pages += got.pages;
    s.records += got.records;
    s.retries += got.retries;
    this.stats.set(read.child, s);
  }
}

const HAS_MORE = Buffer.from('"has_more":true');

/**
 * A cheap test before parsing (the events pass sees millions of invoice and subscription events
 * at scale): a subscription or invoice can ask for a read only if some list of it has more; an
 * event of a payout only when it reaches a final status (`payout.created` is first seen by the
 * payouts' own list).
 */
function mayAskForRead(entity: EntityName, item: RawItem): boolean {
  if (entity === 'payouts')
    return item.type === undefined || !item.type.startsWith('payout.') || FINAL_PAYOUT_EVENTS.has(item.type);
  return item.value !== undefined || item.json.includes(HAS_MORE);
}

const FINAL_PAYOUT_EVENTS = new Set(['payout.paid', 'payout.failed', 'payout.canceled']);

function parsed(item: RawItem): Obj {
  const v = item.value ?? JSON.parse(item.json.toString('utf8'));
  return typeof v === 'object' && v !== null ? (v as Obj) : {};
}
