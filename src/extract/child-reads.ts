import type { ParentRef } from '../bronze/envelope.js';
import type { ChildName, EntityName } from '../entities/entity.js';
import type { StripeClient } from '../source/stripe-client.js';
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
  if (entity === 'subscriptions' && listHasMore(obj.items))
    return [
      {
        child: 'subscription_items',
        endpoint: '/v1/subscription_items',
        params: { subscription: id },
        parent,
        dt,
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
      },
    ];
  if (entity === 'payouts' && obj.automatic === true && (firstSeen || FINAL_PAYOUT.has(String(obj.status))))
    return [
      {
        child: 'payout_balance_transactions',
        endpoint: '/v1/balance_transactions',
        params: { payout: id },
        parent,
        dt,
      },
    ];
  return [];
}

/** What one read brought: Bronze lines (one per child), and what could not go to Bronze. */
export interface ChildReadResult {
  readonly lines: string;
  readonly records: number;
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
    const last = page.items.at(-1)?.id;
    if (!page.hasMore || last === undefined) break;
    after = last;
  }
  const count = pages.reduce((n, p) => n + p.items.length, 0);
  const ingestedAt = new Date().toISOString();
  let lines = '';
  for (const p of pages) {
    const meta = JSON.stringify({
      entity: read.child,
      run_id: runId,
      ingested_at: ingestedAt,
      source: 'api',
      version_ts: p.sourceTime,
      parent: { ...read.parent, count },
    });
    for (const json of p.items) lines += `{"data":${json.toString('utf8')},"meta":${meta}}\n`;
  }
  return { lines, records: count, pages: pages.length, retries, rejected };
}
