/**
 * The naive peer (SPEC section 14): what a user would otherwise write — the official `stripe`
 * client's `autoPagingEach` over each entity's window, one entity after the other, and over the
 * child lists of its objects, each object appended to a JSONL file.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import Stripe from 'stripe';
import { CHILD_TABLES } from '../../src/contracts/silver.js';
import type { TimeWindow } from '../../src/extract/windows.js';
import type { FetchResult } from './extract-floor.js';

type Lister = (params: Record<string, unknown>) => Stripe.ApiListPromise<{ id: string }>;

/** The list method of the client for each entity of the registry. */
function listers(stripe: Stripe): Record<string, Lister> {
  const l =
    <T extends { id: string }>(resource: { list(p: never): Stripe.ApiListPromise<T> }): Lister =>
    (p) =>
      resource.list(p as never);
  return {
    customers: l(stripe.customers),
    payment_intents: l(stripe.paymentIntents),
    charges: l(stripe.charges),
    refunds: l(stripe.refunds),
    invoices: l(stripe.invoices),
    subscriptions: (p) => stripe.subscriptions.list({ ...p, status: 'all' }),
    balance_transactions: l(stripe.balanceTransactions),
    disputes: l(stripe.disputes),
    products: l(stripe.products),
    prices: l(stripe.prices),
    coupons: l(stripe.coupons),
    payouts: l(stripe.payouts),
    events: l(stripe.events),
  };
}

type Obj = { id: string } & Record<string, unknown>;
const hasMore = (list: unknown): boolean => (list as { has_more?: boolean } | undefined)?.has_more === true;

/**
 * The child lists of one listed object, as a user of the client reads them (each with
 * `autoPagingEach`): the rest of a subscription's items and of an invoice's lines when the
 * embedded list has more, the balance transactions of an automatic payout. The same lists the
 * extractor reads for a first load (`childReadsOf`).
 */
function childListsOf(
  stripe: Stripe,
  entity: string,
  obj: Obj,
): [string, Stripe.ApiListPromise<{ id: string }>][] {
  if (obj.deleted === true) return [];
  if (entity === 'subscriptions' && hasMore(obj.items))
    return [['subscription_items', stripe.subscriptionItems.list({ subscription: obj.id, limit: 100 })]];
  if (entity === 'invoices' && hasMore(obj.lines))
    return [['invoice_line_items', stripe.invoices.listLineItems(obj.id, { limit: 100 })]];
  if (entity === 'payouts' && obj.automatic === true)
    return [['payout_balance_transactions', stripe.balanceTransactions.list({ payout: obj.id, limit: 100 })]];
  return [];
}

/**
 * Fetches every entity of `windows` with `autoPagingEach` into `<outDir>/<entity>.jsonl`, and the
 * child lists of each object listed (into `<outDir>/<child>.jsonl`), one request at a time.
 */
export async function stripePeer(
  port: number,
  apiKey: string,
  windows: ReadonlyMap<string, TimeWindow>,
  outDir: string,
): Promise<Omit<FetchResult, 'pages'>> {
  await mkdir(outDir, { recursive: true });
  const stripe = new Stripe(apiKey, { host: '127.0.0.1', port, protocol: 'http' });
  const list = listers(stripe);
  const files = new Map<string, WriteStream>();
  const write = async (name: string, obj: unknown) => {
    let out = files.get(name);
    if (!out) {
      out = createWriteStream(join(outDir, `${name}.jsonl`));
      files.set(name, out);
    }
    records++;
    if (!out.write(`${JSON.stringify(obj)}\n`)) await new Promise<void>((r) => out.once('drain', () => r()));
  };
  let records = 0;
  const t0 = performance.now();
  try {
    for (const [entity, w] of windows) {
      // child collections have no created window: read through their parents (below)
      if ((CHILD_TABLES as readonly string[]).includes(entity)) continue;
      const lister = list[entity];
      if (!lister) throw new Error(`peer: no stripe client method for ${entity}`);
      await lister({ limit: 100, created: { gte: w.gte, lt: w.lt } }).autoPagingEach(async (obj) => {
        await write(entity, obj);
        for (const [child, children] of childListsOf(stripe, entity, obj as Obj))
          await children.autoPagingEach((c) => write(child, c));
      });
    }
  } finally {
    await Promise.all(
      [...files.values()].map(
        (out) => new Promise<void>((r, j) => out.end((e?: Error | null) => (e ? j(e) : r()))),
      ),
    );
  }
  return { seconds: (performance.now() - t0) / 1000, records };
}
